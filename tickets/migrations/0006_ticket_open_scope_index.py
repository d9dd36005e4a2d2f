"""A covering index over the open tickets for the inbox's view counts (PostgreSQL only): every
view but "solved recently" counts open tickets by team, assignee, tier and SLA due time, which
this index answers without reading the table."""

from django.db import migrations

OPEN = "status IN ('new', 'open', 'pending', 'on_hold')"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ticket_open_scope ON tickets_ticket (status) "
        f"INCLUDE (team_id, assignee_id, tier, sla_due_at) WHERE {OPEN}"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS ticket_open_scope")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("tickets", "0005_search_indexes")]

    operations = [migrations.RunPython(create, drop)]
