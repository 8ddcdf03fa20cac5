"""The fair baseline reads a list whose items exactly fill one page, and stops.

Client 3.1+'s ``get_all`` falls back to ``$skip`` after a full first page with no ``__next``;
SharePoint (and the sandbox) ignore ``$skip`` on items, so it would re-read the same page
forever (SHAREPOINT.md §2.2). The bench's 1× asset list has exactly 5,000 items.
"""

from __future__ import annotations

import threading
from pathlib import Path

from c3po_sync.bench.workspace import prepare_workspace
from c3po_sync.m365.naive_baseline import FairBaseline
from c3po_sync.normalize import load_mappings
from c3po_sync.sandbox.generate import generate_tenant
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sources.base import SourceBatch


def test_a_list_of_exactly_one_page_is_read_once_and_the_read_ends(tmp_path: Path) -> None:
    data = generate_tenant(7, sites=1, projects=4, documents_per_project=1, assets=6)
    with SandboxServer(Tenant.from_dict(data), port=0) as server:
        job = FairBaseline(prepare_workspace(data, tmp_path, server.url))
        job.page_size = 6  # the asset list fills exactly one page
        mapping = next(
            m
            for m in load_mappings(job.settings.resolve(job.settings.mappings_dir))
            if m.ref.list_title == "IT Asset Inventory"
        )
        got: list[SourceBatch] = []
        reader = threading.Thread(target=lambda: got.append(job.read(mapping)), daemon=True)
        reader.start()
        # Judged on requests, not on time: the $skip loop re-asks the same page forever.
        while reader.is_alive() and job.requests <= 10:
            reader.join(0.05)
        assert not reader.is_alive(), f"still reading after {job.requests} requests ($skip loop)"
        ids = [r.item_id for r in got[0].records]
        assert len(ids) == len(set(ids)) == 6
        assert job.requests == 3  # the fields, the full page, the empty page after it
