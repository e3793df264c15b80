"""Statements written out for the hottest writes and reads (a chat message and its answer, a
drop's order placement).

Building a statement through the ORM (a ``QuerySet``, its ``Query``, the compiler, the model
instances) costs two to three times the database's answer for the one-row statements a chat
turn makes: ``bulk_create`` of two rows took 1 ms of CPU against 0.2 ms for the same rows
written out. These helpers keep the ORM's meaning (each field prepares its value with
``get_db_prep_save``, ``auto_now_add`` stamps the row, rows read back go through the fields'
and the backend's converters) and cache the SQL text per model, fields and database alias.

For PostgreSQL and SQLite (3.35+, for ``RETURNING``), the two databases Plaza runs on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from django.db import connections, models, transaction
from django.db.models.fields import Field


def _fields(model: type[models.Model], names: Sequence[str]) -> list[Field]:
    return [model._meta.get_field(name) for name in names]


@lru_cache(maxsize=64)
def _insert_sql(
    model: type[models.Model],
    names: tuple[str, ...],
    rows: int,
    using: str,
    skip_taken: bool = False,
) -> str:
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _fields(model, names))
    one = "(" + ", ".join(["%s"] * len(names)) + ")"
    return (
        # Names come from the model's metadata, quoted; every value is a parameter.
        f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES {', '.join([one] * rows)} {'ON CONFLICT DO NOTHING ' if skip_taken else ''}"
        f"RETURNING {quote(model._meta.pk.column)}"
    )


@lru_cache(maxsize=64)
def _insert_fields(model: type[models.Model]) -> tuple[Field, ...]:
    """Every concrete field but the automatic primary key and the columns the database
    computes."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and isinstance(field, models.AutoField))
        and not getattr(field, "generated", False)
    )


def rows_insert(objs: Sequence[models.Model], *, using: str = "default") -> None:
    """Insert ``objs`` (new instances of one model) in one statement and set their primary
    keys, as ``bulk_create`` would: each value prepared by its field (``auto_now_add`` stamped
    by ``pre_save``)."""
    if not objs:
        return
    sql, params = _insert_statement(objs, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    _keys_set(objs, keys, using)


def row_insert_unless_taken(obj: models.Model, *, using: str = "default") -> bool:
    """Insert ``obj`` unless a row with the same unique values exists (``ON CONFLICT DO
    NOTHING``): True with its key set, False when the row was there already. A taken key
    neither raises nor spoils the transaction around it, so no savepoint is needed."""
    sql, params = _insert_statement([obj], using, skip_taken=True)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        keys = [row[0] for row in cursor.fetchall()]
    if not keys:
        obj._state.adding = True
        return False
    _keys_set([obj], keys, using)
    return True


def _insert_statement(
    objs: Sequence[models.Model], using: str, *, skip_taken: bool = False
) -> tuple[str, list]:
    model = type(objs[0])
    connection = connections[using]
    fields = _insert_fields(model)
    params: list = []
    for obj in objs:
        obj._state.adding = True
        for field in fields:
            params.append(field.get_db_prep_save(field.pre_save(obj, add=True), connection))
    names = tuple(field.name for field in fields)
    return _insert_sql(model, names, len(objs), using, skip_taken), params


def _keys_set(objs: Sequence[models.Model], keys: list, using: str) -> None:
    if connections[using].vendor == "sqlite":
        # SQLite does not promise RETURNING rows in the order of VALUES; its keys grow.
        keys.sort()
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = using


def rows_insert_and_update(
    objs: Sequence[models.Model],
    model: type[models.Model],
    pk,
    values: dict,
    *,
    add: dict | None = None,
    using: str = "default",
) -> None:
    """``rows_insert(objs)`` and ``row_update(model, pk, values, add=add)``, all or nothing. On
    PostgreSQL one statement (the UPDATE in a data-modifying ``WITH``), atomic on its own: one
    round trip outside a transaction, where BEGIN, the two statements and COMMIT take four.
    Elsewhere the two statements, in the caller's transaction or a transaction of their own."""
    connection = connections[using]
    if not objs or connection.vendor != "postgresql":
        # Inside a transaction already: part of it, without a savepoint of its own.
        with transaction.atomic(using=using, savepoint=False):
            rows_insert(objs, using=using)
            row_update(model, pk, values, add=add, using=using)
        return
    update_sql, update_params = _update_statement(model, pk, values, add, None, using)
    insert_sql, insert_params = _insert_statement(objs, using)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH updated AS ({update_sql}) {insert_sql}", update_params + insert_params
        )
        keys = [row[0] for row in cursor.fetchall()]
    _keys_set(objs, keys, using)


@lru_cache(maxsize=128)
def _update_sql(
    model: type[models.Model],
    names: tuple[str, ...],
    added: tuple[str, ...],
    using: str,
    unchanged: tuple[str, ...] = (),
) -> str:
    quote = connections[using].ops.quote_name
    sets = [f"{quote(field.column)} = %s" for field in _fields(model, names)]
    sets += [f"{quote(c)} = {quote(c)} + %s" for c in (f.column for f in _fields(model, added))]
    where = [quote(model._meta.pk.column)] + [quote(f.column) for f in _fields(model, unchanged)]
    return (
        f"UPDATE {quote(model._meta.db_table)} SET {', '.join(sets)} "  # noqa: S608
        f"WHERE {' AND '.join(f'{column} = %s' for column in where)}"
    )


def row_update(
    model: type[models.Model],
    pk,
    values: dict,
    *,
    add: dict | None = None,
    unchanged: dict | None = None,
    using: str = "default",
) -> int:
    """``UPDATE`` one row: ``values`` set (each prepared by its field), ``add`` added to the
    columns' current values in the database (``F(name) + n``); with ``unchanged``, only if
    those columns still hold those values (an optimistic lock). The number of rows changed."""
    sql, params = _update_statement(model, pk, values, add, unchanged, using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _update_statement(
    model: type[models.Model],
    pk,
    values: dict,
    add: dict | None,
    unchanged: dict | None,
    using: str,
) -> tuple[str, list]:
    connection = connections[using]
    add, unchanged = add or {}, unchanged or {}
    names, added, kept = tuple(values), tuple(add), tuple(unchanged)
    params = [
        field.get_db_prep_save(values[field.name], connection) for field in _fields(model, names)
    ]
    params += list(add.values())
    params.append(pk)
    params += [
        field.get_db_prep_save(unchanged[field.name], connection) for field in _fields(model, kept)
    ]
    return _update_sql(model, names, added, using, kept), params


@lru_cache(maxsize=32)
def _readers(model: type[models.Model], using: str) -> tuple[str, list[str], list]:
    """The model's columns for a ``SELECT``, their attribute names and, per column, the
    converters the ORM would apply to its value (the backend's, then the field's own
    ``from_db_value``)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    table = model._meta.db_table
    columns, converters = [], []
    for field in model._meta.concrete_fields:
        columns.append(f"{quote(table)}.{quote(field.column)}")
        col = field.get_col(table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        converters.append((col, found))
    names = [field.attname for field in model._meta.concrete_fields]
    return ", ".join(columns), names, converters


def model_columns(model: type[models.Model], *, using: str = "default") -> str:
    """The ``SELECT`` list (every concrete column, table-qualified) that ``rows_read`` reads."""
    return _readers(model, using)[0]


def rows_read(
    model: type[models.Model], sql: str, params: Iterable, *, using: str = "default"
) -> list[models.Model]:
    """Instances of ``model`` from ``sql``, whose ``SELECT`` list is ``model_columns(model)``,
    with each value converted as the ORM converts it (dates on SQLite, JSON, booleans)."""
    return [row[0] for row in rows_read_joined((model,), sql, params, using=using)]


def rows_read_joined(
    models_: Sequence[type[models.Model]], sql: str, params: Iterable, *, using: str = "default"
) -> list[tuple[models.Model | None, ...]]:
    """Per row of ``sql``, an instance of each of ``models_``: its ``SELECT`` list is their
    ``model_columns``, side by side in that order (a join). A model whose primary key is NULL
    in a row (a LEFT JOIN that found nothing) is None there."""
    connection = connections[using]
    readers = [_readers(model, using) for model in models_]
    keys_at = [
        names.index(model._meta.pk.attname)
        for model, (_, names, _) in zip(models_, readers, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        rows = cursor.fetchall()
    found = []
    for row in rows:
        instances: list[models.Model | None] = []
        start = 0
        for model, (_columns, names, converters), key_at in zip(
            models_, readers, keys_at, strict=True
        ):
            values = list(row[start : start + len(names)])
            start += len(names)
            if values[key_at] is None:
                instances.append(None)
                continue
            for index, (col, functions) in enumerate(converters):
                for convert in functions:
                    values[index] = convert(values[index], col, connection)
            instances.append(model.from_db(using, names, values))
        found.append(tuple(instances))
    return found
