"""Value transforms: one SharePoint wire value in, one canonical value out, or a TransformError."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from c3po_sync.normalize.dates import make_date, make_datetime
from c3po_sync.normalize.errors import TransformError, UnknownValue
from c3po_sync.normalize.numbers import make_currency, make_int, make_number, with_range

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


def make_choice(synonyms: dict[str, str], allowed: Iterable[str], where: str = "") -> Transform:
    """Maps synonyms (case- and space-insensitive) onto canonical values.

    An unknown value is kept as typed and reported (``UnknownValue``), never made missing: a
    rule that needs it can then say "unknown", and the report says where to map it (``where``).
    """
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
        raise UnknownValue(
            f"unknown value {s!r}{where}; kept as typed (allowed: {', '.join(allowed)})", s
        )

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
    "bool": _bool,
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
    formats: Iterable[str] = (),
    excel_serial: bool = False,
    exponent: bool = False,
    percent: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    unit: str | None = None,
    where: str = "",
) -> Transform:
    """Compiles one transform with its options; the mapping loader has already checked them.

    ``where`` ("for lifecycle_stage (map it in mappings/x.yaml)") goes into unknown-choice
    reports so the PPM knows which file to edit.
    """
    if name == "person" and name_fallback:
        return _person_or_name
    if name in _SIMPLE:
        return _SIMPLE[name]
    if name == "date":
        return make_date(tz, formats, excel_serial)
    if name == "datetime":
        return make_datetime(tz)
    if name == "number":
        return with_range(make_number(exponent, percent), minimum, maximum)
    if name == "currency":
        return with_range(make_currency(exponent, unit), minimum, maximum)
    if name == "int":
        return with_range(make_int(exponent), minimum, maximum)
    if name == "choice":
        return make_choice(synonyms or {}, allowed, where)
    if name == "multi":
        return make_multi(separator)
    if name == "taxonomy":
        return make_taxonomy(terms or {})
    raise KeyError(f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}")
