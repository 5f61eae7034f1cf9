"""PATCH (RFC 7644 §3.5.2) in every provider's dialect: user documents and group changes.

Paths are parsed with scim2-models. The user engine edits the canonical document of
one user in memory (all operations, then one validated write); the group engine turns
operations into row-level membership changes, so a PATCH never rewrites a member list.
Both are hand-written because scim2-models' own `PatchOp.patch` is strict RFC and
refuses the dialects providers send (dotted keys in path-less values, remove by value
list, "False" strings, case variants of ops and names).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from scim2_models import Path
from scim2_models.exceptions import SCIMException
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

from enlist.domain.errors import (
    InvalidPath,
    InvalidSyntax,
    InvalidValue,
    Mutability,
    NoTarget,
    TooMany,
)
from enlist.domain.schema import ENTERPRISE_USER, USER, Kind
from enlist.scim.reading import (
    CANONICAL,
    ENTERPRISE,
    ENTERPRISE_CANONICAL,
    ENTERPRISE_URN,
    GROUP_URN,
    MANAGER_WRITABLE,
    MULTI_PARTS,
    READ_ONLY,
    SUB_CANONICAL,
    USER_URN,
    as_bool,
    canonical_item,
    canonical_value,
    manager_id,
    member_ids,
    strip_urn,
)
from enlist.services.directory import (
    AddMembers,
    GroupChange,
    RemoveMembers,
    RemoveMembersWhere,
    ReplaceMembers,
    SetDisplayName,
    SetExternalId,
)

OPS = ("add", "replace", "remove")


def operations(body: Any, max_operations: int) -> list[tuple[str, str | None, Any]]:
    """The (op, path, value) triples of a PatchOp body, op lower-cased."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A PATCH body must be a JSON object with an Operations list.")
    lowered = {k.lower(): v for k, v in body.items() if isinstance(k, str)}
    ops = lowered.get("operations")
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("A PATCH body needs a non-empty Operations list.")
    if len(ops) > max_operations:
        raise TooMany(
            f"A PATCH may carry at most {max_operations} operations; this one has {len(ops)}."
        )
    out = []
    for number, op in enumerate(ops, 1):
        if not isinstance(op, dict):
            raise InvalidSyntax(f"Operation {number} is not an object.")
        fields = {k.lower(): v for k, v in op.items() if isinstance(k, str)}
        kind = fields.get("op")
        if not isinstance(kind, str) or kind.lower() not in OPS:
            raise InvalidSyntax(f"Operation {number} has op {kind!r}; use add, replace or remove.")
        path = fields.get("path")
        if path is not None and not isinstance(path, str):
            raise InvalidPath(f"Operation {number} has a path that is not a string.")
        out.append(
            (kind.lower(), path.strip() if path and path.strip() else None, fields.get("value"))
        )
    return out


def _parse(path: str) -> Any:
    if "__" in path:
        raise InvalidPath(f"The path {path!r} is not an attribute path.")
    try:
        return Path(path).ast
    except (SCIMException, ValueError, TypeError) as exc:
        raise InvalidPath(f"The path {path!r} could not be read: {exc}.") from None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# --- a filter evaluated against one entry of a multi-valued attribute (a dict) -------


_TEXT_COMPARISONS: dict[CompareOperator, Callable[[str, str], bool]] = {
    CompareOperator.eq: operator.eq,
    CompareOperator.ne: operator.ne,
    CompareOperator.co: lambda left, right: right in left,
    CompareOperator.sw: str.startswith,
    CompareOperator.ew: str.endswith,
    CompareOperator.gt: operator.gt,
    CompareOperator.ge: operator.ge,
    CompareOperator.lt: operator.lt,
    CompareOperator.le: operator.le,
}


class _ItemMatch(FilterVisitor[bool]):
    """Whether one entry of a multi-valued attribute (a dict) matches a value filter: text
    compared case-insensitively, booleans also when sent as "True"/"False" strings."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.item = {k.lower(): v for k, v in item.items()}

    def visit_comparison(self, node: Comparison) -> bool:
        actual = self.item.get(node.attr_path.attr.lower())
        expected = node.value
        if isinstance(expected, bool) or isinstance(actual, bool):
            flag = _flag(actual)
            equal = flag is not None and flag == expected
            if node.op == CompareOperator.eq:
                return equal
            return not equal if node.op == CompareOperator.ne else False
        if actual is None:
            return node.op == CompareOperator.ne
        return _TEXT_COMPARISONS[node.op](str(actual).lower(), str(expected).lower())

    def visit_present(self, node: Present) -> bool:
        return not _empty(self.item.get(node.attr_path.attr.lower()))

    def visit_not(self, node: Not) -> bool:
        return not self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> bool:
        results = [self.visit(t) for t in node.terms]
        return all(results) if node.op == LogicalOperator.and_ else any(results)

    def visit_value_path(self, node: ValuePath) -> bool:
        return False


def _flag(value: Any) -> bool | None:
    """A boolean as providers send it (true, "True", "false"), None when it is none."""
    try:
        return as_bool(value, "") if value is not None else None
    except InvalidValue:
        return None


def _created(node: ValuePath, name: str, part: str | None) -> dict[str, Any]:
    """The entry an add or replace creates when its value path matches none, or noTarget.

    RFC 7644 §3.5.2.3 answers noTarget. Entra ID, though, sets an attribute of a typed entry
    the user may not have yet as `phoneNumbers[type eq "work"].value`, and expects the entry
    to be made: so a path to a sub-attribute whose filter describes the entry, a conjunction
    of `eq` on its sub-attributes, creates it. Anything else (another operator, a whole
    entry as the target) is noTarget: no provider needs it, and a client adds an entry with
    an `add` of the attribute itself.
    """
    subs = SUB_CANONICAL[name]
    described = _described(node.val_filter) if part is not None else None
    if described is None or any(key.lower() not in subs for key in described):
        raise NoTarget(f"No entry of {name} matches {node.val_filter}.")
    return canonical_item(subs, described)


def _described(node: Any) -> dict[str, Any] | None:
    """The entry a conjunction of `eq` describes (`type eq "work"` -> {type: work}), if any."""
    if isinstance(node, Comparison) and node.op == CompareOperator.eq:
        return {node.attr_path.attr: node.value}
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_:
        merged: dict[str, Any] = {}
        for term in node.terms:
            part = _described(term)
            if part is None:
                return None
            merged.update(part)
        return merged
    return None


# --- users ---------------------------------------------------------------------------


def patch_user(doc: dict[str, Any], ops: list[tuple[str, str | None, Any]]) -> dict[str, Any]:
    """Apply every operation to a canonical user document; raises before anything is stored."""
    for kind, path, value in ops:
        if path is None:
            if kind == "remove":
                raise NoTarget("A remove operation needs a path naming what to remove.")
            if not isinstance(value, dict):
                raise InvalidValue(
                    f"An {kind} without a path needs an object of attributes as value."
                )
            _pathless(doc, kind, value)
        else:
            _apply(doc, kind, path, value, explicit=True)
    return doc


def _pathless(doc: dict[str, Any], kind: str, value: dict[str, Any]) -> None:
    for key, item in value.items():
        if not isinstance(key, str):
            continue
        if key.lower() == USER_URN and isinstance(item, dict):
            _pathless(doc, kind, item)
        elif _is_enterprise(key):
            _apply_enterprise(doc, kind, key[len(ENTERPRISE_URN) + 1 :], item, explicit=False)
        elif key.lower().startswith("urn:") and strip_urn(key, (USER_URN,)) == key:
            continue  # an extension this server does not store: ignored, not refused
        else:
            _apply(doc, kind, key, item, explicit=False)


def _is_enterprise(path: str) -> bool:
    lower = path.lower()
    return lower == ENTERPRISE_URN or lower.startswith(ENTERPRISE_URN + ":")


def _apply(doc: dict[str, Any], kind: str, path: str, value: Any, *, explicit: bool) -> None:
    if _is_enterprise(path):
        _apply_enterprise(doc, kind, path[len(ENTERPRISE_URN) + 1 :], value, explicit=explicit)
        return
    stripped = strip_urn(path, (USER_URN,))
    if stripped.lower().startswith("urn:"):
        return  # an extension attribute this server does not store
    node = _parse(stripped)
    if isinstance(node, ValuePath):
        _apply_selection(doc, kind, node, value)
        return
    if not isinstance(node, AttrPath):
        raise InvalidPath(f"The path {path!r} does not name an attribute.")
    name = CANONICAL.get(node.attr.lower())
    if name is None:
        if explicit:
            raise InvalidPath(f"The path {path!r} names no attribute of a User.")
        return
    if name in READ_ONLY:
        if explicit and name not in ("password", "schemas"):
            raise Mutability(f"{name} is read-only and cannot be changed.")
        return
    sub = node.sub_attr
    if name in MULTI_PARTS:
        _apply_multi(doc, kind, name, sub, value)
    elif USER[name].kind is Kind.COMPLEX:
        _apply_complex(doc, kind, name, sub, value)
    elif sub is not None:
        raise InvalidPath(f"{name} has no sub-attribute {sub}.")
    elif name == "active" and kind == "remove":
        # Required in /Schemas: a user always has a status (RFC 7644 §3.5.2 refuses
        # operations incompatible with the schema rather than ignoring them).
        raise InvalidValue(
            "active is required and cannot be removed; set it to false to deactivate the user."
        )
    elif kind == "remove" or _empty(value):
        doc[name] = None
    else:
        doc[name] = value


def _apply_enterprise(
    doc: dict[str, Any], kind: str, rest: str, value: Any, *, explicit: bool
) -> None:
    """An operation on the enterprise extension: the whole of it (`rest` empty) or one of its
    attributes, e.g. `manager` with Entra's bare id string as value."""
    ext: dict[str, Any] = dict(doc.get(ENTERPRISE) or {})
    if not rest:
        if kind == "remove" or _empty(value):
            ext = {}
        elif isinstance(value, dict):
            # like any complex attribute: the sub-attributes given are set, others kept
            for key, item in value.items():
                part = ENTERPRISE_CANONICAL.get(key.lower()) if isinstance(key, str) else None
                if part is not None:
                    _set_enterprise(ext, kind, part, None, item)
        else:
            raise InvalidValue(f"{ENTERPRISE} needs an object of its attributes as value.")
        doc[ENTERPRISE] = ext
        return
    node = _parse(rest)
    if not isinstance(node, AttrPath) or node.uri is not None:
        raise InvalidPath(
            f"{ENTERPRISE}:{rest} does not name an attribute of the enterprise extension."
        )
    part = ENTERPRISE_CANONICAL.get(node.attr.lower())
    if part is None:
        if explicit:
            raise InvalidPath(f"The enterprise extension has no attribute {node.attr}.")
        return
    _set_enterprise(ext, kind, part, node.sub_attr, value)
    doc[ENTERPRISE] = ext


def _set_enterprise(ext: dict[str, Any], kind: str, part: str, sub: str | None, value: Any) -> None:
    attribute = ENTERPRISE_USER[part]
    if attribute.kind is not Kind.COMPLEX:
        if sub is not None:
            raise InvalidPath(f"{part} has no sub-attribute {sub}.")
        ext[part] = None if kind == "remove" or _empty(value) else value
        return
    # manager: kept as its value, which $ref names too; displayName is the manager's own
    if sub is not None:
        sub = sub.lower()
        if attribute.sub(sub) is None:
            raise InvalidPath(f"{part} has no sub-attribute {sub}.")
        if sub not in MANAGER_WRITABLE:
            return  # read-only, computed
        value = {sub: value}
    if kind == "remove":
        ext[part] = None
    elif (
        isinstance(value, dict)
        and value
        and not any(isinstance(k, str) and k.lower() in MANAGER_WRITABLE for k in value)
    ):
        return  # only read-only sub-attributes: the manager stays as it is
    else:
        ext[part] = manager_id(value)


def _apply_complex(doc: dict[str, Any], kind: str, name: str, sub: str | None, value: Any) -> None:
    """An operation on a complex attribute (name) or one of its sub-attributes."""
    parts = dict(doc.get(name) or {})
    if sub is not None:
        part = SUB_CANONICAL[name].get(sub.lower())
        if part is None:
            raise InvalidPath(f"{name} has no sub-attribute {sub}.")
        if kind == "remove" or _empty(value):
            parts.pop(part, None)
        else:
            parts[part] = value
    elif kind == "remove" or _empty(value):
        parts = {}
    else:
        parts.update(dict(canonical_value(name, value).items()))
        parts = {k: v for k, v in parts.items() if not _empty(v)}
    doc[name] = parts


def _apply_multi(doc: dict[str, Any], kind: str, name: str, sub: str | None, value: Any) -> None:
    items: list[dict[str, Any]] = [dict(i) for i in doc.get(name) or []]
    if sub is not None:
        part = SUB_CANONICAL[name].get(sub.lower())
        if part is None:
            raise InvalidPath(f"{name} has no sub-attribute {sub}.")
        if kind == "remove":
            items = [{k: v for k, v in i.items() if k != part} for i in items]
        elif not items:
            items = [{part: value}]
        else:
            for item in items:
                item[part] = value
        doc[name] = items
        return
    if kind == "remove":
        if _empty(value):
            doc[name] = []
            return
        gone = {str(i.get("value", "")).lower() for i in canonical_value(name, value)}
        doc[name] = [i for i in items if str(i.get("value", "")).lower() not in gone]
        return
    incoming = canonical_value(name, value)
    if kind == "replace":
        doc[name] = incoming
        return
    for new in incoming:
        if _truthy(new.get("primary")):
            for item in items:
                item["primary"] = False
        same = [
            i for i in items if str(i.get("value", "")).lower() == str(new.get("value", "")).lower()
        ]
        if same:
            same[0].update(new)
        else:
            items.append(new)
    doc[name] = items


def _truthy(value: Any) -> bool:
    try:
        return value is not None and as_bool(value, "primary")
    except InvalidValue:
        return False


def _apply_selection(doc: dict[str, Any], kind: str, node: ValuePath, value: Any) -> None:
    name = CANONICAL.get(node.attr_path.attr.lower())
    if name not in MULTI_PARTS:
        raise InvalidPath(f"{node.attr_path} is not a multi-valued attribute of a User.")
    subs = SUB_CANONICAL[name]
    part = None
    if node.sub_attr is not None:
        part = subs.get(node.sub_attr.lower())
        if part is None:
            raise InvalidPath(f"{name} has no sub-attribute {node.sub_attr}.")
    items: list[dict[str, Any]] = [dict(i) for i in doc.get(name) or []]
    matched = [i for i in items if _ItemMatch(i).visit(node.val_filter)]
    if kind == "remove":
        if part is None:
            doc[name] = [i for i in items if not _ItemMatch(i).visit(node.val_filter)]
        else:
            for item in matched:
                item.pop(part, None)
            doc[name] = items
        return
    if not matched:
        new = _created(node, name, part)
        items.append(new)
        matched = [new]
    for item in matched:
        if part is not None:
            if _empty(value):
                item.pop(part, None)
            else:
                item[part] = value
        elif isinstance(value, dict):
            item.update(canonical_item(subs, value))
        else:
            raise InvalidValue(f"Replacing entries of {name} needs an object as value.")
    if (part == "primary" and _truthy(value)) or (
        isinstance(value, dict) and _truthy(value.get("primary"))
    ):
        for item in items:
            if item not in matched:
                item["primary"] = False
    doc[name] = items


# --- groups --------------------------------------------------------------------------


def group_changes(ops: list[tuple[str, str | None, Any]], max_members: int) -> list[GroupChange]:
    """Translate PATCH operations on a group into membership set operations."""
    changes: list[GroupChange] = []
    for kind, path, value in ops:
        if path is None:
            if kind == "remove":
                raise NoTarget("A remove operation needs a path naming what to remove.")
            if not isinstance(value, dict):
                raise InvalidValue(
                    f"An {kind} without a path needs an object of attributes as value."
                )
            for key, item in value.items():
                if isinstance(key, str):
                    changes.extend(
                        _group_attribute(kind, strip_urn(key, (GROUP_URN,)), item, explicit=False)
                    )
        else:
            changes.extend(_group_path(kind, strip_urn(path, (GROUP_URN,)), value))
    count = sum(
        len(c.user_ids)
        for c in changes
        if isinstance(c, (AddMembers, RemoveMembers, ReplaceMembers))
    )
    if count > max_members:
        raise TooMany(f"A request may name at most {max_members} members; this one names {count}.")
    return changes


def _group_path(kind: str, path: str, value: Any) -> list[GroupChange]:
    node = _parse(path)
    if isinstance(node, ValuePath):
        if node.attr_path.attr.lower() != "members":
            raise InvalidPath(f"{node.attr_path} is not a multi-valued attribute of a Group.")
        if kind == "remove" and node.sub_attr is None:
            return [RemoveMembersWhere(node.val_filter)]
        if kind == "add" and node.sub_attr is None:
            return [AddMembers(member_ids(value))]
        if kind == "replace" and node.sub_attr is None:
            return [RemoveMembersWhere(node.val_filter), AddMembers(member_ids(value))]
        raise InvalidPath(f"Members have no editable sub-attribute {node.sub_attr}.")
    if not isinstance(node, AttrPath):
        raise InvalidPath(f"The path {path!r} does not name an attribute.")
    if node.sub_attr is not None:
        raise InvalidPath(f"The path {path!r} does not name a writable attribute of a Group.")
    return _group_attribute(kind, node.attr, value, explicit=True)


def _group_attribute(kind: str, attribute: str, value: Any, *, explicit: bool) -> list[GroupChange]:
    name = attribute.lower()
    if name == "displayname":
        if kind == "remove" or _empty(value):
            raise InvalidValue("displayName is required; it can be renamed but not removed.")
        if not isinstance(value, str):
            raise InvalidValue("displayName must be a string.")
        return [SetDisplayName(value)]
    if name == "externalid":
        if kind == "remove" or _empty(value):
            return [SetExternalId(None)]
        if not isinstance(value, str):
            raise InvalidValue("externalId must be a string.")
        return [SetExternalId(value)]
    if name == "members":
        if kind == "add":
            return [AddMembers(member_ids(value))]
        if kind == "replace":
            return [ReplaceMembers(member_ids(value))]
        if _empty(value):
            return [ReplaceMembers([])]
        return [RemoveMembers(member_ids(value))]
    if name in ("id", "meta", "schemas") or name.startswith("urn:"):
        if explicit and name not in ("schemas",) and not name.startswith("urn:"):
            raise Mutability(f"{attribute} is read-only and cannot be changed.")
        return []
    if explicit:
        raise InvalidPath(f"The path {attribute!r} names no attribute of a Group.")
    return []
