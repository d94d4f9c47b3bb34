"""Database helpers the ORM lacks in a fast form."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models.constants import OnConflict
from django.utils import timezone

_MAX_PARAMS = 65_535
"""Parameters per statement where Django knows no limit (PostgreSQL's protocol allows 65,535)."""


def bulk_update_rows(objs: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Write `fields` of many rows by primary key, in a few statements whatever their number.

    Django's `bulk_update` builds one CASE WHEN expression per field and row, whose compilation costs
    more than the write itself for a few hundred rows. On SQLite the rows go as one `UPDATE ... FROM
    (VALUES ...)` per chunk (see `_chunks`); on PostgreSQL one prepared UPDATE is executed for every row,
    which psycopg 3 pipelines. Values are converted by each field, as `save` does; a row given twice is
    written with its last values, as one save after the other would.
    """
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    columns = [field for name in fields if isinstance(field := meta.get_field(name), models.Field)]
    assert meta.pk is not None
    quote = connection.ops.quote_name
    table, key = quote(meta.db_table), quote(str(meta.pk.column))
    latest = {obj.pk: obj for obj in objs}
    converters = [(field.attname, _converter(field, connection)) for field in columns]
    rows = [
        [*(convert(getattr(obj, name)) for name, convert in converters), pk] for pk, obj in latest.items()
    ]
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in columns)
            sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608 - names from the model, values bound
            cursor.executemany(sql, rows)  # one transaction: in autocommit every row would commit alone
            return
        # VALUES columns are named column1, column2...: the key is the last one.
        assignments = ", ".join(
            f"{quote(str(field.column))} = v.column{n}" for n, field in enumerate(columns, 1)
        )
        for marks, params in _chunks(connection, rows):
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {marks}) AS v "  # noqa: S608 - names from the model, values bound
                f"WHERE {table}.{key} = v.column{len(columns) + 1}",
                params,
            )


def insert_values(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Insert rows given as values of the fields named in `columns` (attnames, e.g. `charger_id`), in a
    few multi-row INSERTs (`_chunks`), without building a model instance per row.

    `bulk_create` compiles every field of every row through the ORM's insert compiler, which costs more
    than the write for the hundreds of readings, periods, outbox rows and OCPP frames a batch of
    MeterValues produces; here the statement is text assembled once per chunk size. Values are
    converted by their field as `save` converts them; fields not named get their default (now, for an
    auto_now or auto_now_add field, as `save` gives). Named fields are stored as given.
    """
    if not rows:
        return
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    fields = _insert_fields(meta)
    by_name = {field.attname: field for field in fields}
    named = [by_name[name] for name in columns]
    given = set(columns)
    missing = [field for field in fields if field.attname not in given]
    defaults = [_default(field) for field in missing]
    converters = [_converter(field, connection) for field in (*named, *missing)]
    prepared = [
        [convert(value) for convert, value in zip(converters, (*row, *defaults), strict=True)] for row in rows
    ]
    quote = connection.ops.quote_name
    names = ", ".join(quote(str(field.column)) for field in (*named, *missing))
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    insert = connection.ops.insert_statement(on_conflict=on_conflict)
    suffix = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    head = f"{insert} {quote(meta.db_table)} ({names})"
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        for marks, params in _chunks(connection, prepared):
            cursor.execute(f"{head} VALUES {marks} {suffix}", params)


def _insert_fields(meta: Any) -> list[models.Field[Any, Any]]:
    return [field for field in meta.concrete_fields if not field.generated and field is not meta.auto_field]


def _default(field: models.Field[Any, Any]) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    if _needs_pre_save(field):
        raise ValueError(f"{field.name}: give its value (its pre_save is not run here)")
    return field.get_default()


def _needs_pre_save(field: models.Field[Any, Any]) -> bool:
    """Fields whose `pre_save` is more than reading the attribute (auto_now, auto_now_add, files...)."""
    if isinstance(field, models.DateField):  # DateTimeField too: its pre_save only serves auto_now(_add)
        return bool(field.auto_now or field.auto_now_add)
    return type(field).pre_save is not models.Field.pre_save


_PLAIN: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.BooleanField: bool,
}
"""Fields whose conversion leaves a value of this exact type as it is, on every backend."""


_NOTHING = object()


def _decimals_as_given(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> bool:
    """A DecimalField passes a finite Decimal through unchanged: `to_python` keeps its value and the
    backend adapts it as it is (Django's backends all keep the base `adapt_decimalfield_value`)."""
    return (
        type(field) is models.DecimalField
        and type(connection.ops).adapt_decimalfield_value is BaseDatabaseOperations.adapt_decimalfield_value
    )


def _converter(field: models.Field[Any, Any], connection: BaseDatabaseWrapper) -> Any:
    """How a value of `field` is made ready for the database: `get_db_prep_save`, skipped for a value
    the field would pass through unchanged (a str for a text field, an int for an integer field, a
    finite Decimal for a decimal field, None), which is most of them: converting every value of every
    row cost more than the insert. The same object given again (a batch's one timestamp) is converted
    once. Make one per statement."""
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    plain = _PLAIN.get(type(target))
    decimal = _decimals_as_given(target, connection)

    last: list[Any] = [_NOTHING, None]  # the last value converted and its result: rows often share one

    def convert(value: Any) -> Any:
        if value is None or type(value) is plain:
            return value
        if decimal and type(value) is Decimal and value.is_finite():
            return value
        if value is not last[0]:
            last[:] = value, field.get_db_prep_save(value, connection)
        return last[1]

    return convert


def _chunks(connection: BaseDatabaseWrapper, rows: list[list[Any]]) -> Iterator[tuple[str, list[Any]]]:
    """The rows as multi-row VALUES lists, as many rows per statement as the database takes parameters.

    One statement for many rows, rather than one prepared statement executed per row: each execution
    is a database step the driver runs without the GIL and must then take it back, which with the
    event loop busy costs up to the switch interval per row (SQLite steps every row apart).
    """
    width = len(rows[0])
    per_statement = max(1, (connection.features.max_query_params or _MAX_PARAMS) // width)
    row_marks = "(" + ", ".join(["%s"] * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        yield ", ".join([row_marks] * len(chunk)), [value for row in chunk for value in row]
