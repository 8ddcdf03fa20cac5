"""The evaluation table is stored with its run and read back as it was; old runs are pruned."""

from __future__ import annotations

import pandas as pd

from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.evaluation import EVALUATION_COLUMNS, evaluation_table
from c3po_sync.state import StateStore
from tests.rules import TODAY, project, tenant


def test_evaluation_round_trips_and_old_runs_are_pruned(tmp_path) -> None:
    t = tenant(
        [project("OK"), project("ODD", phase="Someday"), project("NOPO", product_owner=None)]
    )
    config = RulesConfig()
    ev = evaluation_table(t, config, TODAY, evaluate(t, config, TODAY))
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store:
        assert store.load_evaluation() is None  # nothing evaluated yet
        for run in (1, 2, 3):
            store.save_evaluation(run, ev, keep=2)
        store.save_evaluation(3, ev, keep=2)  # saving a run again replaces it
        assert store.latest_evaluation_run() == 3
        assert store.load_evaluation(1) is None  # pruned
        back = store.load_evaluation()
    assert list(back.columns) == list(EVALUATION_COLUMNS)
    key = ["rule_id", "entity_key"]
    a = ev.sort_values(key).reset_index(drop=True)
    b = back.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert set(back["status"]) == {"pass", "fail", "not_applicable", "not_checked"}
