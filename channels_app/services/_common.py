"""What the pipeline's modules share: the signal that a failure may pass."""


class RetryLater(Exception):
    """Processing failed for a reason that may pass (database or network hiccup)."""
