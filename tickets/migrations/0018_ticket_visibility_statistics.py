"""Extended statistics (PostgreSQL) on the columns an agent's ticket list filters together: the
team and the assignee (the visibility rule: their teams, themselves, or no team) with the tier and
the priority. Left to itself the planner takes them as independent; they are not (an N1 team's
tickets are N1 tickets), so a filter such as tier=N2&priority=urgent for an N1 agent was
estimated at hundreds of rows when it matches none, and PostgreSQL walked the whole "newest
change first" index looking for a page (73 ms at 100,000 tickets, 482 ms at a million). With the
most common combinations known it reads the few matching rows by their indexes and sorts them
(4 ms at 100,000 tickets). A larger sample than the default (STATISTICS 2000) because the
combinations are many: a few hundred teams x agents x tiers x priorities.

The larger sample has a cost: ANALYZE of tickets_ticket at a million tickets took 13 s here
instead of 0.9 s (autovacuum runs it in the background after a tenth of the table changed; it
blocks no read or write). A target of 1,000 or 500, or statistics on (team, assignee, tier)
alone, left the estimate wrong at a million (the query stayed at 470-640 ms, against 33 ms).

ANALYZE here, so the statistics exist at once instead of at the table's next automatic analyze;
outside a transaction (atomic = False), so its lock is not held until the migration's commit.
Other databases have no such thing: nothing to do there."""

from django.db import migrations

CREATE = [
    "CREATE STATISTICS IF NOT EXISTS ticket_visibility_stats (mcv) "
    "ON team_id, assignee_id, tier, priority FROM tickets_ticket",
    "ALTER STATISTICS ticket_visibility_stats SET STATISTICS 2000",
    "ANALYZE tickets_ticket",
]
DROP = ["DROP STATISTICS IF EXISTS ticket_visibility_stats"]


def _execute(schema_editor, statements):
    if schema_editor.connection.vendor == "postgresql":
        for statement in statements:
            schema_editor.execute(statement)


def create_statistics(apps, schema_editor):
    _execute(schema_editor, CREATE)


def drop_statistics(apps, schema_editor):
    _execute(schema_editor, DROP)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("tickets", "0017_ticket_assignee_updated_index")]

    operations = [migrations.RunPython(create_statistics, drop_statistics)]
