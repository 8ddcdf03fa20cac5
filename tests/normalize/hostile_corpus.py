"""A corpus of hostile and ordinary cell values, one per column kind, with what each must give.

Each case is ``(kind, raw, expect)``: ``expect`` is the canonical value a good raw value must
reach unchanged, ``BAD`` for a value that must be quarantined (located), or ``Kept(v)`` for an
unknown choice that is kept as typed *and* reported. Values come from what the SharePoint wire
can carry (SHAREPOINT.md §2.3) and from what people type; the overflow, surrogate and key cases
are the ones issue 11 saw stop a nightly run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

BAD = object()


@dataclass(frozen=True)
class Kept:
    value: Any


# kind -> (source column, canonical field); "datetime" is the record's Modified stamp and
# "key" the project key column.
COLUMNS: dict[str, tuple[str, str]] = {
    "text": ("Title", "title"),
    "number": ("Amount", "budget"),
    "currency": ("Cost", "budget"),
    "date": ("Start", "start_date"),
    "datetime": ("Modified", "source_modified"),
    "choice": ("Phase", "phase"),
    "multi": ("Depts", "departments"),
    "person": ("PM", "ppm"),
    "lookup": ("Vendor", "vendor"),
    "url": ("Link", "metrics"),
    "bool": ("HP", "high_profile"),
    "key": ("Code", "project_key"),
}

MAPPING = """\
sources:
  - site: /sites/hostile
    list: Projects
    target: projects
    time_zone: America/Los_Angeles
    key: Code
    fields:
      title: Title
      budget: {column: Cost, transform: currency, min: 0, max: 10000000000}
      start_date: {column: Start, formats: ["%d/%m/%Y", "%m/%d/%Y"], excel_serial: true}
      phase:
        column: Phase
        transform: choice
        synonyms: {Execute: Execution}
        allowed: [Initiation, Chartering, Procurement, Execution, Release, Sustain, Closed]
      departments: {column: Depts, transform: multi}
      ppm: {column: PM, transform: person}
      vendor: {column: Vendor, transform: lookup}
      metrics: {column: Link, transform: url}
      high_profile: HP
  - site: /sites/hostile
    list: Numbers
    target: projects
    key: Code
    fields:
      budget: {column: Amount, transform: number, exponent: true}
"""

P = {"Title": "Ann Lee", "EMail": "Ann.Lee@City.gov"}
BIG = "9" * 401

CASES: list[tuple[str, Any, Any]] = [
    # text
    ("text", "plain", "plain"),
    ("text", "  padded  ", "padded"),
    ("text", 12.0, "12"),
    ("text", "Ünïcødé ✓", "Ünïcødé ✓"),
    ("text", "rocket 🚀", "rocket 🚀"),
    ("text", '=HYPERLINK("http://x")', '=HYPERLINK("http://x")'),
    ("text", "<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("text", "x" * 300, "x" * 300),
    ("text", "tab\tinside", "tab\tinside"),
    ("text", "line\nbreak", "line\nbreak"),
    ("text", "RTL \u202e txt", "RTL \u202e txt"),
    ("text", "\x00null", BAD),
    ("text", "bell\x07", BAD),
    ("text", "lone \ud800 surrogate", BAD),
    ("text", "\udfff", BAD),
    ("text", "esc\x1b[31m", BAD),
    ("text", "del\x7f", BAD),
    ("text", "non\ufffechar", BAD),
    ("text", True, BAD),
    ("text", {"a": 1}, BAD),
    ("text", float("inf"), BAD),
    ("text", float("nan"), BAD),
    # number (exponent allowed)
    ("number", 12, 12.0),
    ("number", 12.5, 12.5),
    ("number", "67,687", 67687.0),
    ("number", "67687.0000000000", 67687.0),
    ("number", "-3", -3.0),
    ("number", "1.2E+06", 1_200_000.0),
    ("number", "0.000001", 0.000001),
    ("number", BIG, BAD),
    ("number", 10**401, BAD),
    ("number", float("inf"), BAD),
    ("number", float("-inf"), BAD),
    ("number", float("nan"), BAD),
    ("number", "NaN", BAD),
    ("number", "Infinity", BAD),
    ("number", "1e400", BAD),
    ("number", "1e-400", BAD),
    ("number", "12 apples", BAD),
    ("number", "1,2,3", BAD),
    ("number", True, BAD),
    ("number", {"x": 1}, BAD),
    ("number", "0x1F", BAD),
    # currency (min 0, max 10 billion)
    ("currency", "$1,200,000", 1_200_000.0),
    ("currency", "1.2M", 1_200_000.0),
    ("currency", "$3.5 million", 3_500_000.0),
    ("currency", "$950K", 950_000.0),
    ("currency", "USD 12.50", 12.5),
    ("currency", 0, 0.0),
    ("currency", "2,000,000.00", 2_000_000.0),
    ("currency", "(1,000)", BAD),  # negative: below min
    ("currency", "-$250", BAD),
    ("currency", "$20 billion", BAD),  # absurd: above max
    ("currency", "TBD", BAD),
    ("currency", "$1.2.3", BAD),
    ("currency", "(100", BAD),
    ("currency", "1e999", BAD),
    ("currency", BIG, BAD),
    ("currency", "€100", BAD),
    ("currency", "1,20,000", BAD),
    ("currency", float("nan"), BAD),
    # date (day-first or month-first, Excel serials; site in Pacific time)
    ("date", "2011-09-15", date(2011, 9, 15)),
    ("date", "2011-09-15 00:00:00", date(2011, 9, 15)),
    ("date", "2011-09-15T00:00:00", date(2011, 9, 15)),
    ("date", "20110915", date(2011, 9, 15)),
    ("date", "2011-09-15T07:00:00Z", date(2011, 9, 15)),
    ("date", "15/09/2011", date(2011, 9, 15)),
    ("date", "09/15/2011", date(2011, 9, 15)),
    ("date", "03/03/2021", date(2021, 3, 3)),
    ("date", 40801, date(2011, 9, 15)),
    ("date", "40801", date(2011, 9, 15)),
    ("date", "03/04/2021", BAD),  # ambiguous
    ("date", "0001-01-01T00:00:00Z", BAD),
    ("date", "9999-12-31T23:00:00-12:00", BAD),
    ("date", "2021-02-30", BAD),
    ("date", "yesterday", BAD),
    ("date", 60, BAD),
    ("date", 0, BAD),
    ("date", 3e6, BAD),
    ("date", float("inf"), BAD),
    ("date", True, BAD),
    ("date", "99999999", BAD),
    ("date", "31/02/2021", BAD),
    ("date", "0000-01-01", BAD),
    # datetime (the record's Modified)
    ("datetime", "2026-02-01T10:00:00Z", datetime(2026, 2, 1, 10, tzinfo=UTC)),
    ("datetime", "2026-02-01T10:00:00+02:00", datetime(2026, 2, 1, 8, tzinfo=UTC)),
    ("datetime", "0001-01-01T00:00:00+01:00", BAD),
    ("datetime", "9999-12-31T23:00:00-12:00", BAD),
    ("datetime", "yesterday", BAD),
    ("datetime", "2026-13-01T00:00:00Z", BAD),
    # choice
    ("choice", "Execute", "Execution"),
    ("choice", " execution ", "Execution"),
    ("choice", "CLOSED", "Closed"),
    ("choice", "Lost", Kept("Lost")),
    ("choice", "Undeployable", Kept("Undeployable")),
    ("choice", "\x00Execution", BAD),
    ("choice", "Exec\ud800", BAD),
    ("choice", True, BAD),
    ("choice", {"x": 1}, BAD),
    # multi-choice
    ("multi", ["IT", "Finance"], ["IT", "Finance"]),
    ("multi", {"results": ["IT"]}, ["IT"]),
    ("multi", "IT;Finance", ["IT", "Finance"]),
    ("multi", ["IT", "\ud83d"], BAD),
    ("multi", ["ok", {"a": 1}], BAD),
    ("multi", ["\x00"], BAD),
    ("multi", [float("nan")], BAD),
    # person
    ("person", P, "ann.lee@city.gov"),
    ("person", {"results": [P]}, "ann.lee@city.gov"),
    ("person", {"Title": "All Staff", "EMail": ""}, BAD),
    ("person", 17, BAD),
    ("person", [P, P], BAD),
    ("person", "ann@city.gov", BAD),
    ("person", {"Title": "A", "EMail": "a\x00@x.gov"}, BAD),
    ("person", {"Title": "A\ud800", "EMail": "a@x.gov"}, BAD),
    # lookup
    ("lookup", {"Id": 1, "Title": "Acme"}, "Acme"),
    ("lookup", [{"Id": 1, "Title": "A"}, {"Id": 2, "Title": "B"}], "A; B"),
    ("lookup", 5, BAD),
    ("lookup", "Acme", BAD),
    ("lookup", {"Id": 1, "Title": "\ud800"}, BAD),
    ("lookup", {"Id": 1, "Title": "Ac\x01me"}, BAD),
    # url
    ("url", {"Url": "https://x.gov/a", "Description": "d"}, "https://x.gov/a"),
    ("url", "https://x.gov, Desc", "https://x.gov"),
    ("url", 42, BAD),
    ("url", {"Url": "https://x.gov/\x00"}, BAD),
    ("url", True, BAD),
    # bool
    ("bool", True, True),
    ("bool", False, False),
    ("bool", "Yes", True),
    ("bool", "no", False),
    ("bool", 1, True),
    ("bool", 0, False),
    ("bool", "maybe", BAD),
    ("bool", 2, BAD),
    ("bool", float("nan"), BAD),
    ("bool", {"a": 1}, BAD),
    # key (look-alikes of KDUP are duplicates of the first one, never a second project)
    ("key", "SJ311", "SJ311"),
    ("key", " sj311x ", "SJ311X"),
    ("key", "ＫＥＹ１", "KEY1"),
    ("key", 12.0, "12"),
    ("key", "A" * 255, "A" * 255),
    ("key", "😀" * 127 + "A", "😀" * 127 + "A"),  # 255 UTF-16 units
    ("key", "KDUP", "KDUP"),
    ("key", "K\u200bDUP", BAD),
    ("key", "ＫＤＵＰ", BAD),
    ("key", "\ufeffkdup ", BAD),
    ("key", "x" * 256, BAD),
    ("key", "😀" * 128, BAD),  # 256 UTF-16 units
    ("key", "A" * 254 + "e\u0301", "A" * 254 + "É"),  # NFKC composes: 255 units, not 256
    ("key", "\x00KEY", BAD),
    ("key", "K\ud800", BAD),
    ("key", float("inf"), BAD),
    ("key", float("nan"), BAD),
    ("key", "   ", BAD),
    ("key", "\u200b", BAD),
]
