"""List schema and site settings: one request for a list's fields, one for a site's time zone."""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from typing import Any

from c3po_sync.m365.errors import SharePointRequestError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.odata import item_results
from c3po_sync.sources.base import FieldInfo

logger = logging.getLogger(__name__)

FIELD_SELECT = "InternalName,Title,TypeAsString,Hidden,Indexed"
# What provisioning also needs: a Choice column's choices. Selectable on the Fields collection
# (public SharePoint Online clients read ``fields?$select=InternalName,Choices``); only
# choice fields carry it.
PROVISION_FIELD_SELECT = f"{FIELD_SELECT},Choices"
_LIST_GUID = re.compile(r"/Lists\(guid'([0-9a-fA-F-]{36})'\)", re.IGNORECASE)

# SharePoint's RegionalSettings/TimeZone describes zones the Windows way: by Id (the
# SPRegionalSettings.TimeZones ids) and by Description. Ids first, then descriptions; a zone
# neither names falls back to a fixed offset from its Bias (no daylight saving), then UTC.
_ZONE_IDS = {
    2: "Europe/London",
    3: "Europe/Paris",
    4: "Europe/Berlin",
    10: "America/New_York",
    11: "America/Chicago",
    12: "America/Denver",
    13: "America/Los_Angeles",
    14: "America/Anchorage",
    15: "Pacific/Honolulu",
    20: "Asia/Tokyo",
    38: "America/Phoenix",
    76: "Australia/Sydney",
    93: "UTC",
}
_WINDOWS_ZONES = {
    "pacific time": "America/Los_Angeles",
    "mountain time": "America/Denver",
    "arizona": "America/Phoenix",
    "central time": "America/Chicago",
    "eastern time": "America/New_York",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "coordinated universal time": "UTC",
    "dublin, edinburgh, lisbon, london": "Europe/London",
    "osaka, sapporo, tokyo": "Asia/Tokyo",
    "canberra, melbourne, sydney": "Australia/Sydney",
}


@dataclass(frozen=True)
class ListField:
    """A list column as the Fields collection reports it."""

    internal_name: str
    title: str
    kind: str
    hidden: bool = False
    indexed: bool = False
    # read only by provisioning (PROVISION_FIELD_SELECT); None: not read
    choices: tuple[str, ...] | None = None

    def info(self) -> FieldInfo:
        return FieldInfo(self.internal_name, self.title, self.kind)


def fetch_fields(
    conn: SiteConnection, list_title: str, select: str = FIELD_SELECT
) -> list[ListField]:
    """All fields of a list in one GET (following ``__next`` if the server pages them)."""
    return fetch_fields_and_list_id(conn, list_title, select)[0]


def fetch_fields_and_list_id(
    conn: SiteConnection, list_title: str, select: str = FIELD_SELECT
) -> tuple[list[ListField], str | None]:
    """The fields, and the list's GUID read from the fields' ``__metadata.uri`` (no extra GET).

    SharePoint addresses a list's field as ``…/Web/Lists(guid'<list>')/Fields(guid'<field>')``;
    the change log names lists by that GUID.
    """
    url: str | None = fields_url(conn, list_title, select)
    fields: list[ListField] = []
    list_id: str | None = None
    pages = 0
    while url and pages < 50:
        pages += 1
        d = conn.get_json(url, route=f"fields of '{list_title}'")
        for raw in item_results(d):
            if list_id is None:
                found = _LIST_GUID.search(str((raw.get("__metadata") or {}).get("uri", "")))
                list_id = found.group(1).lower() if found else None
            fields.append(
                ListField(
                    internal_name=str(raw.get("InternalName")),
                    title=str(raw.get("Title") or raw.get("InternalName")),
                    kind=str(raw.get("TypeAsString") or ""),
                    hidden=bool(raw.get("Hidden")),
                    indexed=bool(raw.get("Indexed")),
                    choices=_choices(raw["Choices"]) if "Choices" in raw else None,
                )
            )
        url = d.get("__next") if isinstance(d, dict) else None
    return fields, list_id


def _choices(raw: Any) -> tuple[str, ...]:
    """A ``Collection(Edm.String)``: ``{"results": [...]}`` in verbose JSON, a list otherwise."""
    values = raw.get("results") if isinstance(raw, dict) else raw
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


def fields_url(conn: SiteConnection, list_title: str, select: str = FIELD_SELECT) -> str:
    return conn.api(f"{list_path(list_title)}/Fields?$select={select}")


def time_zone_url(conn: SiteConnection) -> str:
    return conn.api("Web/RegionalSettings/TimeZone")


def fetch_list_id(conn: SiteConnection, list_title: str) -> str:
    """The list's GUID in one GET (when the fields did not reveal it)."""
    d = conn.get_json(
        conn.api(f"{list_path(list_title)}?$select=Id"), route=f"id of '{list_title}'"
    )
    return str((d or {}).get("Id", "")).strip("{}").lower()


def fields_to_json(fields: list[ListField]) -> list[dict[str, Any]]:
    """Without unread choices: a stored source schema reads the same as before they existed."""
    return [{k: v for k, v in asdict(f).items() if k != "choices" or v is not None} for f in fields]


def fields_from_json(data: list[dict[str, Any]]) -> list[ListField]:
    return [ListField(**{**f, "choices": _choices(f["choices"]) if "choices" in f else None})
            for f in data]  # fmt: skip


def resolve_field(fields: list[ListField], name: str) -> ListField | None:
    """Finds a column by internal name, else by display title (both case-insensitive)."""
    lowered = name.lower()
    for f in fields:
        if f.internal_name.lower() == lowered:
            return f
    for f in fields:
        if f.title.lower() == lowered:
            return f
    return None


def site_time_zone(conn: SiteConnection, default: str = "UTC") -> str:
    """The site's IANA time zone from RegionalSettings, or ``default`` if it cannot be told."""
    try:
        d: Any = conn.get_json(time_zone_url(conn), route="time zone")
    except SharePointRequestError as exc:
        if exc.transient:
            raise
        logger.warning(
            "%s: cannot read the site time zone (HTTP %s); using %s",
            conn.site_path,
            exc.status,
            default,
        )
        return default
    return zone_from_settings(d, conn.site_path, default)


def zone_from_settings(d: Any, site: str, default: str = "UTC") -> str:
    """The IANA zone a ``RegionalSettings/TimeZone`` answer names (see ``_ZONE_IDS``)."""
    d = d or {}
    try:
        by_id = _ZONE_IDS.get(int(d.get("Id")))
    except (TypeError, ValueError):
        by_id = None
    description = str(d.get("Description", "")).lower()
    found = by_id or _by_description(description)
    if found:
        return found
    bias = (d.get("Information") or {}).get("Bias")
    if isinstance(bias, int) and bias % 60 == 0 and -14 * 60 <= bias <= 12 * 60:
        # UTC = local + Bias; Etc/GMT+N is N hours *behind* UTC (POSIX sign)
        hours = bias // 60
        zone = "UTC" if hours == 0 else f"Etc/GMT{'+' if hours > 0 else '-'}{abs(hours)}"
        logger.warning(
            "%s: unknown site time zone %r; using %s from its bias", site, description, zone
        )
        return zone
    logger.warning("%s: unknown site time zone %r; using %s", site, description, default)
    return default


def _by_description(description: str) -> str | None:
    return next((zone for needle, zone in _WINDOWS_ZONES.items() if needle in description), None)
