"""Keeps a hub list's public views: each created once, found by title, its query kept current.

SharePoint does not key views by title (a second ``Views/Add`` with the same title makes a
second view under ``Title1.aspx``), so a view is only added after the list's views were read
and, on a retry of a lost answer, read again (the provisioner's ``create_once``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from c3po_sync.m365.http import SiteConnection, list_path, quote_title
from c3po_sync.m365.odata import item_results
from c3po_sync.sinks.base import ListSpec, ViewSpec

logger = logging.getLogger(__name__)

HTML_VIEW = 1  # SP.ViewType.html: a standard list view

CreateOnce = Callable[[str, Callable[[str], Any], Callable[[], bool]], None]


def read_views(conn: SiteConnection, title: str) -> dict[str, dict[str, Any]]:
    """The list's views by lower-cased title (the first of each title, as GetByTitle answers)."""
    d = conn.get_json(
        conn.api(f"{list_path(title)}/views?$select=Id,Title,ViewQuery"),
        route=f"views of '{title}'",
    )
    out: dict[str, dict[str, Any]] = {}
    for v in item_results(d):
        out.setdefault(str(v.get("Title") or "").lower(), v)
    return out


def creation_body(view: ViewSpec) -> dict[str, Any]:
    """``SP.ViewCreationInformation``: the query goes in ``Query`` (``SP.View`` calls it
    ``ViewQuery`` once made)."""
    return {
        "parameters": {
            "__metadata": {"type": "SP.ViewCreationInformation"},
            "Title": view.title,
            "ViewFields": {
                "__metadata": {"type": "Collection(Edm.String)"},
                "results": list(view.fields),
            },
            "Query": view.query,
            "RowLimit": view.row_limit,
            "Paged": True,
            "PersonalView": False,
            "SetAsDefaultView": False,
            "ViewTypeKind": HTML_VIEW,
        }
    }


def _add(conn: SiteConnection, spec: ListSpec, view: ViewSpec, create_once: CreateOnce) -> None:
    url = conn.api(f"{list_path(spec.title)}/views/add")

    def create(route: str) -> Any:
        return conn.send_once("POST", url, route=route, body=creation_body(view))

    def present() -> bool:
        return view.title.lower() in read_views(conn, spec.title)

    create_once(f"add view '{view.title}' to '{spec.title}'", create, present)


def _same_query(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def ensure_views(
    conn: SiteConnection,
    spec: ListSpec,
    create_once: CreateOnce,
    *,
    list_exists: bool = True,
    dry_run: bool = False,
) -> list[str]:
    """Adds the views ``spec`` names that the list lacks; updates a query that has drifted.

    Returns what it changed (or, in a dry run, would change). A list that does not exist yet
    (dry run before provisioning) has none of its views.
    """
    if not spec.views:
        return []
    existing = read_views(conn, spec.title) if list_exists or not dry_run else {}
    changes: list[str] = []
    for view in spec.views:
        found = existing.get(view.title.lower())
        if found is None:
            changes.append(f"add view '{view.title}'")
            if not dry_run:
                _add(conn, spec, view, create_once)
        elif not _same_query(str(found.get("ViewQuery") or ""), view.query):
            changes.append(f"update the query of view '{view.title}'")
            if not dry_run:
                conn.send(
                    "MERGE",
                    conn.api(
                        f"{list_path(spec.title)}/views/getbytitle('{quote_title(view.title)}')"
                    ),
                    route=f"update view '{view.title}' of '{spec.title}'",
                    body={"__metadata": {"type": "SP.View"}, "ViewQuery": view.query},
                    headers={"IF-MATCH": "*"},
                )
    return changes
