"""Value transforms against hand-built wire values, recorded SharePoint values and properties."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from c3po_sync.normalize.errors import TransformError
from c3po_sync.normalize.transforms import as_list, build_transform
from tests.shared_fixtures import PNP_MOCK_DATA, needs_recordings

LA = ZoneInfo("America/Los_Angeles")
RECORDED = PNP_MOCK_DATA


def t(name: str, **opts):
    return build_transform(name, LA, **opts)


# --- hand-built wire shapes (SHAREPOINT.md §2.3) ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1200000, 1_200_000.0),
        (67.67, 67.67),
        ("$1,200,000", 1_200_000.0),
        ("1.2M", 1_200_000.0),
        ("$950K", 950_000.0),
        ("2,000,000.00", 2_000_000.0),
        ("$2,000,000", 2_000_000.0),
        ("  $ 1.5 million ", 1_500_000.0),
        ("(1,000)", -1000.0),
        ("-$250", -250.0),
        ("USD 12.50", 12.5),
        ("$.5K", 500.0),
        ("2.306 ($m)", 2_306_000.0),  # the unit in parentheses, as a $ M column's header says
        ("(2.306 ($m))", -2_306_000.0),
        ("", None),
        (None, None),
    ],
)
def test_currency_accepts_typed_amounts(raw, expected):
    assert t("currency")(raw) == expected


@pytest.mark.parametrize(
    "raw", ["TBD", "1,20,000", "$1.2.3", "(100", "12 apples", "2 ($x)", "2 ($m", True, {"x": 1}]
)
def test_currency_rejects_what_is_not_an_amount(raw):
    with pytest.raises(TransformError):
        t("currency")(raw)


def test_date_only_is_site_local_midnight():
    d = t("date")
    assert d("2026-01-15T08:00:00Z") == date(2026, 1, 15)  # PST: UTC-8
    assert d("2026-07-15T07:00:00Z") == date(2026, 7, 15)  # PDT: UTC-7
    assert d("2026-01-15") == date(2026, 1, 15)
    # a naive .date() of the UTC instant would be a day late for an evening entry
    assert d("2026-03-02T06:30:00Z") == date(2026, 3, 1)
    with pytest.raises(TransformError, match="not a date"):
        d("15/01/2026")


def test_datetime_stays_an_instant():
    assert t("datetime")("2026-02-01T10:00:00Z") == datetime(2026, 2, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), ("Yes", True), ("No", False), ("true", True), ("0", False)],
)
def test_bool(raw, expected):
    assert t("bool")(raw) is expected


def test_bool_rejects_other_words():
    with pytest.raises(TransformError, match="yes/no"):
        t("bool")("maybe")


def test_choice_synonyms_and_allowed_values():
    health = t(
        "choice",
        synonyms={"On Track": "Green", "At Risk": "Yellow", "Off Track": "Red"},
        allowed=["Green", "Yellow", "Red"],
    )
    assert health("On Track") == "Green"
    assert health("at  risk") == "Yellow"
    assert health("RED") == "Red"
    allowed = r"unknown value 'Blue'; kept as typed \(allowed: Green, Yellow, Red\)"
    with pytest.raises(TransformError, match=allowed):
        health("Blue")
    rag = t("choice", synonyms={"G": "Green", "A": "Yellow", "R": "Red"}, allowed=["Green", "Red"])
    assert [rag(v) for v in ("G", "A", "R")] == ["Green", "Yellow", "Red"]


def test_person_and_person_name_from_expanded_user():
    user = {"Title": "Maria Lopez", "EMail": "Maria.Lopez@sanjoseca.gov"}
    assert t("person")(user) == "maria.lopez@sanjoseca.gov"
    assert t("person_name")(user) == "Maria Lopez"
    assert t("person")({"Title": None, "EMail": None}) is None
    with pytest.raises(TransformError, match="not expanded"):
        t("person")(11)
    with pytest.raises(TransformError, match="no e-mail"):
        t("person")({"Title": "Everyone except external users", "EMail": ""})


def test_people_multi_url_lookup_taxonomy():
    users = {"results": [{"Title": "A", "EMail": "a@x.gov"}, {"Title": "B", "EMail": "b@x.gov"}]}
    assert t("people")(users) == ["a@x.gov", "b@x.gov"]
    assert t("multi")(["Finance", "Public Works"]) == ["Finance", "Public Works"]
    assert t("multi", separator=";")("Finance; Information Technology;") == [
        "Finance",
        "Information Technology",
    ]
    assert t("multi")({0: "A", 1: "B"}) == ["A", "B"]  # the 3.x client's dict form
    link = {"__metadata": {"type": "SP.FieldUrlValue"}, "Description": "MS", "Url": "https://x.gov"}
    assert t("url")(link) == "https://x.gov"
    assert t("lookup")({"Id": 3, "Title": "Acme"}) == "Acme"
    assert t("taxonomy")({"Label": "Resident Services", "TermGuid": "g", "WssId": 1}) == (
        "Resident Services"
    )


def test_text_number_int():
    assert t("text")("  SJ311 ") == "SJ311"
    assert t("text")(42) == "42"
    assert t("number")("67,687") == 67687.0
    assert t("int")("1,234") == 1234
    with pytest.raises(TransformError, match="whole number"):
        t("int")(3.5)
    with pytest.raises(TransformError, match="expected text"):
        t("text")({"Url": "x"})


def test_as_list_unwraps_every_shape():
    assert as_list({"results": [1, 2]}) == [1, 2]
    assert as_list({1: "b", 0: "a"}) == ["a", "b"]
    assert as_list(None) == []
    assert as_list("x") == ["x"]


# --- real values recorded from SharePoint Online ----------------------------------------------


def _body(name: str) -> str:
    path = RECORDED / "ListItemTests" / f"{name}.response.json"
    return json.loads(path.read_text())["Response"]


def _recorded(name: str) -> dict:
    data = json.loads(_body(name))
    return data["value"][0] if "value" in data else data["Items"][0]


@needs_recordings
def test_recorded_regular_fields_parse():
    item = _recorded("RegularRestUpdateTest-2-00002")
    assert t("text")(item["Text1"]) == "PnP Rocks"
    assert t("bool")(item["Bool1"]) is True
    assert t("number")(item["Number1"]) == 67687.0
    assert t("currency")(item["Currency1"]) == 67.67
    assert t("datetime")(item["DateTime1"]) == datetime(2020, 12, 6, 14, 25, 47, tzinfo=UTC)
    assert t("date")(item["DateTime1"]) == date(2020, 12, 6)  # 06:25 Pacific
    assert t("choice", allowed=["Option A", "Option B", "Option C"])(item["ChoiceSingle1"]) == (
        "Option A"
    )
    assert t("multi")(item["ChoiceMulti1"]) == ["Option A", "Option B"]
    cleared = _recorded("RegularRestUpdateTest-6-00002")
    assert [t("text")(cleared["Text1"]), t("date")(cleared["DateTime1"])] == [None, None]
    assert t("multi")(cleared["ChoiceMulti1"]) is None
    assert t("currency")(cleared["Currency1"]) == 0.0


@needs_recordings
def test_recorded_display_strings_parse():
    """RenderListDataAsStream sends display strings: "67,687", "$67.67", "Yes"."""
    body = _body("RegularRestUpdateTest-3-00003")
    part = next(p for p in body.split("--batchresponse") if '"Row"' in p)
    row = json.JSONDecoder().raw_decode(part[part.index("{") :])[0]["Row"][0]
    assert t("number")(row["Number1"]) == 67687.0
    assert t("number")(row["Number1."]) == 67687.0
    assert t("currency")(row["Currency1"]) == 67.67
    assert t("bool")(row["Bool1"]) is True
    assert t("datetime")(row["DateTime1."]) == datetime(2020, 12, 6, 14, 25, 47, tzinfo=UTC)


@needs_recordings
def test_recorded_special_fields_parse():
    item = _recorded("SpecialFieldRestUpdateTest-5-00003")
    assert t("url")(item["URLField1"]) == "https://pnp.com/rocks"
    assert t("multi")(item["ChoiceMulti1"]) == ["Option B"]
    multi = t("taxonomy")(item["TaxonomyMultiField1"])
    assert multi == "Dutch; English; French"
    # single taxonomy values come back with Label = WssId: refuse to pass "2" off as a term...
    with pytest.raises(TransformError, match="WssId"):
        t("taxonomy")(item["TaxonomyField1"])
    # ...unless the mapping names the term by its guid
    terms = {"8246e3c1-19ea-4b22-8ae3-df9cbc150a74": "English"}
    assert t("taxonomy", terms=terms)(item["TaxonomyField1"]) == "English"
    # an unexpanded person column arrives as <Name>Id only: nothing under the column name
    assert "UserSingleField1" not in item and item["UserSingleField1Id"] == 8
    cleared = _recorded("SpecialFieldRestUpdateTest-7-00003")
    assert t("url")(cleared["URLField1"]) is None
    assert t("taxonomy")(cleared["TaxonomyMultiField1"]) is None


@needs_recordings
def test_recorded_expanded_person_shape():
    """Version history expands users as {LookupId, LookupValue, Email}: accept it too."""
    body = _body("GetListItemVersionsAsyncTest-1-00003")
    editor = json.loads(body)["value"][0]["Versions"][0]["Editor"]
    assert t("person")(editor) == "bert.jansen@bertonline.onmicrosoft.com"
    assert t("person_name")(editor) == "Bert Jansen (Cloud)"


# --- properties: wire form -> canonical survives --------------------------------------------


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31)))
def test_date_only_round_trip_across_dst(d):
    local_midnight = datetime.combine(d, time(0), tzinfo=LA)
    wire = local_midnight.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert t("date")(wire) == d


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
def test_date_only_round_trip_on_dst_change_days(d):
    # the days around the switch are where a fixed offset goes wrong
    for day in (d, d + timedelta(days=1)):
        wire = datetime.combine(day, time(0), tzinfo=LA).astimezone(UTC).isoformat()
        assert t("date")(wire) == day


@given(st.integers(min_value=0, max_value=10**12))
def test_currency_string_round_trip(cents):
    amount = Decimal(cents) / 100
    for wire in (f"${amount:,.2f}", f"{amount:,.2f}", f"{amount:.2f}"):
        assert t("currency")(wire) == float(amount)


@given(
    st.decimals(min_value=0, max_value=999, places=2, allow_nan=False),
    st.sampled_from([("K", 1_000), ("M", 1_000_000), ("k", 1_000), ("B", 1_000_000_000)]),
)
def test_currency_suffix_round_trip(mantissa, suffix):
    letter, mult = suffix
    assert t("currency")(f"${mantissa}{letter}") == float(mantissa * mult)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15))
def test_numbers_survive(x):
    assert t("number")(x) == x
    assert t("currency")(x) == x


@given(
    st.lists(
        st.text(
            alphabet=st.characters(
                whitelist_categories=("L", "N", "P", "S", "Zs"), blacklist_characters=";"
            ),
            min_size=1,
        ).filter(lambda s: s == s.strip() and s.strip()),
        min_size=1,
        max_size=6,
    )
)
def test_multi_values_survive(values):
    assert t("multi")({"results": values}) == values
    assert t("multi")(values) == values
    assert t("multi", separator=";")(";".join(values)) == values
