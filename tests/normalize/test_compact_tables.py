"""Normalized tables hold each repeated value once (issue 16, peak memory).

Every value read from SharePoint arrives as a string of its own; the canonical tables point
every repeat at one object, with the same dtypes and values as before.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from c3po_sync.model.compact import share_repeated
from c3po_sync.model.schema import DOCUMENTS
from c3po_sync.normalize import load_mappings, normalize
from c3po_sync.sources.base import RawRecord, SourceBatch, SourceRef

ROOT = Path(__file__).resolve().parents[2]
FIN_DOCS = SourceRef("/sites/ppm-finance", "Documents", "library")
ROOT_FOLDER = "/sites/ppm-finance/Shared Documents"


def _fresh(text: str) -> str:
    return "".join(list(text))  # equal, but a new object, as every parsed value is


def _doc(item_id: int) -> RawRecord:
    ref = f"{ROOT_FOLDER}/P{item_id % 40:04d}/Charter {item_id}.docx"
    editor = {"Title": _fresh("Linh Tran"), "EMail": _fresh("linh.tran@sanjoseca.gov")}
    return RawRecord(
        item_id,
        {
            "FileRef": ref,
            "FileLeafRef": ref.rsplit("/", 1)[1],
            "FSObjType": 0,
            "File_x0020_Size": "1234",
            "Editor": editor,
        },
        etag=_fresh('"1"'),
        modified="2026-10-01T12:00:00Z",
    )


def _objects(series: pd.Series) -> int:
    return len({id(v) for v in series.dropna().array._ndarray})


def test_normalized_documents_hold_each_repeated_value_once() -> None:
    mappings = load_mappings(ROOT / "mappings")
    docs = [_doc(i) for i in range(1, 1501)]
    out = normalize([SourceBatch(FIN_DOCS, [], docs, time_zone="UTC")], mappings)
    documents = out.documents
    assert len(documents) == 1500
    assert list(documents.dtypes) == list(DOCUMENTS.empty().dtypes)
    assert documents["author"].nunique() == 1 and _objects(documents["author"]) == 1
    assert _objects(documents["source_etag"]) == 1
    assert _objects(documents["path"]) == 1500  # distinct values are left as they are


def test_sharing_keeps_values_dtypes_and_missing_values() -> None:
    n = 2000
    frame = DOCUMENTS.frame(
        [
            {
                "path": f"/sites/x/Docs/{i}.docx",
                "author": None if i % 7 == 0 else _fresh("Ana Ruiz"),
                "doc_type": _fresh("charter"),
                "source_item_id": i,
            }
            for i in range(n)
        ]
    )
    before = frame.copy(deep=True)
    shared = share_repeated(frame)
    pd.testing.assert_frame_equal(shared, before)
    assert _objects(shared["author"]) == 1 and shared["author"].isna().sum() == len(range(0, n, 7))
    assert _objects(shared["doc_type"]) == 1


def test_each_sources_frame_is_shared_before_the_next_source(monkeypatch) -> None:
    """Repeats are shared as each source's frame is made: a source's per-row copies of its
    author and ETag do not live on (as holes in the heap, later) while the other sources are
    read; the end result is the same tables."""
    from c3po_sync.normalize import normalizer

    held: list[pd.DataFrame] = []
    concat = normalizer._concat

    def spy(table, frames):
        if table is DOCUMENTS:
            held.extend(frames)
        return concat(table, frames)

    monkeypatch.setattr(normalizer, "_concat", spy)
    mappings = load_mappings(ROOT / "mappings")
    docs = [_doc(i) for i in range(1, 1501)]
    out = normalize([SourceBatch(FIN_DOCS, [], docs, time_zone="UTC")], mappings)
    assert len(held) == 1 and len(held[0]) == 1500
    assert _objects(held[0]["author"]) == 1 and _objects(held[0]["source_etag"]) == 1
    assert len(out.documents) == 1500 and _objects(out.documents["author"]) == 1
