"""Value limits SharePoint Online enforces on item writes, and date-only storage.

Every write path (POST items, MERGE, `$batch` parts, ValidateUpdateListItem) converts its body
through `model_fields.convert_write`, which calls these checks, so the rules hold on all of them.
Tenant fixtures load without them (a fixture describes stored state, not a write).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from c3po_sync.sandbox.errors import BadRequest, InvalidTextValue

#: Single line of text and hyperlink URLs hold at most 255 characters, counted in UTF-16 code
#: units as .NET strings are (an emoji outside the BMP counts 2). Microsoft: "SharePoint limits"
#: (learn.microsoft.com/office365/servicedescriptions/sharepoint-online-service-description/
#: sharepoint-online-limits: "Single line of text: 255 characters"; Hyperlink: "255 characters");
#: over REST SPO answers 500 `-2130575336, Microsoft.SharePoint.SPException` "Invalid text value."
#: (public reports quoted in issue 10).
TEXT_MAX_UTF16 = 255

#: SharePoint's DateTime range: 1900-01-01 .. 8900-12-31 (SPO refuses values outside it;
#: Microsoft: "Date and Time column ... between 1/1/1900 and 12/31/8900").
DATE_MIN = datetime(1900, 1, 1, tzinfo=UTC)
DATE_MAX = datetime(8900, 12, 31, 23, 59, 59, tzinfo=UTC)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as SharePoint (.NET) counts a string."""
    return len(text.encode("utf-16-le")) // 2


def check_text(value: str, where: str) -> str:
    """A single-line text value, or InvalidTextValue when it is over 255 UTF-16 units."""
    if utf16_len(value) > TEXT_MAX_UTF16:
        raise InvalidTextValue()
    return value


def check_url(url: Any, where: str) -> None:
    """A hyperlink's URL over 255 UTF-16 units is refused like an over-long text value."""
    if isinstance(url, str) and utf16_len(url) > TEXT_MAX_UTF16:
        raise InvalidTextValue(
            "Invalid URL value.\n\nA URL field contains invalid data. "
            f"Please check the value and try again. ('{where}': {utf16_len(url)} characters)"
        )


def check_date(instant: datetime, where: str) -> datetime:
    """A DateTime value inside SharePoint's range, else 400 naming the property and value."""
    if not DATE_MIN <= instant <= DATE_MAX:
        raise BadRequest(
            f"Invalid date/time value for '{where}': {instant.isoformat()} is outside "
            "1900-01-01..8900-12-31. A date/time field contains invalid data. "
            "Please check the value and try again."
        )
    return instant


def date_only_instant(instant: datetime, time_zone: str) -> datetime:
    """Midnight (site time) of the site-local day `instant` falls on, as a UTC instant.

    A date-only column stores the date at 00:00 in the site's regional time zone and reads back
    that instant in UTC (so `2026-03-05T00:00:00Z` written on a Pacific site is 2026-03-04 locally
    and reads `2026-03-04T08:00:00Z`). Evidence: pnp/pnpjs#1890 (date-only values read back as
    `…T05:00:00Z` or `…T06:00:00Z` on a US Central site, by daylight saving time),
    Puzzlepart/prosjektportalen#732 (date-only values saved at local 00:00, a day off in UTC).
    """
    zone = ZoneInfo(time_zone)
    local = instant.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)
