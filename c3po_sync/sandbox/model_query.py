"""Item queries: OData `$filter`/`$orderby`/`$top` paging and CAML views, with the list view threshold."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from c3po_sync.sandbox.errors import BadRequest, QueryThrottled
from c3po_sync.sandbox.model_entity import resolver
from c3po_sync.sandbox.odata_filter import (
    And,
    Compare,
    In,
    Not,
    Or,
    Predicate,
    canonical_datetime,
    evaluate,
    fields_in,
    parse_filter,
)

if TYPE_CHECKING:
    from c3po_sync.sandbox.model import Item, SPList

MAX_TOP = 5000
DEFAULT_TOP = 100


def _fix_dates(lst: SPList, pred: Predicate) -> Predicate:
    """Literals compared with DateTime columns become wire timestamps, so string order is time order."""
    if isinstance(pred, And | Or):
        return type(pred)(_fix_dates(lst, pred.left), _fix_dates(lst, pred.right))
    if isinstance(pred, Not):
        return Not(_fix_dates(lst, pred.operand))
    if isinstance(pred, Compare | In) and "/" not in pred.field:
        fld, _ = resolver(lst, pred.field)
        if fld.kind == "DateTime":
            if isinstance(pred, Compare) and isinstance(pred.value, str):
                return replace(pred, value=canonical_datetime(pred.value))
            if isinstance(pred, In):
                vals = tuple(
                    canonical_datetime(v) if isinstance(v, str) else v for v in pred.values
                )
                return replace(pred, values=vals)
    return pred


def check_threshold(lst: SPList, paths: set[str]) -> None:
    """SharePoint refuses filters/sorts on unindexed columns of lists above the view threshold."""
    if len(lst.items) <= lst.view_threshold:
        return
    for path in paths:
        fld, _ = resolver(lst, path)
        if fld.internal_name != "ID" and not fld.indexed:
            raise QueryThrottled()


def _sort_key(value: Any) -> tuple:
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return (0, 0, "")
    if isinstance(value, bool | int | float):
        return (1, 0, float(value))
    if isinstance(value, dict):
        value = value.get("Label") or value.get("Url") or ""
    return (1, 1, str(value).lower())


def sort_items(lst: SPList, rows: list[Item], orderby: list[tuple[str, bool]]) -> list[Item]:
    """Stable multi-key sort; booleans in orderby are `ascending`. Nulls sort first, as in SharePoint."""
    for path, ascending in reversed(orderby):
        _, get = resolver(lst, path)
        rows = sorted(rows, key=lambda it, g=get: _sort_key(g(it)), reverse=not ascending)
    return rows


def filter_items(lst: SPList, rows: list[Item], pred: Predicate | None) -> list[Item]:
    if pred is None:
        return rows
    getters = {p: resolver(lst, p)[1] for p in fields_in(pred)}
    return [it for it in rows if evaluate(pred, lambda p, it=it: getters[p](it))]


def query_items(
    lst: SPList,
    *,
    select: list[str] | None = None,
    filter: str | None = None,  # noqa: A002 - the OData option's name
    orderby: list[tuple[str, bool]] | None = None,
    top: int | None = None,
    skip: int | None = None,
    skiptoken_after_id: int | None = None,
) -> tuple[list[Item], int | None]:
    """One page of items and the id to continue after (`p_ID`) when more rows remain."""
    pred = _fix_dates(lst, parse_filter(filter)) if filter else None
    for s in select or []:
        head = s.strip().split("/")[0]
        if head and head != "*" and head.lower() not in ("id", "filesystemobjecttype", "file"):
            resolver(lst, head)  # raises BadRequest on an unknown name
    paths = (fields_in(pred) if pred else set()) | {p for p, _ in orderby or []}
    check_threshold(lst, paths)
    for p, _ in orderby or []:
        resolver(lst, p)
    rows = filter_items(lst, list(lst.items.values()), pred)
    if orderby:
        rows = sort_items(lst, rows, orderby)
    if skiptoken_after_id is not None:
        rows = _after_id(rows, skiptoken_after_id, ordered=bool(orderby))
    if skip:
        rows = rows[skip:]
    size = DEFAULT_TOP if top is None else max(0, min(int(top), MAX_TOP))
    page = rows[:size]
    more = len(rows) > size and bool(page)
    return page, (page[-1].id if more else None)


def _after_id(rows: list[Item], after: int, *, ordered: bool) -> list[Item]:
    if ordered:
        for i, it in enumerate(rows):
            if it.id == after:
                return rows[i + 1 :]
    return [it for it in rows if it.id > after]


def parse_paging_info(paging_info: str | None) -> int | None:
    """`Paged=TRUE&p_ID=N` (also URL-encoded, with `p_<Field>` parts ignored) to N."""
    if not paging_info:
        return None
    from urllib.parse import parse_qsl, unquote

    parts = dict(parse_qsl(unquote(paging_info).lstrip("?")))
    pid = parts.get("p_ID")
    if pid is None:
        return None
    try:
        return int(pid)
    except ValueError as exc:
        raise BadRequest(f"The paging information '{paging_info}' is not valid.") from exc


def caml_query(
    lst: SPList,
    view_xml: str,
    paging_info: str | None = None,
    folder_server_relative_url: str | None = None,
) -> tuple[list[Item], str | None]:
    """Rows of a CAML view and the next PagingInfo (`Paged=TRUE&p_ID=N`) when the page was full."""
    from c3po_sync.sandbox.caml import parse_view_xml

    view = parse_view_xml(view_xml)
    folder = (folder_server_relative_url or lst.root_folder).rstrip("/")
    if folder.lower() != lst.root_folder.lower():
        lst.site.folder(folder)  # FileNotFound when absent
    folder_low = folder.lower()
    prefix = folder_low + "/"
    scope = (view.scope or "").lower()
    rows: list[Item] = []
    for it in lst.items.values():
        ref = (it.file_ref or "").lower()
        if scope == "recursiveall":
            ok = ref.startswith(prefix)
        elif scope == "recursive":
            ok = ref.startswith(prefix) and it.fs_obj_type == 0
        else:
            ok = ref.rsplit("/", 1)[0] == folder_low
        if ok:
            rows.append(it)
    pred = _fix_dates(lst, view.where) if view.where is not None else None
    check_threshold(lst, (fields_in(pred) if pred else set()) | {p for p, _ in view.order_by})
    rows = filter_items(lst, rows, pred)
    if view.order_by:
        rows = sort_items(lst, rows, view.order_by)
    after = parse_paging_info(paging_info)
    if after is not None:
        rows = _after_id(rows, after, ordered=bool(view.order_by))
    if view.row_limit is None:
        return rows, None
    page = rows[: view.row_limit]
    more = view.paged and len(rows) > view.row_limit and bool(page)
    return page, (f"Paged=TRUE&p_ID={page[-1].id}" if more else None)
