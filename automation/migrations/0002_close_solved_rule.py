"""The hard-coded task that closed tickets left solved (tickets.tasks.close_stale_solved_tickets)
is a time-based rule now: a fresh install gets it, active, with the configured days."""

from django.conf import settings
from django.db import migrations


def create_rule(apps, schema_editor):
    TimeRule = apps.get_model("automation", "TimeRule")
    TimeRule.objects.get_or_create(
        name="Fechar chamados resolvidos após 4 dias",
        defaults={
            "position": 30,
            "condition": "solved",
            "after": settings.JORNADA["CLOSE_SOLVED_AFTER_DAYS"],
            "unit": "days",
            "actions": [{"type": "set_status", "status": "closed"}],
            "is_active": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("automation", "0001_initial")]

    operations = [migrations.RunPython(create_rule, migrations.RunPython.noop)]
