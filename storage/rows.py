"""Rows written with plain INSERTs, and, in a batching unit of work, all at once.

The ORM's unit of work costs more than the write itself on the ingest path: building a
SQLModel object, tracking it in the identity map, sorting and flushing it (a profile put
its flushes at 40 % of ingest under SQLite's write lock). Rows nothing reads back as
objects in the same unit of work (audit events, outbox rows, cards, clocks, holds) go
through `add`: by default still `session.add` of the model, exactly as before, so every
other path behaves as it always did; in a unit of work that called `batch` (intake: a
group commit of many posts) they are kept as plain dicts and written at commit with one
`executemany` per table (`write`, also called by the few queries that read these
tables back, so a read always sees what was written before it).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Any, TypeVar

from pydantic_core import PydanticUndefined
from sqlalchemy import Table, event, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)

BUFFER = "casebot.rows"
"""`session.info` key of the pending rows: a flat list of (table, row), so that a group
commit's savepoint snapshot (a shallow copy of `session.info`'s lists) takes back
exactly the rows of a post whose savepoint was rolled back."""


def batch(session: Session) -> None:
    """From now on `add` keeps rows until `write` (at the latest, at commit)."""
    session.info.setdefault(BUFFER, [])


def add(session: Session, model: type[SQLModel], **values: Any) -> None:
    """One row of `model`: queued when batching, else added to the session as an object."""
    pending: list[tuple[Table, dict[str, Any]]] | None = session.info.get(BUFFER)
    if pending is None:
        session.add(model(**values))
        return
    for name, default in _defaults(model):
        if name not in values:
            values[name] = default()
    pending.append((model.__table__, values))  # type: ignore[attr-defined]


@cache
def _defaults(model: type[SQLModel]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """The model's field defaults the table itself does not have (JSON columns' empty
    lists and dicts): what the object would have been given, so a plain row is the same."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    found = []
    for name, info in model.model_fields.items():
        column = table.columns.get(name)
        if column is None or column.primary_key or column.default is not None:
            continue
        if info.default_factory is not None:
            found.append((name, info.default_factory))
        elif info.default is not PydanticUndefined and info.default is not None:
            found.append((name, partial(_same, info.default)))
    return tuple(found)


def _same(value: Any) -> Any:
    return value


def insert_id(session: Session, model: type[SQLModel], **values: Any) -> int:
    """Insert one row now (a plain INSERT … RETURNING id, no object, no flush): for rows
    whose id the caller needs, or that a later post of the same batch looks up."""
    return int(session.execute(_returning_id(model.__table__), values).scalar_one())  # type: ignore[attr-defined]


@cache
def _returning_id(table: Table) -> Any:
    """Built once a table: a statement object keeps its cache key."""
    return insert(table).returning(table.c.id)


def insert_object(session: Session, obj: M) -> M:
    """Insert the object's row with a plain INSERT … RETURNING id and make it one of
    the session's objects as if it had been loaded: later reads of it (`session.get`)
    find it without a query, and changes to it are flushed as updates. What it saves is
    the flush cycle, which costs several times the INSERT."""
    table: Table = type(obj).__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(obj, c.name) for c in table.columns if not c.primary_key}
    obj.id = int(session.execute(_returning_id(table), values).scalar_one())  # type: ignore[attr-defined]
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def write(session: Session) -> None:
    """Write the queued rows: one `executemany` per table and set of columns, tables in
    the order they were first queued (each refers only to rows written before it)."""
    pending: list[tuple[Table, dict[str, Any]]] | None = session.info.get(BUFFER)
    if not pending:
        return
    groups: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = {}
    for table, values in pending:
        groups.setdefault((table, tuple(values)), []).append(values)
    pending.clear()
    for (table, _), rows in groups.items():
        session.execute(_insert(table), rows)


@cache
def _insert(table: Table) -> Any:
    return insert(table)


@event.listens_for(Session, "before_commit")
def _write_at_commit(session: Session) -> None:
    write(session)
