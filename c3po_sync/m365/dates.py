"""Date-only values on a site: a calendar date is stored as midnight in the site's time zone.

SharePoint keeps a DateOnly column as the UTC instant of local midnight in the site's regional
time zone (``Web/RegionalSettings/TimeZone``). The writer sends exactly that instant and
compares calendar dates in that zone, so an idle run never rewrites a date, whatever zone the
service itself runs in.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import Any


def local_date(value: Any, tz: tzinfo) -> date | None:
    """The calendar date ``value`` names in ``tz``: instants are converted, dates kept.

    Text is read as ISO 8601 (a ``Z`` or offset makes it an instant); anything else is None.
    """
    if value is None or value == "":
        return None
    to_py = getattr(value, "to_pydatetime", None)
    if callable(to_py):
        value = to_py()
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.astimezone(tz).date() if value.tzinfo else value.date()
    return value if isinstance(value, date) else None


def midnight_utc(day: date, tz: tzinfo) -> str:
    """The UTC instant of local midnight of ``day`` in ``tz``, as SharePoint's wire text."""
    local = datetime.combine(day, time(0, 0), tzinfo=tz)
    return local.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_site_date(value: Any, tz: tzinfo) -> Any:
    """A date-only value ready to write: a date (or date-ish) becomes the site's midnight;
    what is not a date is left for the limits check to report."""
    day = local_date(value, tz)
    return midnight_utc(day, tz) if day is not None else value
