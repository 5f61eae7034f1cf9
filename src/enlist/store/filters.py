"""Compile scim2-models filter trees to SQL WHERE clauses (a FilterVisitor over their AST).

Every comparison becomes a two-valued SQL predicate (never NULL), so that `not (...)`
means exactly what the in-memory evaluation of scim2-models means. Multi-valued
attributes (emails, members, groups) compile to EXISTS over their own rows, so no
filter ever loads a collection into Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, String, and_, false, not_, or_, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from enlist.domain.errors import InvalidFilter, Sensitive
from enlist.domain.schema import SENSITIVE, Kind


@dataclass(frozen=True)
class Column:
    """A single-valued attribute: a SQL column and how it compares (text, exact, bool or
    datetime)."""

    sql: ColumnElement[Any]
    kind: Kind


@dataclass(frozen=True)
class Collection:
    """A multi-valued attribute stored as rows: `rows(condition)` gives EXISTS over them."""

    rows: Callable[[ColumnElement[bool]], ColumnElement[bool]]
    fields: Mapping[str, Column]
    default: str = "value"


Filterable = Column | Collection


class SqlFilter(FilterVisitor[ColumnElement[bool]]):
    """Turn a filter tree into a SQLAlchemy boolean expression over one resource table."""

    def __init__(self, attributes: Mapping[str, Filterable], schema_urns: frozenset[str]) -> None:
        self.attributes = attributes
        self.schema_urns = schema_urns

    # resolution -----------------------------------------------------------------
    def _key(self, path: AttrPath) -> tuple[str, str | None]:
        name = path.attr.lower()
        if path.uri is not None and path.uri.lower() not in self.schema_urns:
            # an extension's attributes are keyed by their full URN ("urn:...:user:department")
            prefix = path.uri.lower() + ":"
            if not any(key.startswith(prefix) for key in self.attributes):
                raise InvalidFilter(f"The filter names the unknown schema {path.uri}.")
            return prefix + name, path.sub_attr.lower() if path.sub_attr else None
        if name in SENSITIVE:
            raise Sensitive("Filtering on password is not allowed.")
        return name, path.sub_attr.lower() if path.sub_attr else None

    def _lookup(self, path: AttrPath) -> tuple[Filterable, str | None]:
        name, sub = self._key(path)
        if sub is not None and f"{name}.{sub}" in self.attributes:
            return self.attributes[f"{name}.{sub}"], None
        attribute = self.attributes.get(name)
        if attribute is None:
            raise InvalidFilter(
                f"The filter names the attribute {path}, which cannot be filtered on."
            )
        if isinstance(attribute, Column) and sub is not None:
            raise InvalidFilter(f"The attribute {path.attr} has no sub-attribute {path.sub_attr}.")
        return attribute, sub

    def _field(self, collection: Collection, sub: str | None, path: AttrPath) -> Column:
        field = collection.fields.get(sub or collection.default)
        if field is None:
            raise InvalidFilter(
                f"The filter names the attribute {path}, which cannot be filtered on."
            )
        return field

    # visiting -------------------------------------------------------------------
    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        attribute, sub = self._lookup(node.attr_path)
        if isinstance(attribute, Column):
            return compare(attribute, node.op, node.value, node.attr_path)
        field = self._field(attribute, sub, node.attr_path)
        if node.value is None and node.op in (CompareOperator.eq, CompareOperator.ne):
            # scim2-models reads an absent collection as one null value, so `eq null`
            # also matches resources without rows, and `ne null` needs at least one row
            null = attribute.rows(field.sql.is_(None))
            if node.op == CompareOperator.eq:
                return or_(not_(attribute.rows(true())), null)
            return and_(attribute.rows(true()), not_(null))
        if node.op == CompareOperator.ne:
            # "no value equals the operand", as scim2-models evaluates ne on a collection
            matched = compare(field, CompareOperator.eq, node.value, node.attr_path)
            return not_(attribute.rows(matched))
        return attribute.rows(compare(field, node.op, node.value, node.attr_path))

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        name, sub = self._key(node.attr_path)
        if sub is None and name not in self.attributes:
            # a complex attribute such as `name` is present when any of its parts is
            parts = [
                a
                for key, a in self.attributes.items()
                if key.startswith(f"{name}.") and isinstance(a, Column)
            ]
            if parts:
                return or_(*(present(part) for part in parts))
        attribute, sub = self._lookup(node.attr_path)
        if isinstance(attribute, Column):
            return present(attribute)
        if sub is None:
            return attribute.rows(true())
        return attribute.rows(present(self._field(attribute, sub, node.attr_path)))

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        parts = [self.visit(term) for term in node.terms]
        return and_(*parts) if node.op == LogicalOperator.and_ else or_(*parts)

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        attribute, sub = self._lookup(node.attr_path)
        if not isinstance(attribute, Collection) or sub is not None:
            raise InvalidFilter(
                f"{node.attr_path}[...] selects values of an attribute that holds only one value."
            )
        inner = SqlFilter(attribute.fields, frozenset())
        return attribute.rows(inner.visit(node.val_filter))


class by_code_point(FunctionElement[str]):
    """A text expression ordered by code point, as scim2-models (Python) orders strings.

    SQLite's default BINARY collation already does; PostgreSQL orders by the database's
    collation (en_US puts "a" before "E"), so there the expression gets COLLATE "C".
    """

    type = String()
    name = "by_code_point"
    inherit_cache = True


@compiles(by_code_point)
def _as_is(element: by_code_point, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(by_code_point, "postgresql")
def _collate_c(element: by_code_point, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "C"'


def present(column: Column) -> ColumnElement[bool]:
    if column.kind in (Kind.TEXT, Kind.EXACT):
        return and_(column.sql.is_not(None), column.sql != "")
    return column.sql.is_not(None)


_ORDER = {
    CompareOperator.gt: lambda c, v: c > v,
    CompareOperator.ge: lambda c, v: c >= v,
    CompareOperator.lt: lambda c, v: c < v,
    CompareOperator.le: lambda c, v: c <= v,
}


def compare(column: Column, op: CompareOperator, value: Any, path: AttrPath) -> ColumnElement[bool]:
    """One comparison, two-valued: a NULL attribute matches only `ne` (and `eq null`)."""
    col = column.sql
    if column.kind is Kind.BOOL and op not in (CompareOperator.eq, CompareOperator.ne):
        raise InvalidFilter(f"{path} is true or false; only eq and ne apply to it.")
    if value is None:
        if op == CompareOperator.eq:
            return col.is_(None)
        if op == CompareOperator.ne:
            return col.is_not(None)
        return false()
    operand = _operand(column, op, value, path)
    if op == CompareOperator.eq:
        return and_(col.is_not(None), col == operand)
    if op == CompareOperator.ne:
        return or_(col.is_(None), col != operand)
    if op in _ORDER:
        ordered = by_code_point(col) if column.kind in (Kind.TEXT, Kind.EXACT) else col
        return and_(col.is_not(None), _ORDER[op](ordered, operand))
    if op == CompareOperator.sw:
        return and_(col.is_not(None), col.startswith(operand, autoescape=True))
    if op == CompareOperator.ew:
        return and_(col.is_not(None), col.endswith(operand, autoescape=True))
    return and_(col.is_not(None), col.contains(operand, autoescape=True))


def _operand(column: Column, op: CompareOperator, value: Any, path: AttrPath) -> Any:
    if column.kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise InvalidFilter(f"{path} is true or false; compare it with true or false.")
        return value
    if column.kind is Kind.DATETIME:
        if not isinstance(value, str):
            raise InvalidFilter(
                f"{path} is a date and time; compare it with a quoted ISO 8601 value."
            )
        if op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
            raise InvalidFilter(f"{path} is a date and time; co, sw and ew do not apply to it.")
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFilter(f"{value!r} is not an ISO 8601 date and time.") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        # SQLite stores UTC wall time and ignores the zone; PostgreSQL needs it.
        return moment.astimezone(UTC)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidFilter(f"{path} holds text; compare it with a quoted string.")
    text = str(value)
    if "\x00" in text:  # no value holds one (PostgreSQL cannot), nor can it compare with one
        raise InvalidFilter(
            f"{path} is compared with a NUL character (\\u0000), which no value holds."
        )
    return text.lower() if column.kind is Kind.TEXT else text
