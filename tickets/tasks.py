"""Celery tasks of the tickets core: ids in, safe to run twice.

Closing tickets left solved is a time-based rule of the automation app now
("Close solved tickets after 4 days", automation.run_time_rules)."""
