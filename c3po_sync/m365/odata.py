"""Verbose OData value helpers: unwrap wire values for readers, compare values for the writer."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

LOOKUP_KINDS = frozenset({"User", "UserMulti", "Lookup", "LookupMulti"})  # read with $expand
# Managed metadata columns are lookups into the site's TaxonomyHiddenList: read without
# $expand (the value is a TaxonomyFieldValue), but each joins like a lookup.
TAXONOMY_KINDS = frozenset({"TaxonomyFieldType", "TaxonomyFieldTypeMulti"})
# What counts against SharePoint's list view lookup threshold, 12 joins per query: lookup,
# person and managed metadata columns (Microsoft, "SharePoint Online limits": "List view lookup
# threshold: 12 join operations per query"; over it SPO answers 500 SPQueryThrottledException).
THRESHOLD_KINDS = LOOKUP_KINDS | TAXONOMY_KINDS
PERSON_KINDS = frozenset({"User", "UserMulti"})
_META_KEYS = ("__metadata", "__deferred")


def unwrap(value: Any) -> Any:
    """Wire value -> plain Python: ``{"results": [...]}`` and ``{0: .., 1: ..}`` become lists.

    Expanded person and lookup values stay dicts without ``__metadata``; an entity that carries
    nothing but metadata (an empty expanded lookup, a deferred link) becomes ``None``.
    """
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "results" in value and set(value) <= {"results", "__metadata"}:
        return [unwrap(v) for v in value["results"] or []]
    if value and all(isinstance(k, int) for k in value):
        return [unwrap(value[k]) for k in sorted(value)]
    plain = {k: unwrap(v) for k, v in value.items() if k not in _META_KEYS}
    if not plain or all(v is None for v in plain.values()):
        return None
    return plain


def item_results(d: Any) -> list[dict[str, Any]]:
    """The rows of a verbose collection payload (``d.results`` or a bare list)."""
    if isinstance(d, dict):
        rows = d.get("results", [])
    else:
        rows = d or []
    return [r for r in rows if isinstance(r, dict)]


def etag_of(raw: dict[str, Any]) -> str | None:
    meta = raw.get("__metadata")
    return meta.get("etag") if isinstance(meta, dict) else None


def item_id_of(raw: dict[str, Any]) -> int:
    value = raw.get("Id", raw.get("ID"))
    if value is None:
        raise ValueError(f"SharePoint item without an Id (fields: {', '.join(sorted(raw)[:8])})")
    return int(value)


# ---- comparison for the writer ---------------------------------------------------------------


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    try:
        return Decimal(str(value).strip().replace(",", "")).normalize()
    except (InvalidOperation, ValueError):
        return None


def _as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
    return None


def _url_parts(value: Any) -> tuple[str, str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        url = value.get("Url") or value.get("url") or ""
        desc = value.get("Description") or value.get("description") or url
        return (str(url), str(desc)) if url else None
    return (str(value), str(value))


def comparable(kind: str, value: Any) -> Any:
    """A canonical form of a column value so equal values compare equal across read and write.

    Empty strings and ``None`` are the same for SharePoint (it stores an empty text as null).
    """
    value = unwrap(value)
    if value is None or value == "":
        return None
    if kind == "DateTime":
        parsed = _as_datetime(value)
        return parsed.astimezone(UTC).replace(microsecond=0) if parsed else str(value)
    if kind in ("Number", "Currency"):
        number = _as_number(value)
        return number if number is not None else str(value)
    if kind == "Boolean":
        flag = _as_bool(value)
        return flag if flag is not None else str(value)
    if kind == "URL":
        return _url_parts(value)
    if kind == "Choice":
        return str(value).strip()
    if kind in ("Text", "Note"):
        return str(value)
    return value


def wire_value(kind: str, value: Any) -> Any:
    """The value to send in a verbose write body for a column of ``kind``."""
    if value is None or value == "":
        return None
    if kind == "DateTime":
        parsed = _as_datetime(value)
        if parsed is None:
            return str(value)
        return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind in ("Number", "Currency"):
        number = _as_number(value)
        if number is None:
            return value
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "Boolean":
        flag = _as_bool(value)
        return flag if flag is not None else value
    if kind == "URL":
        parts = _url_parts(value)
        if parts is None:
            return None
        return {
            "__metadata": {"type": "SP.FieldUrlValue"},
            "Url": parts[0],
            "Description": parts[1],
        }
    if kind in ("Text", "Note", "Choice"):
        return str(value)
    return value
