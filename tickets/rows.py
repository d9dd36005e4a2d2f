"""Rows written in one statement, without the ORM's cost of building it.

Django's `bulk_update` writes one `CASE WHEN pk = ... THEN ...` per row and field: building that
expression costs about 2 ms of Python per row of six fields, more than the database spends on the
whole statement. The hot paths that update a batch of rows (a drain's inbound events, the SLA
clocks of a batch, the delivery statuses of a batch of sends) use `rows_update` instead: on
PostgreSQL the same change as one `UPDATE ... FROM (VALUES ...)`, elsewhere `bulk_update`.
"""

import re
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

# PostgreSQL takes at most 65,535 parameters a statement.
MAX_PARAMETERS = 30_000


def row_insert_unless_taken(obj: Model, *, unique: Sequence[str]) -> bool:
    """INSERT the row unless one with the same `unique` fields (a unique constraint's) exists;
    whether it was inserted (then obj.pk is set). ON CONFLICT DO NOTHING (PostgreSQL, SQLite >=
    3.35) instead of an INSERT in a savepoint caught on IntegrityError: one round trip instead
    of three. On PostgreSQL a row another transaction is inserting waits for its outcome."""
    with connection.cursor() as cursor:
        cursor.execute(*_insert_unless_taken([obj], unique))
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return True


def rows_insert_unless_taken(objs: Sequence[Model], *, unique: Sequence[str]) -> int:
    """row_insert_unless_taken for several rows of one model, in one statement: how many were
    inserted (their pks are not read back)."""
    if not objs:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(*_insert_unless_taken(objs, unique))
        return len(cursor.fetchall())


def _insert_unless_taken(objs: Sequence[Model], unique: Sequence[str]) -> tuple[str, list]:
    meta = objs[0]._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique)
    row = f"({', '.join(['%s'] * len(fields))})"
    # Names come from the model, values go as parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * len(objs))} "
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    params = [
        field.get_db_prep_save(field.pre_save(obj, add=True), connection)
        for obj in objs
        for field in fields
    ]
    return sql, params


def rows_update(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write these fields of these rows (one model), as Model.objects.bulk_update would (no
    save() or signals, `auto_now` not applied). Returns the number of rows updated."""
    if not objs:
        return 0
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model._base_manager.bulk_update(objs, fields)
    meta = model._meta
    columns = [meta.get_field(name) for name in fields]
    per_statement = max(1, MAX_PARAMETERS // (len(columns) + 1))
    updated = 0
    for start in range(0, len(objs), per_statement):
        updated += _update(meta, columns, objs[start : start + per_statement])
    return updated


def _update(meta, columns, objs) -> int:
    quote = connection.ops.quote_name
    pk = meta.pk
    # The VALUES are untyped parameters (text to PostgreSQL): each is cast to its column's type.
    sets = ", ".join(
        f"{quote(field.column)} = v.c{index}::{_cast(field)}" for index, field in enumerate(columns)
    )
    row = f"({', '.join(['%s'] * (len(columns) + 1))})"
    names = ", ".join(["id", *(f"c{index}" for index in range(len(columns)))])
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {sets} "  # noqa: S608 (names from the model)
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({names}) "
        f"WHERE t.{quote(pk.column)} = v.id::{pk.db_type(connection)}"
    )
    params = []
    for obj in objs:
        params.append(pk.get_db_prep_value(obj.pk, connection))
        params += [
            field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns
        ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _cast(field) -> str:
    """The column's type, without a varchar's length: an explicit cast to varchar(n) would cut a
    longer value silently, where storing it must fail as bulk_update's would."""
    return re.sub(r"^(varchar|character varying)\(\d+\)$", r"\1", field.db_type(connection))
