"""Field definitions of the sandbox model and conversion of write bodies to wire values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.model_limits import check_date, check_text, check_url, date_only_instant
from c3po_sync.sandbox.odata_filter import canonical_datetime

FieldKind = Literal[
    "Text",
    "Note",
    "Number",
    "Currency",
    "Integer",
    "DateTime",
    "Boolean",
    "Choice",
    "MultiChoice",
    "User",
    "UserMulti",
    "Lookup",
    "LookupMulti",
    "URL",
    "TaxonomyFieldType",
    "Counter",
    "Computed",
    "File",
    "Guid",
]

FIELD_TYPE_KIND: dict[str, int] = {
    "Integer": 1,
    "Text": 2,
    "Note": 3,
    "DateTime": 4,
    "Counter": 5,
    "Choice": 6,
    "Lookup": 7,
    "LookupMulti": 7,
    "Boolean": 8,
    "Number": 9,
    "Currency": 10,
    "URL": 11,
    "Computed": 12,
    "Guid": 14,
    "MultiChoice": 15,
    "File": 18,
    "User": 20,
    "UserMulti": 20,
    "TaxonomyFieldType": 0,
}
KIND_BY_TYPE_KIND: dict[int, str] = {
    1: "Integer",
    2: "Text",
    3: "Note",
    4: "DateTime",
    6: "Choice",
    7: "Lookup",
    8: "Boolean",
    9: "Number",
    10: "Currency",
    11: "URL",
    15: "MultiChoice",
    20: "User",
}
USER_KINDS = {"User", "UserMulti"}
FIELD_NS = uuid.UUID("6b1e5a2c-47a1-4c4e-9d3b-5a1f0c3e2d10")


def encode_internal_name(title: str) -> str:
    """SharePoint's internal name for a display name: `_xHHHH_` escapes, at most 32 characters."""
    out = []
    for ch in title:
        out.append(ch if (ch.isascii() and (ch.isalnum() or ch == "_")) else f"_x{ord(ch):04x}_")
    return "".join(out)[:32]


def decode_internal_name(name: str) -> str:
    """Display form of an internal name (`Due_x0020_Date` -> `Due Date`)."""
    import re

    return re.sub(r"_x([0-9a-fA-F]{4})_", lambda m: chr(int(m.group(1), 16)), name)


def entity_name(internal_name: str) -> str:
    """OData property name: a leading underscore becomes `OData__`."""
    return "OData_" + internal_name if internal_name.startswith("_") else internal_name


@dataclass
class Field:
    id: str
    internal_name: str
    title: str
    kind: str
    indexed: bool = False
    required: bool = False
    choices: list[str] = field(default_factory=list)
    lookup_list: str | None = None
    lookup_field: str = "Title"
    hidden: bool = False
    read_only: bool = False
    builtin: bool = False
    date_only: bool = False

    @property
    def type_kind(self) -> int:
        return FIELD_TYPE_KIND.get(self.kind, 2)

    @property
    def type_as_string(self) -> str:
        return self.kind

    def entity_property_names(self) -> list[str]:
        """Names this field has in an item entity (`AssignedTo` -> `AssignedToId`, `…StringId`)."""
        name = entity_name(self.internal_name)
        if self.kind in USER_KINDS:
            return [name + "Id"] if self.builtin else [name + "Id", name + "StringId"]
        if self.kind in ("Lookup", "LookupMulti"):
            return [name + "Id"]
        return [name]


def _builtin(name: str, title: str, kind: str, **opts: Any) -> Field:
    fid = str(uuid.uuid5(FIELD_NS, "builtin:" + name))
    return Field(fid, name, title, kind, builtin=True, **opts)


def builtin_fields(library: bool) -> list[Field]:
    """Fields every list (and every library) has; values of most come from Item attributes."""
    fields = [
        _builtin("ID", "ID", "Counter", indexed=True, read_only=True),
        _builtin("Title", "Title", "Text", required=not library),
        _builtin("Modified", "Modified", "DateTime", read_only=True),
        _builtin("Created", "Created", "DateTime", read_only=True),
        _builtin("Author", "Created By", "User", read_only=True),
        _builtin("Editor", "Modified By", "User", read_only=True),
        _builtin("_UIVersionString", "Version", "Text", read_only=True),
        _builtin("GUID", "GUID", "Guid", read_only=True, hidden=True),
        _builtin("FSObjType", "Item Type", "Integer", read_only=True, hidden=True),
        _builtin("FileRef", "URL Path", "Text", read_only=True, hidden=True),
        _builtin("FileDirRef", "Path", "Text", read_only=True, hidden=True),
        _builtin("FileLeafRef", "Name", "File", required=library),
    ]
    if library:
        fields.append(
            _builtin("File_x0020_Size", "File Size", "Integer", read_only=True, hidden=True)
        )
    else:
        fields.append(_builtin("Attachments", "Attachments", "Boolean", read_only=True))
    return fields


SYSTEM_NAMES = {
    "ID",
    "Modified",
    "Created",
    "Author",
    "Editor",
    "_UIVersionString",
    "GUID",
    "FSObjType",
    "FileRef",
    "FileDirRef",
    "FileLeafRef",
    "File_x0020_Size",
    "Attachments",
}


def _results(value: Any, where: str) -> list:
    if value is None:
        return []
    if isinstance(value, dict):
        if "results" not in value:
            raise BadRequest(f"A collection value for '{where}' must carry 'results'.")
        value = value["results"]
    if not isinstance(value, list):
        raise BadRequest(f"A collection value was expected for '{where}'.")
    return value


def _num(value: Any, where: str, cast: type = float) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadRequest(
            f"Cannot convert the literal '{value}' to the expected type for '{where}'."
        )
    try:
        out = cast(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(
            f"Cannot convert the literal '{value}' to the expected type for '{where}'."
        ) from exc
    if cast is float and float(out).is_integer():
        return int(out)
    return out


def to_date_wire(value: Any, time_zone: str, where: str, *, date_only: bool = False) -> str | None:
    """A DateTime write value in wire form; naive values are site-local, as SharePoint has it.

    Values outside SharePoint's range are refused; a date-only column keeps site-local midnight
    (`model_limits`)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "Zz" else text)
        except ValueError as exc:
            raise BadRequest(
                f"Cannot convert '{value}' to a DateTime value for '{where}'."
            ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(time_zone))
    try:
        instant = check_date(parsed.astimezone(UTC), where)
    except OverflowError as exc:
        raise BadRequest(f"Invalid date/time value for '{where}': '{value}'.") from exc
    if date_only:
        instant = date_only_instant(instant, time_zone)
    return canonical_datetime(instant.isoformat())


def convert_write(fld: Field, prop: str, value: Any, time_zone: str) -> Any:
    """Canonical stored value of one write-body property (`prop` is the name the body used)."""
    where = prop
    kind = fld.kind
    if kind in ("User", "Lookup"):
        if isinstance(value, dict):
            value = value.get("Id", value.get("id"))
        return _num(value, where, int)
    if kind in ("UserMulti", "LookupMulti"):
        return [int(v) for v in _results(value, where)]
    if kind == "MultiChoice":
        return [str(v) for v in _results(value, where)]
    if kind in ("Number", "Currency"):
        return _num(value, where)
    if kind in ("Integer", "Counter"):
        return _num(value, where, int)
    if kind == "Boolean":
        if value is None or isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "1", "yes"):
            return True
        if str(value).lower() in ("false", "0", "no"):
            return False
        raise BadRequest(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.Boolean' "
            f"for '{where}'."
        )
    if kind == "DateTime":
        return to_date_wire(value, time_zone, where, date_only=fld.date_only)
    if kind == "URL":
        if value is None:
            return None
        if isinstance(value, str):
            check_url(value, where)
            return {"Description": value, "Url": value}
        lower = {k.lower(): v for k, v in value.items() if k != "__metadata"}
        check_url(lower.get("url"), where)
        return {"Description": lower.get("description"), "Url": lower.get("url")}
    if kind == "TaxonomyFieldType":
        if value is None:
            return None
        lower = {k.lower(): v for k, v in value.items() if k != "__metadata"}
        wss = lower.get("wssid")
        return {
            "Label": lower.get("label"),
            "TermGuid": lower.get("termguid"),
            "WssId": int(wss) if wss else -1,
        }
    if value is None:
        return None
    if isinstance(value, dict | list):
        raise BadRequest(f"A primitive value was expected for '{where}'.")
    text = value if isinstance(value, str) else str(value)
    # Choice values outside the field's choices are stored as sent: SPO's REST API accepts them
    # (FillInChoice or not; no public report of a refusal), so callers must validate them.
    return check_text(text, where) if kind == "Text" else text
