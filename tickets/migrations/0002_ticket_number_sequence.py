"""Ticket numbers come from a PostgreSQL sequence (no lock, no race). SQLite needs none."""

from django.db import migrations

SEQUENCE = "tickets_ticket_number_seq"
START = 1001


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    Ticket = apps.get_model("tickets", "Ticket")
    highest = Ticket.objects.order_by("-number").values_list("number", flat=True).first()
    schema_editor.execute(
        f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE} START WITH %s", [max(START, (highest or 0) + 1)]
    )


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create_sequence, drop_sequence)]
