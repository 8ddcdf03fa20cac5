"""Web/RegionalSettings and its TimeZone, from the site's IANA zone, shaped as SharePoint does."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from c3po_sync.sandbox.responses import (
    Reply,
    apply_select,
    deferred,
    entity,
    json_reply,
    metadata,
)

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call


class WindowsZone(NamedTuple):
    """SharePoint's SP.TimeZone: Id, Description and biases in minutes (UTC = local + bias)."""

    id: int
    description: str
    bias: int
    daylight_bias: int


# SharePoint time-zone ids (SPRegionalSettings.TimeZones) for the zones a US city tenant uses.
WINDOWS_ZONES: dict[str, WindowsZone] = {
    "America/Los_Angeles": WindowsZone(13, "(UTC-08:00) Pacific Time (US and Canada)", 480, -60),
    "America/Denver": WindowsZone(12, "(UTC-07:00) Mountain Time (US and Canada)", 420, -60),
    "America/Phoenix": WindowsZone(38, "(UTC-07:00) Arizona", 420, 0),
    "America/Chicago": WindowsZone(11, "(UTC-06:00) Central Time (US and Canada)", 360, -60),
    "America/New_York": WindowsZone(10, "(UTC-05:00) Eastern Time (US and Canada)", 300, -60),
    "America/Anchorage": WindowsZone(14, "(UTC-09:00) Alaska", 540, -60),
    "Pacific/Honolulu": WindowsZone(15, "(UTC-10:00) Hawaii", 600, 0),
    "Europe/London": WindowsZone(2, "(UTC+00:00) Dublin, Edinburgh, Lisbon, London", 0, -60),
    "UTC": WindowsZone(93, "(UTC) Coordinated Universal Time", 0, 0),
}
_ALIASES = {
    "US/Pacific": "America/Los_Angeles",
    "US/Mountain": "America/Denver",
    "US/Arizona": "America/Phoenix",
    "US/Central": "America/Chicago",
    "US/Eastern": "America/New_York",
    "US/Alaska": "America/Anchorage",
    "US/Hawaii": "Pacific/Honolulu",
    "Etc/UTC": "UTC",
    "GMT": "UTC",
    "Etc/GMT": "UTC",
}


def windows_zone(iana: str) -> WindowsZone:
    """The SharePoint zone for an IANA name; unknown names fall back to UTC."""
    return WINDOWS_ZONES.get(_ALIASES.get(iana, iana), WINDOWS_ZONES["UTC"])


def time_zone_props(call: Call) -> dict:
    zone = windows_zone(call.site.time_zone)
    return {
        "__metadata": metadata(f"{call.api}/Web/RegionalSettings/TimeZone", "SP.TimeZone"),
        "Description": zone.description,
        "Id": zone.id,
        "Information": {
            "__metadata": {"type": "SP.TimeZoneInformation"},
            "Bias": zone.bias,
            "DaylightBias": zone.daylight_bias,
            "StandardBias": 0,
        },
    }


def regional_props() -> dict:
    """The en-US settings recorded from SharePoint Online (LocaleId 1033)."""
    return {
        "AdjustHijriDays": 0,
        "AlternateCalendarType": 0,
        "AM": "AM",
        "CalendarType": 1,
        "Collation": 25,
        "CollationLCID": 2070,
        "DateFormat": 0,
        "DateSeparator": "/",
        "DecimalSeparator": ".",
        "DigitGrouping": "3;0",
        "FirstDayOfWeek": 0,
        "FirstWeekOfYear": 0,
        "IsEastAsia": False,
        "IsRightToLeft": False,
        "IsUIRightToLeft": False,
        "ListSeparator": ",",
        "LocaleId": 1033,
        "NegativeSign": "-",
        "NegNumberMode": 1,
        "PM": "PM",
        "PositiveSign": "",
        "ShowWeeks": False,
        "ThousandSeparator": ",",
        "Time24": False,
        "TimeMarkerPosition": 0,
        "TimeSeparator": ":",
        "WorkDayEndHour": 1020,
        "WorkDays": 62,
        "WorkDayStartHour": 480,
    }


def regional_settings(call: Call) -> Reply:
    """GET Web/RegionalSettings; TimeZone is deferred unless `$expand=TimeZone`."""
    uri = f"{call.api}/Web/RegionalSettings"
    props: dict = regional_props()
    expand = {e.strip().lower() for e in (call.request.option("$expand") or "").split(",")}
    if "timezone" in expand:
        props["TimeZone"] = time_zone_props(call)
    else:
        props["TimeZone"] = deferred(f"{uri}/TimeZone")
    props["TimeZones"] = deferred(f"{uri}/TimeZones")
    props = apply_select(props, call.request.option("$select"))
    return json_reply(call.request, entity(props, metadata(uri, "SP.RegionalSettings")))


def time_zone(call: Call) -> Reply:
    props = time_zone_props(call)
    meta = props.pop("__metadata")
    props = apply_select(props, call.request.option("$select"))
    return json_reply(call.request, entity(props, meta))
