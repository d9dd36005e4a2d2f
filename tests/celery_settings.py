"""Changing the Celery application's settings inside a test."""

from contextlib import contextmanager

from helpdesk.celery import app as celery_app


@contextmanager
def celery_settings(**values):
    """The settings given (lowercase names: task_always_eager=False) for the block, then the ones
    before. Celery before 5.7 keeps the settings it read from Django under their CELERY_ names
    and looks those up first, so a lowercase name alone would not take: both are set."""
    before = {name: celery_app.conf[name] for name in values}
    _set(values)
    try:
        yield
    finally:
        _set(before)


def _set(values: dict) -> None:
    celery_app.conf.update(under_both_names(**values))


def under_both_names(**values) -> dict:
    """{task_always_eager: v} as {task_always_eager: v, CELERY_TASK_ALWAYS_EAGER: v}, for the
    conf.update() of an application configured from the Django settings."""
    return {**values, **{f"CELERY_{name.upper()}": value for name, value in values.items()}}
