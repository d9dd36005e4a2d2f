"""Signing in through the login page, as the browser tests do before anything else."""


def sign_in(page, base: str, username: str, password: str, *, then: str) -> None:
    """Sign in on the login page and land on `then` (a path)."""
    page.goto(f"{base}/accounts/login/?next={then}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form [type=submit]")
    page.wait_for_url(f"{base}{then}")
