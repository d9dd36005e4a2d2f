"""Full-text search indexes (PostgreSQL only; SQLite searches with LIKE).

`jornada_fold(text)` lower-cases, strips the accents of Latin letters (so "não" and "nao" meet)
and keeps the first 100,000 characters (a tsvector is capped at 1 MB: a huge pasted log must
never make a message impossible to store). It is IMMUTABLE, so expression indexes may use it;
tickets/search.py writes the very same expressions in its queries. No extension is needed
(unaccent would need CREATE EXTENSION rights and an immutable wrapper anyway).

Two more indexes serve the inbox sorts over open tickets that no plain column index can: by
priority rank (the very CASE expression tickets/inbox.py orders by) and by SLA due time with
the tickets that have none last.

The indexes are built CONCURRENTLY: on a live database with millions of messages a plain
CREATE INDEX would block new messages for minutes.
"""

from django.db import migrations

ACCENTED = "áàâãäåéèêëíìîïóòôõöúùûüçñýÿÁÀÂÃÄÅÉÈÊËÍÌÎÏÓÒÔÕÖÚÙÛÜÇÑÝŸ"
PLAIN = "aaaaaaeeeeiiiiooooouuuucnyy" * 2

FOLD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION jornada_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT translate(lower(left($1, 100000)), '{ACCENTED}', '{PLAIN}') $$
"""

INDEXES = {
    "message_body_fts": ("tickets_message", "body_text"),
    "ticket_subject_fts": ("tickets_ticket", "subject"),
    "customer_name_fts": ("tickets_customer", "name"),
}


OPEN = "status IN ('new', 'open', 'pending', 'on_hold')"
PRIORITY_RANK = (
    "CASE WHEN priority = 'urgent' THEN 0 WHEN priority = 'high' THEN 1 "
    "WHEN priority = 'normal' THEN 2 WHEN priority = 'low' THEN 3 ELSE 4 END"
)
SORT_INDEXES = {
    "ticket_open_priority": f"(({PRIORITY_RANK}), updated_at DESC, id DESC) WHERE {OPEN}",
    "ticket_open_sla": f"(sla_due_at ASC NULLS LAST, id) WHERE {OPEN}",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FOLD_FUNCTION)
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, jornada_fold({column})))"
        )
    for name, definition in SORT_INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON tickets_ticket {definition}"
        )
    # Email addresses and phone numbers typed into the search box, whatever their kind.
    schema_editor.execute(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS identity_value ON tickets_customeridentity (value)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in [*INDEXES, *SORT_INDEXES, "identity_value"]:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS jornada_fold(text)")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("tickets", "0004_workspace")]
    operations = [migrations.RunPython(create, drop)]
