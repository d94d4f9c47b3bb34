"""Database helpers the ORM lacks in a fast form."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router, transaction
from django.db.models.constants import OnConflict


def bulk_update_rows(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of many rows: one parameterised UPDATE by primary key, executed for every row.

    Django's `bulk_update` builds one CASE WHEN expression per field and row, whose compilation costs
    more than the write itself for a few hundred rows; `executemany` of one prepared statement is
    pipelined by psycopg 3 and SQLite alike. Values are converted by each field, as `save` does.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [field for name in fields if isinstance(field := meta.get_field(name), models.Field)]
    assert meta.pk is not None
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in columns)
    table, key = quote(meta.db_table), quote(str(meta.pk.column))
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608 - names from the model, values bound
    rows = [
        [*(field.get_db_prep_save(getattr(obj, field.attname), connection) for field in columns), obj.pk]
        for obj in objs
    ]
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, rows)  # one transaction: in autocommit every row would be committed alone


def bulk_insert_rows(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """Insert many new rows with one prepared INSERT executed for every row (primary keys not read back).

    `bulk_create` assembles one statement with a `%s` for every field of every row, which costs more than
    the write for the hundreds of readings, periods and outbox rows a batch of MeterValues produces.
    Values go through each field's `pre_save` and conversion, as `save` does; `ignore_conflicts` skips
    rows a unique constraint refuses, as `bulk_create(ignore_conflicts=True)` does.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [
        field for field in meta.concrete_fields if not field.generated and field is not meta.auto_field
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in columns)
    marks = ", ".join(["%s"] * len(columns))
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    insert = connection.ops.insert_statement(on_conflict=on_conflict)
    suffix = connection.ops.on_conflict_suffix_sql(columns, on_conflict, None, None)
    sql = f"{insert} {quote(meta.db_table)} ({names}) VALUES ({marks}) {suffix}"
    rows = [
        [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in columns]
        for obj in objs
    ]
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, rows)  # one transaction: in autocommit every row would be committed alone
