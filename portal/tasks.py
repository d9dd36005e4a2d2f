"""Celery tasks of the portal."""

from celery import shared_task

from . import services


# The address travels in the task, not an id: the page that asks for a link must do the same
# (constant) work whether or not we know the address, so the look-up happens here.
@shared_task(
    bind=True, name="portal.send_signin_link", acks_late=True, max_retries=3, ignore_result=True
)
def send_signin_link(self, email: str, link_base: str, language: str) -> bool:
    try:
        return services.signin_link_send(email=email, link_base=link_base, language=language)
    except OSError as exc:  # the mail server is down or refused: a new link, a bit later
        raise self.retry(countdown=30 * 2**self.request.retries, exc=exc) from exc
