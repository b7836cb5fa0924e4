"""Model instances from one raw SQL read, for the reads every request makes (issue #18).

Building a query through the ORM costs more than running it: the session's user (with its
agency and the second-factor check) took a quarter of a case page's CPU in the ORM's compiler,
the case's index row another sixth. Here the SELECT is written once per model and process, the
row is converted by the very converters the ORM applies (the backend's and the field's: SQLite
gives times as text, JSON as text …), and the instance is made by ``Model.from_db`` as the ORM
makes it. The tests hold every field to what the ORM loads, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


Plan = tuple[str, list[str], list[tuple[int, Any, list[Converter]]]]
_plans: dict[tuple[str, str], Plan] = {}


def _plan(model: type[models.Model]) -> Plan:
    """The model's columns for a SELECT list (qualified by its table), their attribute names,
    and per column that needs it the converters to apply (the backend's: kept per vendor)."""
    key = (model._meta.label, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        table = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(table)}.{quote(field.column)}" for field in fields)
        converters = []
        for i, field in enumerate(fields):
            col = field.get_col(table)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if found:
                converters.append((i, col, found))
        plan = _plans[key] = (columns, [field.attname for field in fields], converters)
    return plan


def columns(model: type[models.Model]) -> str:
    """The SELECT list of the model's concrete fields, each qualified by the model's table."""
    return _plan(model)[0]


def width(model: type[models.Model]) -> int:
    return len(_plan(model)[1])


def instance(model: type[M], values: Sequence[Any]) -> M:
    """The instance the ORM would make of this row (the model's columns, in :func:`columns`'
    order)."""
    _, names, converters = _plan(model)
    row = list(values)
    for i, col, found in converters:
        value = row[i]
        for convert in found:
            value = convert(value, col, connection)
        row[i] = value
    return model.from_db(connection.alias, names, row)
