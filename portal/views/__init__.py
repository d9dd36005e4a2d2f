"""The customers' pages, one module per subject: the front page and search, signing in, and
their requests."""
