"""The benchmark's baseline: the nightly job written the way a typical script writes it.

It uses the office365 client's documented idioms and nothing clever: ``items.get_all()`` with
the library's default page size (the server's 100 rows), ``root_folder.get_files(recursive=True)``
to walk each library (its Files and Folders per folder), the library's items read again with
``get_all()`` for their metadata, and one ``add_item()`` or ``update()`` per changed row, each
followed by ``execute_query()``. It is deliberately generous: it reads each file's metadata
from the list in pages rather than one ``listItemAllFields`` request per file, which is what
many scripts do. Normalization and the rules are the product's own, so only the SharePoint
traffic differs. It writes to its own two lists on the hub so it never touches the product's.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from c3po_sync.config.settings import load_settings
from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.context import CountingSession, make_context
from c3po_sync.normalize import load_mappings, normalize, source_columns
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.rules import evaluate, load_rules_config
from c3po_sync.sinks.limits import shorten
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch

log = logging.getLogger(__name__)

BASELINE_PORTFOLIO = (
    "BaselinePortfolio"  # no space: the client puts titles in $batch lines unescaped
)
BASELINE_FINDINGS = "BaselineFindings"
# (list, key column, other text columns) the baseline writes; created by the bench harness.
BASELINE_LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    BASELINE_PORTFOLIO: ("ProjectKey", ("Title", "Phase", "Status", "Budget", "PPM")),
    BASELINE_FINDINGS: ("FindingId", ("Title", "RuleId", "ProjectKey", "Message")),
}
_PERSON = {"User", "UserMulti"}
_LOOKUP = {"Lookup", "LookupMulti"}
_FILE_COLUMNS = ["FileRef", "FileLeafRef", "FileDirRef", "File_x0020_Size", "FSObjType"]


def _plain(v: Any) -> Any:
    """The client turns verbose ``{"results": [...]}`` into ``{0: a, 1: b}``; make lists again."""
    if isinstance(v, dict):
        if v and all(isinstance(k, int) for k in v):
            return [_plain(x) for x in v.values()]
        if "results" in v and len(v) <= 2:
            return [_plain(x) for x in v["results"]]
        return {k: _plain(x) for k, x in v.items() if k != "__metadata"}
    return v


class NaiveBaseline:
    """One naive job run against the tenant in a settings file; counts its own requests."""

    page_size: int | None = None  # the client's default: the server's 100 rows
    walk_folders = True  # root_folder.get_files(recursive=True) on each library
    batch_writes = False  # one execute_query() per written row

    def __init__(self, config: Path) -> None:
        self.settings = load_settings(config)
        self.tokens = StaticTokenProvider("sandbox")
        self.sessions: list[CountingSession] = []
        self._contexts: dict[str, Any] = {}

    def context(self, site: str) -> Any:
        if site not in self._contexts:
            session = CountingSession()
            self.sessions.append(session)
            self._contexts[site] = make_context(
                self.settings.tenant.base_url + site, self.tokens, session=session
            )
        return self._contexts[site]

    @property
    def requests(self) -> int:
        return sum(s.total for s in self.sessions)

    def read(self, mapping: SourceMapping) -> SourceBatch:
        ref = mapping.ref
        ctx = self.context(ref.site)
        lst = ctx.web.lists.get_by_title(ref.list_title)
        fields = lst.fields.get().execute_query()
        infos = [FieldInfo(f.internal_name, f.title, f.type_as_string or "") for f in fields]
        kinds = {i.internal_name: i.kind for i in infos}
        columns = source_columns(mapping)
        columns = [c for c in columns if c in kinds]
        select, expand = ["Id", "Modified"], []
        for c in columns:
            if kinds[c] in _PERSON:
                select += [f"{c}/Title", f"{c}/EMail"]
                expand.append(c)
            elif kinds[c] in _LOOKUP:
                select += [f"{c}/Title", f"{c}/Id"]
                expand.append(c)
            else:
                select.append(c)
        if ref.kind == "library":
            if self.walk_folders:
                # The client's own walk to find every file: Files and Folders of each folder.
                lst.root_folder.get_files(recursive=True).execute_query()
            select += [c for c in _FILE_COLUMNS if c not in select]
        records = []
        items = self.all_items(lst, select, expand)
        for it in items:
            props = it.properties
            values = {c: _plain(props.get(c)) for c in columns}
            if ref.kind == "library":
                values.update({c: props.get(c) for c in _FILE_COLUMNS})
                if str(props.get("FSObjType")) == "1":
                    continue
            records.append(
                RawRecord(item_id=int(props["Id"]), values=values, modified=props.get("Modified"))
            )
        return SourceBatch(
            ref=ref, fields=infos, records=records, time_zone=self.settings.time_zone
        )

    def all_items(self, lst: Any, select: list[str], expand: list[str]) -> Any:
        """Every item, the client's documented way: ``get_all`` follows ``__next``."""
        query = lst.items.select(select)
        if expand:
            query = query.expand(expand)
        return query.get_all(page_size=self.page_size).execute_query()

    def write(self, title: str, rows: list[dict[str, str]]) -> int:
        """One add_item()/update() per new or changed row; returns how many were written."""
        key, cols = BASELINE_LISTS[title]
        lst = self.context(self.settings.hub_site).web.lists.get_by_title(title)
        ctx = self.context(self.settings.hub_site)
        existing = self.all_items(lst, ["Id", key, *cols], [])
        by_key = {it.properties.get(key): it for it in existing}
        entity = None
        if self.batch_writes:  # the item type once, so the batch holds only the writes
            lst.get().select(["ListItemEntityTypeFullName", "Id"]).execute_query()
            entity = lst.properties["ListItemEntityTypeFullName"]
        written = 0
        for row in rows:
            item = by_key.get(row[key])
            if item is None and entity is not None:
                query: Any = _batched_add(lst, row, entity)
            elif item is None:
                query = lst.add_item(row)
            else:
                changed = {c: row[c] for c in cols if (item.properties.get(c) or "") != row[c]}
                if not changed:
                    continue
                for c, v in changed.items():
                    item.set_property(c, v)
                query = item.update()
            if not self.batch_writes:
                query.execute_query()
            written += 1
        if self.batch_writes and written:
            ctx.execute_batch(items_per_batch=100)
        return written


def _batched_add(lst: Any, row: dict[str, str], entity: str) -> Any:
    """``add_item(row)`` with the item type known: 3.3.0's ``add_item`` queues a barrier per
    item to look the type up, and ``execute_batch`` splits its batch at every barrier (one
    ``$batch`` per row); a script writer who noticed would add the items this way."""
    from office365.runtime.queries.service_operation import ServiceOperationQuery
    from office365.sharepoint.listitems.listitem import ListItem

    item = ListItem(lst.context, None, lst)
    lst.items.add_child(item)
    for k, v in row.items():
        item.set_property(k, v, True)
    item._entity_type_name = entity
    lst.context.add_query(ServiceOperationQuery(lst, "items", None, item, None, item))
    return item


class FairBaseline(NaiveBaseline):
    """The same job as a competent administrator writes it with the same client: 5,000-row
    pages, no folder walk (the items query already names every file), writes in ``$batch``es
    of 100 (issue 16: a baseline that is not a straw man)."""

    page_size = 5000
    walk_folders = False
    batch_writes = True

    def all_items(self, lst: Any, select: list[str], expand: list[str]) -> list[Any]:
        """5,000-row pages by ID (``Id gt`` the last one seen) until a page comes back short.

        Not ``get_all``: after a full first page with no ``__next`` (a list of exactly 5,000
        items) client 3.1+ asks for ``$skip=5000``, which SharePoint ignores on items, and
        loops forever (SHAREPOINT.md §2.2; the bench's 1× asset list has exactly 5,000 items).
        Paging on the indexed ID is what Microsoft advises for large lists."""
        items: list[Any] = []
        last = 0
        while True:
            query = lst.items.select(select).filter(f"Id gt {last}").top(self.page_size)
            if expand:
                query = query.expand(expand)
            page = list(query.get().execute_query())
            items += page
            if len(page) < self.page_size:
                return items
            last = max(int(it.properties["Id"]) for it in page)


def _s(v: Any) -> str:
    return "" if pd.isna(v) is True else str(v)


def run_naive_job(
    config: Path, today: date, *, write: bool = True, fair: bool = False
) -> dict[str, Any]:
    """Read everything, evaluate, write both lists; per-phase requests and wall seconds.

    ``write=False`` stops after the rules: the read phase alone, which is all the full-sync
    ratio needs when the tenant is too big to run the baseline's writes in the time there is.
    """
    job = FairBaseline(config) if fair else NaiveBaseline(config)
    settings = job.settings
    mappings = load_mappings(settings.resolve(settings.mappings_dir))
    rules = load_rules_config(settings.resolve(settings.rules_file))
    t0 = time.perf_counter()
    batches = [job.read(m) for m in mappings]
    read_requests, t_read = job.requests, time.perf_counter() - t0
    tables = normalize(batches, mappings)
    findings = evaluate(tables, rules, today)
    t1 = time.perf_counter()
    if not write:
        return {
            "outcome": "ok",
            "items_read": sum(len(b.records) for b in batches),
            "read_requests": read_requests,
            "read_wall_s": t_read,
            "write_requests": 0,
            "write_wall_s": 0.0,
            "rows_written": 0,
            "client_requests": read_requests,
            "tables": {"projects": len(tables.projects), "findings": len(findings)},
        }
    portfolio = [
        {"ProjectKey": _s(p.project_key), "Title": _s(p.title), "Phase": _s(p.phase),
         "Status": _s(p.status), "Budget": _s(p.budget), "PPM": _s(p.ppm)}
        for p in tables.projects.itertuples()
    ]  # fmt: skip
    found = [
        {"FindingId": _s(f.finding_id), "Title": _s(f.rule_id), "RuleId": _s(f.rule_id),
         "ProjectKey": _s(f.project_key), "Message": shorten(_s(f.message))}
        for f in findings.itertuples()
    ]  # fmt: skip
    written = job.write(BASELINE_PORTFOLIO, portfolio) + job.write(BASELINE_FINDINGS, found)
    return {
        "outcome": "ok",
        "items_read": sum(len(b.records) for b in batches),
        "read_requests": read_requests,
        "read_wall_s": t_read,
        "write_requests": job.requests - read_requests,
        "write_wall_s": time.perf_counter() - t1,
        "rows_written": written,
        "client_requests": job.requests,
        "tables": {"projects": len(tables.projects), "findings": len(findings)},
    }
