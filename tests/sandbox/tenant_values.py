"""Walks a tenant dict's column values and checks each against its field: shared by the demo and
generator tests, so both hold fixtures to one definition of a valid value."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

SYSTEM_KEYS = frozenset({"id", "Title", "created", "modified", "author", "editor", "version"})


def column_values(tenant: dict) -> Iterator[tuple[str, str, Any, dict, Any]]:
    """(site url, list title, item id or file path, field, value) for every column value."""
    for site in tenant["sites"]:
        for lst in site["lists"]:
            fields = {f["name"]: f for f in lst["fields"]}
            rows = [(it["id"], it) for it in lst.get("items") or []]
            rows += [(f["path"], f.get("values") or {}) for f in lst.get("files") or []]
            for rid, row in rows:
                for name, value in row.items():
                    if name not in SYSTEM_KEYS:
                        yield site["url"], lst["title"], rid, fields[name], value


def value_ok(fld: dict, value: Any, emails: set[str]) -> bool:
    """Whether a natural-form value is valid for its field kind (docs/tenant-format.md)."""
    kind = fld["kind"]
    if value is None:
        return True
    if kind in ("Text", "Note"):
        return isinstance(value, str)
    if kind in ("Number", "Currency"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "DateTime":
        return isinstance(value, date) and (not isinstance(value, datetime) or value.tzinfo)
    if kind == "Choice":
        return value in fld["choices"]
    if kind == "MultiChoice":
        return isinstance(value, list) and all(v in fld["choices"] for v in value)
    if kind == "User":
        return value in emails
    if kind == "URL":
        return set(value) == {"url", "description"} and value["url"].startswith("https://")
    if kind == "TaxonomyFieldType":
        return set(value) == {"label", "term_guid"}
    return False
