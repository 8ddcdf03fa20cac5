"""The dashboard's project rows are made from column arrays: a cell that is already plain text,
a day or a number is not sent through the general conversion one by one (issue 16)."""

from __future__ import annotations

from datetime import date

from c3po_sync.model import domain
from c3po_sync.model.schema import FINDINGS
from c3po_sync.rules import RulesConfig
from c3po_sync.sinks.dashboard_data import dashboard_data
from tests.rules import TODAY, project, tenant


def test_rows_convert_only_what_is_not_plain(monkeypatch) -> None:
    n = 60
    t = tenant(
        [project(f"P{i:03d}", budget=5_000_000.0 + i, high_profile=bool(i % 2),
                 target_end=date(2027, 1, 1)) for i in range(n)]
    )  # fmt: skip
    converted = {"n": 0}
    real = domain.na_to_python

    def counting(value):
        converted["n"] += 1
        return real(value)

    monkeypatch.setattr(domain, "na_to_python", counting)
    data = dashboard_data(t, FINDINGS.empty(), rules=RulesConfig(), today=TODAY, title="D",
                          generated_at="g", changes=None, changes_since="s")  # fmt: skip
    assert len(data.projects) == n
    row = next(p for p in data.projects if p["project_key"] == "P007")
    assert (row["title"], row["budget"], row["target_end"], row["departments"]) == (
        "Project P007", 5_000_007.0, date(2027, 1, 1), "ITD")  # fmt: skip
    assert row["_high_profile"] is True and type(row["budget"]) is float
    # Per row: its departments (a list) and its high-profile flag; the old loop converted
    # every cell (a dozen per row, and each project's title once more).
    assert converted["n"] <= 3 * n


def test_page_tables_escape_each_repeated_text_once(monkeypatch) -> None:
    """Portfolios, phases, statuses and days repeat down the projects table: each distinct one
    is escaped once per table, not once per cell."""
    from c3po_sync.sinks import dashboard_html

    n = 60
    t = tenant(
        [project(f"P{i:03d}", budget=5_000_000.0, portfolio=("Roads", "Parks")[i % 2],
                 target_end=date(2027, 1, 1)) for i in range(n)]
    )  # fmt: skip
    data = dashboard_data(t, FINDINGS.empty(), rules=RulesConfig(), today=TODAY, title="D",
                          generated_at="g", changes=None, changes_since="s")  # fmt: skip
    escaped: list[str] = []
    real = dashboard_html.escape

    def counting(text: str, quote: bool = True) -> str:
        escaped.append(text)
        return real(text, quote)

    monkeypatch.setattr(dashboard_html, "escape", counting)
    page = dashboard_html.render_page(data)
    assert page.count("<td>Roads</td>") == n // 2
    assert escaped.count("Roads") == 1 and escaped.count("2027-01-01") == 1


def test_tables_made_a_column_at_a_time_equal_cell_by_cell() -> None:
    """Each cell as _text and escape make it one by one, whatever the value: equal keys that
    print differently (True and 1, 0.0 and -0.0), unhashable lists, a datetime beside its day."""
    import random
    from datetime import datetime
    from html import escape

    from c3po_sync.sinks import dashboard_html

    pool = ["Roads", "<b>&'\"", "", None, 1, True, 0.0, -0.0, 2.5, date(2027, 1, 1),
            datetime(2027, 1, 1, 0, 0), ["a", "b"], "2027-01-01"]  # fmt: skip
    rng = random.Random(7)
    columns = [("k", "Key"), ("a", "A"), ("b", "B"), ("c", "C")]
    rows = [{c: rng.choice(pool) for c, _ in columns if rng.random() < 0.9} for _ in range(200)]
    page = dashboard_html._table("t", "T", columns, rows, numeric=["b"], dates=["c"])
    tags = [('<th scope="row">', "</th>"), ("<td>", "</td>"),
            ('<td class="num">', "</td>"), ('<td class="date">', "</td>")]  # fmt: skip
    want = "".join(
        "<tr>"
        + "".join(
            f"{start}{escape(dashboard_html._text(r.get(cid)))}{end}"
            for (cid, _), (start, end) in zip(columns, tags, strict=True)
        )
        + "</tr>"
        for r in rows
    )
    assert f"<tbody>{want}</tbody>" in page
