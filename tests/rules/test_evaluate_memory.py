"""Evaluate's working memory follows what it keeps, not a copy per document (issue 16).

The document rules work out, per project, the folder its missing documents belong in and that
folder's address. Made a string per document, those were bigger than the documents table
itself at evaluate's peak; made once per distinct folder, they cost a fraction of it. The
evaluation table is joined column by column instead of beside copies of itself.
"""

from __future__ import annotations

import tracemalloc
from datetime import date

from c3po_sync.model.schema import DOCUMENTS, PROJECTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules import RulesConfig, evaluate
from c3po_sync.rules.documents import _upload_folder_urls, _upload_targets
from c3po_sync.rules.evaluation import evaluation_table
from c3po_sync.rules.registry import RuleContext

N_DOCS, N_PROJECTS = 20_000, 400


def _fresh(text: str) -> str:
    return "".join(list(text))  # equal, but a new object, as every value read is


def _tables() -> CanonicalTables:
    sites = [f"/sites/ppm-{i}" for i in range(8)]
    keys = [f"SJ{i:04d}" for i in range(N_PROJECTS)]
    projects = PROJECTS.frame(
        [
            {"project_key": k, "source_site": sites[i % 8], "phase": "Execution"}
            for i, k in enumerate(keys)
        ]  # fmt: skip
    )
    docs = []
    for i in range(N_DOCS):
        site, key = sites[i % 8], keys[i % N_PROJECTS]
        path = f"{site}/Project Documents/{key}/Status Reports/{key} Status Report {i}.docx"
        docs.append(
            {
                "project_key": _fresh(key),
                "doc_type": "status_report",
                "name": path.rsplit("/", 1)[1],
                "path": path,
                "source_site": site,
                "source_list": "Project Documents",
                "source_url": "https://city.sharepoint.com" + path.replace(" ", "%20"),
            }
        )
    return CanonicalTables(projects=projects, documents=DOCUMENTS.frame(docs))


def test_upload_folders_cost_a_fraction_of_the_documents_table() -> None:
    tables = _tables()
    held = int(tables.documents.memory_usage(deep=True).sum())
    ctx = RuleContext(tables=tables, config=RulesConfig(), today=date(2026, 11, 1))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        _upload_targets(ctx)
        _upload_folder_urls(ctx)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    # Per-document strings peaked at 0.83 times the table here; shared ones at 0.26.
    assert peak < 0.5 * held, (peak, held)


def test_the_evaluation_table_is_built_without_copies_beside_it() -> None:
    """Its parts are taken column by column as the table is joined (rules.evaluation
    joined_evaluation), not concatenated, reordered and retyped as copies beside it."""
    tables = _tables()
    ctx = RuleContext(tables=tables, config=RulesConfig(), today=date(2026, 11, 1))
    findings = evaluate(tables, ctx.config, ctx.today, context=ctx)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        table = evaluation_table(tables, ctx.config, ctx.today, findings, context=ctx)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(table) > 10 * N_PROJECTS
    # The whole build peaked at 4.2 times the table it keeps here; now at 2.4.
    assert peak - base < 3.2 * (kept - base), (peak - base, kept - base)
