"""Dates: a calendar date stays that calendar date in every time zone (issue 12)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from c3po_sync.normalize.dates import excel_serial_date, make_date, make_datetime
from c3po_sync.normalize.errors import TransformError
from c3po_sync.sandbox.model_limits import DATE_MAX, DATE_MIN

LA = ZoneInfo("America/Los_Angeles")
ZONES = sorted(z for z in available_timezones() if "/" in z or z == "UTC")


@pytest.mark.parametrize("raw", ["2011-09-15 00:00:00", "2011-09-15T00:00:00", "20110915"])
def test_naive_text_dates_are_not_read_as_utc(raw):
    # Before issue 12 these came out as 2011-09-14 on a Pacific site (UTC midnight, then LA).
    assert make_date(LA)(raw) == date(2011, 9, 15)


def test_sharepoint_date_only_wire_value_is_still_site_local_midnight():
    assert make_date(LA)("2011-09-15T07:00:00Z") == date(2011, 9, 15)


def test_formats_day_first_month_first_and_ambiguity():
    both = make_date(LA, ["%d/%m/%Y", "%m/%d/%Y"])
    assert both("15/09/2011") == date(2011, 9, 15)  # only day-first reads it
    assert both("09/15/2011") == date(2011, 9, 15)  # only month-first reads it
    assert both("03/03/2021") == date(2021, 3, 3)  # both read the same date
    with pytest.raises(TransformError, match="ambiguous date '03/04/2021'") as exc:
        both("03/04/2021")
    assert exc.value.problem == "ambiguous"
    assert make_date(LA, ["%d/%m/%Y"])("03/04/2021") == date(2021, 4, 3)
    assert make_date(LA, ["%d.%m.%Y"])("2011-09-15") == date(2011, 9, 15)  # ISO always reads


def test_excel_serial_dates_only_when_asked():
    assert make_date(LA, excel_serial=True)(40801) == date(2011, 9, 15)
    assert make_date(LA, excel_serial=True)("40801.75") == date(2011, 9, 15)
    with pytest.raises(TransformError, match="excel_serial"):
        make_date(LA)(40801)
    with pytest.raises(TransformError, match="did not exist"):
        excel_serial_date(60)
    for bad in (0, -1, 3e6):
        with pytest.raises(TransformError, match="out of range"):
            make_date(LA, excel_serial=True)(bad)


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-12:00"])
def test_dates_that_overflow_in_the_site_zone_are_a_transform_error(raw):
    with pytest.raises(TransformError, match="out of range") as exc:
        make_date(LA)(raw)
    assert exc.value.problem == "out_of_range"


def test_naive_datetime_text_is_site_wall_clock():
    got = make_datetime(LA)("2011-09-15 09:30:00")
    assert got == datetime(2011, 9, 15, 16, 30, tzinfo=UTC)
    assert make_datetime(LA)("2011-09-15T09:30:00Z") == datetime(2011, 9, 15, 9, 30, tzinfo=UTC)


_days = st.dates(min_value=date(1000, 1, 1), max_value=date(9998, 12, 31))
_zones = st.sampled_from(ZONES)


@settings(max_examples=300, deadline=None)
@given(_days, _zones, st.times())
def test_no_text_form_of_a_date_shifts_it_in_any_zone(d, zone, t):
    tz = ZoneInfo(zone)
    parse = make_date(tz, ["%d/%m/%Y"], excel_serial=True)
    forms = [
        d.isoformat(),
        f"{d.isoformat()} 00:00:00",
        f"{d.isoformat()}T00:00:00",
        f"{d.isoformat()}T{t.replace(tzinfo=None).isoformat()}",
        d.strftime("%Y%m%d"),
        d.strftime("%d/%m/%Y"),
    ]
    for form in forms:
        assert parse(form) == d, form
    if d > date(1900, 3, 1):
        assert parse((d - date(1899, 12, 30)).days) == d


# What a SharePoint date column can hold (sandbox/model_limits.py: SharePoint refuses dates
# outside 1900-01-01..8900-12-31). Wider, hypothesis found 1000-01-01 in a zone whose offset then
# had seconds: its wire form fell in year 999, which %Y writes with three digits, a form
# SharePoint never sends.
_sharepoint_days = st.dates(
    min_value=DATE_MIN.date() + timedelta(days=1), max_value=DATE_MAX.date() - timedelta(days=1)
)


@settings(max_examples=300, deadline=None)
@given(_sharepoint_days, _zones)
def test_sharepoint_wire_form_of_a_date_only_value_maps_back_to_it(d, zone):
    tz = ZoneInfo(zone)
    try:
        wire = datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)
    except OverflowError:
        assume(False)
    text = wire.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert make_date(tz)(text) == d


@settings(max_examples=200, deadline=None)
@given(_days, _zones)
def test_a_naive_timestamp_keeps_its_wall_date_as_an_instant(d, zone):
    tz = ZoneInfo(zone)
    noon = datetime.combine(d, time(12)).isoformat()
    try:
        got = make_datetime(tz)(noon)
    except TransformError:
        assume(False)
    assert got.astimezone(tz).date() == d
    assert make_date(tz)(noon) == d
    assert abs(got - datetime.combine(d, time(12), tzinfo=tz)) < timedelta(hours=2)
