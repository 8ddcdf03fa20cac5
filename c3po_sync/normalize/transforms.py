"""Value transforms: one SharePoint wire value in, one canonical value out, or a TransformError."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from c3po_sync.normalize.errors import TransformError

Transform = Callable[[Any], Any]
"""A compiled transform: raw value -> canonical value (None when empty); raises TransformError."""

# Canonical column type each transform produces (checked against the schema at load time).
OUTPUT_TYPES: dict[str, str] = {
    "text": "str",
    "number": "float",
    "currency": "float",
    "int": "int",
    "bool": "bool",
    "date": "date",
    "datetime": "datetime",
    "choice": "str",
    "person": "str",
    "person_name": "str",
    "people": "list",
    "multi": "list",
    "url": "str",
    "taxonomy": "str",
    "lookup": "str",
}
TRANSFORMS: tuple[str, ...] = tuple(OUTPUT_TYPES)
DEFAULT_FOR_TYPE: dict[str, str] = {
    "str": "text",
    "float": "number",
    "int": "int",
    "bool": "bool",
    "date": "date",
    "datetime": "datetime",
    "list": "multi",
}
EXPANDED: dict[str, tuple[str, ...]] = {
    # transforms whose column must be $expand-ed, and the sub-fields to $select
    "person": ("Title", "EMail"),
    "person_name": ("Title", "EMail"),
    "people": ("Title", "EMail"),
    "lookup": ("Id", "Title"),
}


def _is_empty(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, str) and not v.strip())
        or (
            isinstance(v, float) and v != v  # NaN
        )
    )


def as_list(v: Any) -> list[Any]:
    """Unwraps every multi-value shape seen on the wire into a plain list.

    Verbose ``{"results": [...]}``, the 3.x client's ``{0: a, 1: b}`` and plain lists all occur.
    """
    if v is None:
        return []
    if isinstance(v, list | tuple):
        return list(v)
    if isinstance(v, dict):
        if "results" in v:
            return as_list(v["results"])
        if v and all(isinstance(k, int) for k in v):
            return [v[k] for k in sorted(v)]
    return [v]


def _text(v: Any) -> str | None:
    if _is_empty(v):
        return None
    if isinstance(v, bool) or isinstance(v, dict | list):
        raise TransformError(f"expected text, got {type(v).__name__}")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?$|^[+-]?\.\d+$")


def _number(v: Any) -> float | None:
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        raise TransformError("expected a number, got a boolean")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if _NUMBER.match(s):
            return float(s.replace(",", ""))
    raise TransformError(f"not a number: {v!r}")


_CURRENCY = re.compile(
    r"""^\s*(?P<neg1>-|\()?\s*(?:USD|US\$|\$)?\s*(?P<neg2>-)?\s*
    (?P<num>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)\s*
    (?P<suf>k|thousand|m|mm|mil|million|b|bn|billion)?\s*(?:USD)?\s*(?P<close>\))?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_MULTIPLIERS = {
    None: 1,
    "k": 1_000,
    "thousand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}


def _currency(v: Any) -> float | None:
    """Accepts what people type into a Text "Cost" column: $1,200,000 · 1.2M · $950K · (1,000)."""
    if _is_empty(v):
        return None
    if isinstance(v, bool):
        raise TransformError("expected an amount, got a boolean")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        m = _CURRENCY.match(v)
        if m and (m["neg1"] == "(") == bool(m["close"]):
            suf = m["suf"].lower() if m["suf"] else None
            try:
                amount = Decimal(m["num"].replace(",", "")) * _MULTIPLIERS[suf]
            except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
                raise TransformError(f"not an amount: {v!r}") from exc
            negative = m["neg1"] in ("-", "(") or m["neg2"] == "-"
            return float(-amount if negative else amount)
    raise TransformError(f"not an amount: {v!r} (expected e.g. $1,200,000, 1.2M or $950K)")


def _int(v: Any) -> int | None:
    f = _number(v)
    if f is None:
        return None
    if not f.is_integer():
        raise TransformError(f"not a whole number: {v!r}")
    return int(f)


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def _bool(v: Any) -> bool | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise TransformError(f"not a yes/no value: {v!r}")


@lru_cache(maxsize=65536)
def _parse_instant(s: str) -> datetime | date:
    s = s.strip()
    if len(s) == 10:
        return date.fromisoformat(s)
    dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    if dt.tzinfo is None:  # SharePoint sends UTC; a bare timestamp means UTC too
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _instant(v: Any) -> datetime | date:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return _parse_instant(v)
        except ValueError as exc:
            raise TransformError(f"not an ISO date: {v!r}") from exc
    raise TransformError(f"expected an ISO date string, got {type(v).__name__}")


def make_date(tz: ZoneInfo) -> Transform:
    """Date-only columns arrive as the UTC instant of site-local midnight; take the local date."""

    @lru_cache(maxsize=65536)
    def local_date(s: str) -> date:
        inst = _instant(s)
        return inst.astimezone(tz).date() if isinstance(inst, datetime) else inst

    def convert(v: Any) -> date | None:
        if _is_empty(v):
            return None
        if isinstance(v, str):
            return local_date(v)
        inst = _instant(v)
        return inst.astimezone(tz).date() if isinstance(inst, datetime) else inst

    return convert


def parse_datetime(v: Any) -> datetime | None:
    """An ISO instant as a UTC datetime (also used for the records' ``Modified``)."""
    if _is_empty(v):
        return None
    inst = _instant(v)
    if not isinstance(inst, datetime):
        return datetime(inst.year, inst.month, inst.day, tzinfo=UTC)
    return inst


def make_choice(synonyms: dict[str, str], allowed: Iterable[str]) -> Transform:
    """Maps synonyms (case- and space-insensitive) onto canonical values; unknown values fail."""
    allowed = list(allowed)
    canon = {_fold(a): a for a in allowed}
    syn = {_fold(k): canon.get(_fold(val), val) for k, val in synonyms.items()}

    def convert(v: Any) -> str | None:
        s = _text(v)
        if s is None:
            return None
        f = _fold(s)
        if f in syn:
            return syn[f]
        if not allowed:
            return s
        if f in canon:
            return canon[f]
        raise TransformError(f"unknown choice {s!r} (allowed: {', '.join(allowed)})")

    return convert


def _fold(s: str) -> str:
    return " ".join(s.split()).casefold()


def _person_dict(v: Any) -> dict | None:
    if _is_empty(v):
        return None
    if isinstance(v, list | tuple) or (isinstance(v, dict) and "results" in v):
        items = as_list(v)
        if not items:
            return None
        if len(items) > 1:
            raise TransformError(f"expected one person, got {len(items)}")
        v = items[0]
    if isinstance(v, int) and not isinstance(v, bool):
        raise TransformError(f"person not expanded (got user id {v}); $expand the column")
    if not isinstance(v, dict):
        raise TransformError(f"expected a person {{Title, EMail}}, got {type(v).__name__}")
    return v


def _email_of(d: dict) -> str | None:
    email = d.get("EMail") or d.get("Email") or d.get("email")
    if isinstance(email, str) and email.strip():
        return email.strip().lower()
    if d.get("Title") is None and d.get("LookupValue") is None:
        return None  # an empty expanded person: {"Title": null, "EMail": null}
    name = d.get("Title") or d.get("LookupValue")
    raise TransformError(f"person {name!r} has no e-mail (a group, or an account without mail)")


def _person(v: Any) -> str | None:
    d = _person_dict(v)
    return None if d is None else _email_of(d)


def _person_or_name(v: Any) -> str | None:
    """For columns whose schema takes "e-mail or name" (author): app accounts have no mail."""
    d = _person_dict(v)
    if d is None:
        return None
    try:
        return _email_of(d)
    except TransformError:
        return _person_name(d)


def _person_name(v: Any) -> str | None:
    d = _person_dict(v)
    if d is None:
        return None
    name = d.get("Title") or d.get("LookupValue")
    return name.strip() if isinstance(name, str) and name.strip() else None


def _people(v: Any) -> list[str] | None:
    items = as_list(v)
    out = [e for e in (_person(i) for i in items) if e]
    return out or None


def make_multi(separator: str) -> Transform:
    def convert(v: Any) -> list[str] | None:
        if _is_empty(v):
            return None
        items = v.split(separator) if isinstance(v, str) else as_list(v)
        out = [t for t in (_text(i) for i in items) if t]
        return out or None

    return convert


def _url(v: Any) -> str | None:
    if _is_empty(v):
        return None
    if isinstance(v, dict):
        u = v.get("Url") or v.get("url")
        return u.strip() if isinstance(u, str) and u.strip() else None
    if isinstance(v, str):  # the form ValidateUpdateListItem echoes: "https://x, Description"
        return v.split(", ", 1)[0].strip()
    raise TransformError(f"expected a URL {{Url, Description}}, got {type(v).__name__}")


def make_taxonomy(terms: dict[str, str]) -> Transform:
    """REST gives single terms with ``Label`` = WssId, so a term map by TermGuid may be needed."""
    by_guid = {k.lower(): val for k, val in terms.items()}

    def one(t: Any) -> str | None:
        if _is_empty(t):
            return None
        if isinstance(t, str):  # "Label|guid" as written by ValidateUpdateListItem
            return t.split("|", 1)[0].strip() or None
        if not isinstance(t, dict):
            raise TransformError(f"expected a taxonomy value, got {type(t).__name__}")
        guid = str(t.get("TermGuid") or "").lower()
        if guid in by_guid:
            return by_guid[guid]
        label = t.get("Label")
        if label is None:
            return None
        label = str(label)
        if t.get("WssId") is not None and label == str(t.get("WssId")):
            raise TransformError(
                f"taxonomy Label {label!r} is the WssId, not the term; add TermGuid "
                f"{guid or '?'} to the field's `terms` map"
            )
        return label

    def convert(v: Any) -> str | None:
        items = (
            as_list(v)
            if isinstance(v, list | tuple) or (isinstance(v, dict) and "results" in v)
            else [v]
        )
        labels = [x for x in (one(i) for i in items) if x]
        return "; ".join(labels) if labels else None

    return convert


def _lookup(v: Any) -> str | None:
    if _is_empty(v):
        return None
    items = as_list(v) if not isinstance(v, dict) or "results" in v else [v]
    titles = []
    for i in items:
        if isinstance(i, dict):
            t = i.get("Title", i.get("LookupValue"))
            if t is not None and str(t).strip():
                titles.append(str(t).strip())
        elif isinstance(i, int) and not isinstance(i, bool):
            raise TransformError(f"lookup not expanded (got id {i}); $expand the column")
        else:
            raise TransformError(f"expected a lookup {{Id, Title}}, got {type(i).__name__}")
    return "; ".join(titles) if titles else None


_SIMPLE: dict[str, Transform] = {
    "text": _text,
    "number": _number,
    "currency": _currency,
    "int": _int,
    "bool": _bool,
    "datetime": parse_datetime,
    "person": _person,
    "person_name": _person_name,
    "people": _people,
    "url": _url,
    "lookup": _lookup,
}


def build_transform(
    name: str,
    tz: ZoneInfo,
    *,
    synonyms: dict[str, str] | None = None,
    allowed: Iterable[str] = (),
    separator: str = ";",
    terms: dict[str, str] | None = None,
    name_fallback: bool = False,
) -> Transform:
    """Compiles one transform with its options; the mapping loader has already checked the name."""
    if name == "person" and name_fallback:
        return _person_or_name
    if name in _SIMPLE:
        return _SIMPLE[name]
    if name == "date":
        return make_date(tz)
    if name == "choice":
        return make_choice(synonyms or {}, allowed)
    if name == "multi":
        return make_multi(separator)
    if name == "taxonomy":
        return make_taxonomy(terms or {})
    raise KeyError(f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}")
