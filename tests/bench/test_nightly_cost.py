"""The nightly-cost benchmark's units: operations inside a $batch and resource units count."""

from __future__ import annotations

from pathlib import Path

from c3po_sync.bench.nightly_cost import (
    Cost,
    CostRow,
    join_baseline,
    new_day_minimum,
    render_cost,
    rows_from_json,
    rows_to_json,
    server_cost,
)


def test_a_batch_is_one_request_but_each_operation_counts_and_costs():
    snapshot = {
        "requests": {"POST web_changes": 3, "GET items": 2, "POST batch": 1},
        "batch_operations": {"POST items": 100, "GET fields": 4},
    }
    cost = server_cost(snapshot)
    assert cost.requests == 6
    assert cost.operations == 3 + 2 + 104  # the envelope is not an operation
    assert cost.units == 3 * 1 + 2 * 2 + 100 * 2 + 4 * 2  # the envelope costs nothing


def test_rows_round_trip_and_render_with_fair_baseline_ratios(tmp_path: Path):
    row = CostRow(1.0, "first nightly", Cost(10, 20, 40), minimum=Cost(5, 10, 20),
                  baseline=Cost(30, 30, 60))  # fmt: skip
    rows, facts = rows_from_json(rows_to_json([row], {"runs": []}))
    assert rows == [row] and facts == {"runs": []}
    line = render_cost(rows, facts).splitlines()[-1]
    assert "| 1× | first nightly | 10 | 20 | 40 | 5 / 10 / 20 | 2.00 |" in line
    assert line.endswith("| 30 / 30 / 60 | 3.0 / 1.5 / 1.5 |")


def test_baseline_only_rows_join_the_product_rows_of_their_size_and_name():
    ours = [CostRow(1.0, "first nightly", Cost(10, 20, 40)),
            CostRow(2.0, "first nightly", Cost(20, 40, 80))]  # fmt: skip
    lent = CostRow(1.0, "first nightly", Cost(), baseline=Cost(30, 30, 60),
                   detail={"baseline_only": True})  # fmt: skip
    orphan = CostRow(4.0, "first nightly", Cost(), baseline=Cost(1, 1, 1),
                     detail={"baseline_only": True})  # fmt: skip
    rows, _ = rows_from_json(rows_to_json([*ours, lent, orphan], {}))
    joined = join_baseline(rows)
    assert [(r.scale, r.baseline) for r in joined] == [
        (1.0, Cost(30, 30, 60)),
        (2.0, None),  # no baseline run at 2×: no ratio, never a borrowed one
        (4.0, Cost(1, 1, 1)),  # nothing to join: kept, so a lone baseline run still shows
    ]


def test_a_new_days_minimum_counts_the_rows_that_fall_due_and_one_upload():
    quiet = CostRow(1.0, "idle nightly, next day", Cost(24, 24, 25), detail={"writes": {}})
    due = CostRow(1.0, "idle nightly, next day", Cost(40, 200, 380),
                  detail={"writes": {"Compliance Findings": 120, "IT Assets": 30}})  # fmt: skip
    assert new_day_minimum(21, quiet) == Cost(23, 23, 24)  # change logs + the upload
    # 150 rows: two batches of 100, each row an operation at 2 RU
    assert new_day_minimum(21, due) == Cost(21 + 1 + 2 + 1, 21 + 1 + 150 + 1, 21 + 1 + 300 + 2)
