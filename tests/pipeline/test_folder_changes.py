"""A folder deleted or renamed in a library reaches the documents table on the next night.

SharePoint's change log has one row for the folder and none for the files in it (the sandbox
logs the same: ``SPList.delete_item`` / ``_rename``), so a sync that re-read only the items the
log names would keep a deleted folder's files, or file a renamed folder's files under the old
project, until the next full read: a key document reported present that is gone, or missing
where it is filed. Each night's documents must equal a full read of the same tenant.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
COMMUNITY = "/sites/ppm-community"


def _sync(monkeypatch: pytest.MonkeyPatch, db: Path) -> pd.DataFrame:
    """One sync-only nightly into ``db``; the newest snapshot's documents, in a fixed order."""
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{db}")
    base = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=DEMO_ANCHOR)
    job = base.job.model_copy(update={"steps": ("sync",)})
    result = run_prepared(dataclasses.replace(base, job=job))
    assert result.outcome == "ok", [s.error for s in result.failed_sources]
    with StateStore(f"sqlite:///{db}") as store:
        run = store.latest_snapshot_run()
        assert run is not None
        docs = store.load_snapshot(run).documents
    cols = list(docs.columns)
    return docs.sort_values(cols[:3]).reset_index(drop=True)


def _folder(library: Any, name: str) -> int:
    return next(
        i for i, it in library.items.items()
        if it.fs_obj_type == 1 and it.file_ref.endswith(f"/{name}")
    )  # fmt: skip


def _files_under(library: Any, name: str) -> set[str]:
    return {
        it.file_ref for it in library.items.values()
        if it.fs_obj_type == 0 and f"/{name}/" in it.file_ref
    }  # fmt: skip


@pytest.mark.slow
def test_a_deleted_or_renamed_folder_reaches_the_documents_like_a_full_read(
    demo_env: tuple[Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, tenant = demo_env
    library = tenant.sites[COMMUNITY].list_by_title("Project Documents")
    kept = tmp_path / "kept.db"
    _sync(monkeypatch, kept)

    gone = _files_under(library, "PARKRES")
    assert gone, "the demo's PARKRES folder holds files"
    before = len(tenant.sites[COMMUNITY].change_log.changes)
    library.delete_item(_folder(library, "PARKRES"))
    assert len(tenant.sites[COMMUNITY].change_log.changes) == before + 1  # the folder alone
    night = _sync(monkeypatch, kept)
    assert not gone & set(night["path"])
    pd.testing.assert_frame_equal(night, _sync(monkeypatch, tmp_path / "full1.db"))

    moved = _files_under(library, "ODP")
    assert moved
    library.update_item(_folder(library, "ODP"), {"FileLeafRef": "ODP (archive)"})
    assert not _files_under(library, "ODP") and len(_files_under(library, "ODP (archive)")) == len(
        moved
    )
    night = _sync(monkeypatch, kept)
    assert not moved & set(night["path"])
    pd.testing.assert_frame_equal(night, _sync(monkeypatch, tmp_path / "full2.db"))
