"""The intake list on the hub over SharePoint REST: read the requests, write their triage
columns (ETag-guarded, so a request edited meanwhile is triaged again next run rather than
overwritten), and make an accepted request's project on its portfolio site, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from c3po_sync.m365.errors import ListNotFoundError, VersionConflictError
from c3po_sync.m365.http import SiteConnection, list_path
from c3po_sync.m365.list_dedupe import odata_literal
from c3po_sync.m365.list_reader import iter_pages
from c3po_sync.m365.odata import etag_of, item_id_of, item_results, unwrap, wire_value
from c3po_sync.m365.schema import fetch_fields
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.sinks.base import ColumnSpec
from c3po_sync.sinks.intake_list import INTAKE, IntakeRow

logger = logging.getLogger(__name__)
MAX_PAGES = 1000


class SharePointIntake:
    """The ``IntakePort`` for the hub's intake list and the portfolio sites' project lists."""

    def __init__(
        self,
        hub: SiteConnection,
        site: Callable[[str], SiteConnection],
        *,
        page_size: int = 5000,
    ) -> None:
        self.hub = hub
        self.site = site
        self.page_size = page_size
        self._entity_types: dict[tuple[str, str], str] = {}

    @property
    def _columns(self) -> dict[str, ColumnSpec]:
        return {c.internal_name: c for c in INTAKE.columns}

    def read_requests(self, *, check_columns: bool = True) -> list[IntakeRow] | None:
        """Every request on the intake list, in id order; None when the list does not exist.

        With ``check_columns``, only columns the list has are selected (SharePoint answers 400
        to the whole read for one unknown column) and a missing one reads as unanswered: for a
        dry run, whose provisioning added nothing. Right after provisioning every column exists.
        """
        columns = list(self._columns.values())
        if check_columns:
            try:
                present = {f.internal_name for f in fetch_fields(self.hub, INTAKE.title)}
            except ListNotFoundError:
                return None
            columns = [c for c in columns if c.internal_name in present]
        select = ",".join(["ID", *(c.wire_name for c in columns)])
        url = self.hub.api(
            f"{list_path(INTAKE.title)}/items?$select={select}&$top={self.page_size}&$orderby=ID"
        )
        rows: list[IntakeRow] = []
        try:
            for page in iter_pages(
                self.hub, url, page_size=self.page_size, max_pages=MAX_PAGES,
                route=f"items of '{INTAKE.title}'",
            ):  # fmt: skip
                for raw in page:
                    values = {n: unwrap(raw.get(c.wire_name)) for n, c in self._columns.items()}
                    rows.append(IntakeRow(item_id_of(raw), etag_of(raw), values))
        except ListNotFoundError:
            return None
        return rows

    def write_triage(self, row: IntakeRow, values: dict[str, Any]) -> bool:
        """MERGE ``values`` (triage columns only) into the request, if it is still as read.

        Returns False when the request changed since it was read (HTTP 412): its triage rested
        on what the requester typed before, so it is left for the next run.
        """
        owned = {c.internal_name: c for c in INTAKE.owned_columns}
        unknown = set(values) - set(owned)
        if unknown:  # a programming error, never a person's column
            raise ValueError(f"{INTAKE.title}: refusing to write non-triage columns {unknown}")
        body: dict[str, Any] = {"__metadata": {"type": self._entity_type(self.hub, INTAKE.title)}}
        for name, value in values.items():
            body[name] = wire_value(owned[name].kind, value)
        url = self.hub.api(f"{list_path(INTAKE.title)}/items({row.item_id})")
        try:
            self.hub.send(
                "MERGE", url, route=f"triage of '{INTAKE.title}' item {row.item_id}",
                body=body, headers={"IF-MATCH": row.etag or "*"},
            )  # fmt: skip
        except VersionConflictError:
            logger.info(
                "%s/%s: item %d changed since read; triaged next run",
                self.hub.site_path, INTAKE.title, row.item_id,
            )  # fmt: skip
            return False
        return True

    def create_project(self, mapping: SourceMapping, values: dict[str, Any]) -> tuple[str, bool]:
        """Adds the project to ``mapping``'s list unless an item with its key is there.

        Returns (project key, created). The key check is repeated before every retry: a
        create whose answer was lost may have been applied.
        """
        if mapping.key is None:
            raise ValueError(f"{mapping.origin}: the mapping names no key column")
        conn = self.site(mapping.site)
        key = str(values["project_key"])
        key_column = mapping.key.column
        kinds = {f.internal_name: f.kind for f in fetch_fields(conn, mapping.list_title)}
        body: dict[str, Any] = {
            "__metadata": {"type": self._entity_type(conn, mapping.list_title)},
            key_column: key,
        }
        for field, value in values.items():
            spec = mapping.fields.get(field)
            if spec is None or value is None or spec.column not in kinds:
                continue
            body[spec.column] = _site_value(kinds[spec.column], field, value, spec)
        items = conn.api(f"{list_path(mapping.list_title)}/items")
        flt = quote(f"{key_column} eq {odata_literal(key)}", safe="")
        route = f"project {key} on {mapping.site}/{mapping.list_title}"

        def present() -> bool:
            d = conn.get_json(f"{items}?$select=ID&$filter={flt}", route=f"find {route}")
            return bool(item_results(d))

        if present():
            return key, False
        attempts = 0

        def attempt() -> bool:
            nonlocal attempts
            attempts += 1
            if attempts > 1 and present():
                return False
            conn.send_once("POST", items, route=f"create {route}", body=body)
            return True

        created = conn.retry(attempt, route=f"create {route}")
        logger.info("%s/%s: %s project %s", mapping.site, mapping.list_title,
                    "created" if created else "found", key)  # fmt: skip
        return key, created

    def _entity_type(self, conn: SiteConnection, title: str) -> str:
        k = (conn.site_path, title)
        if k not in self._entity_types:
            d = conn.get_json(
                conn.api(f"{list_path(title)}?$select=ListItemEntityTypeFullName,Id"),
                route=f"list '{title}'",
            )
            self._entity_types[k] = str(d["ListItemEntityTypeFullName"])
        return self._entity_types[k]


def _site_value(kind: str, field: str, value: Any, spec: Any) -> Any:
    """A canonical value in the site's own form: its synonym for a phase, its separator for a
    list kept in a text column, a number where the column is numeric."""
    if field == "phase":
        own = [k for k, v in spec.synonyms.items() if v == value]
        return own[0] if own else value
    if isinstance(value, list):
        if kind == "MultiChoice":
            return {"__metadata": {"type": "Collection(Edm.String)"}, "results": value}
        return (
            f"{spec.separator} ".join(value)
            if spec.separator == ";"
            else spec.separator.join(value)
        )
    if kind in ("Number", "Currency", "Boolean", "DateTime"):
        return wire_value(kind, value)
    if isinstance(value, float):
        return f"${value:,.0f}" if field == "budget" else f"{value:g}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return value
