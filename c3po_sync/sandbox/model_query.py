"""Item queries: OData `$filter`/`$orderby`/`$top` paging and CAML views, with the threshold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from c3po_sync.sandbox.errors import BadRequest, LookupThresholdExceeded, QueryThrottled
from c3po_sync.sandbox.model_entity import Resolver, find_property, resolver
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
    """Literals compared with DateTime columns become wire timestamps (string order = time)."""
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


#: SPO's list view lookup threshold: a query may join at most 12 lookup-type columns (lookup,
#: person, managed metadata). Microsoft: "SharePoint Online limits" (learn.microsoft.com/
#: office365/servicedescriptions/sharepoint-online-service-description/sharepoint-online-limits,
#: "List view lookup threshold: 12 join operations per query"); the error is 500
#: `-2147024749, Microsoft.SharePoint.SPQueryThrottledException`.
LOOKUP_THRESHOLD = 12
LOOKUP_KINDS = {"Lookup", "LookupMulti", "User", "UserMulti", "TaxonomyFieldType"}


def check_lookup_threshold(lst: SPList, select: list[str] | None) -> None:
    """Refuse a query that joins more than 12 lookup-type columns.

    With a `$select` (or CAML ViewFields) the named columns count; without one (or with `*`)
    SPO reads every column of the list, so every lookup-type column counts, built-in
    Created By / Modified By included.
    """
    names = [s.strip().split("/")[0] for s in select or [] if s.strip()]
    if not names or "*" in names:
        joined = {f.internal_name for f in lst.fields if f.kind in LOOKUP_KINDS}
    else:
        joined = set()
        for name in names:
            found = find_property(lst, name)
            if found is not None and found[0].kind in LOOKUP_KINDS:
                joined.add(found[0].internal_name)
    if len(joined) > LOOKUP_THRESHOLD:
        raise LookupThresholdExceeded(
            "The query cannot be completed because the number of lookup columns it contains "
            "exceeds the lookup column threshold enforced by the administrator. "
            f"(list '{lst.title}': {len(joined)} lookup columns, threshold {LOOKUP_THRESHOLD})"
        )


def check_top(lst: SPList, top: int | None) -> None:
    """`$top` above 5,000 on a list over the view threshold fails rather than being clamped.

    SPO refuses any single page larger than the list view threshold once the list exceeds it
    (Microsoft: "Manage large lists and libraries": 5,000 items per view/query); the sandbox's
    old clamp to 5,000 hid a request the product would see fail."""
    if top is not None and top > MAX_TOP and len(lst.items) > lst.view_threshold:
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
    """Stable multi-key sort; booleans in orderby are `ascending`. Nulls sort first, as in SPO."""
    for path, ascending in reversed(orderby):
        rows = sorted(rows, key=_sort_by(resolver(lst, path)[1]), reverse=not ascending)
    return rows


def _sort_by(get: Resolver) -> Callable[[Item], tuple]:
    return lambda it: _sort_key(get(it))


def filter_items(lst: SPList, rows: list[Item], pred: Predicate | None) -> list[Item]:
    if pred is None:
        return rows
    getters = {p: resolver(lst, p)[1] for p in fields_in(pred)}

    def values_of(it: Item) -> Callable[[str], Any]:
        return lambda p: getters[p](it)

    return [it for it in rows if evaluate(pred, values_of(it))]


def query_items(
    lst: SPList,
    *,
    select: list[str] | None = None,
    filter: str | None = None,  # noqa: A002 - the OData option's name
    orderby: list[tuple[str, bool]] | None = None,
    top: int | None = None,
    skip: int | None = None,
    skiptoken_after_id: int | None = None,
    skiptoken: str | None = None,
) -> tuple[list[Item], int | None]:
    """One page of items and the id to continue after (`p_ID`) when more rows remain.

    `skiptoken` is SPO's `Paged=TRUE&p_<Field>=v&p_ID=N`; with ordered rows its values place
    the continuation, so rows edited between pages are neither skipped nor repeated.
    """
    pred = _fix_dates(lst, parse_filter(filter)) if filter else None
    for s in select or []:
        head = s.strip().split("/")[0]
        if head and head != "*" and head.lower() not in ("id", "filesystemobjecttype", "file"):
            resolver(lst, head)  # raises BadRequest on an unknown name
    paths = (fields_in(pred) if pred else set()) | {p for p, _ in orderby or []}
    check_threshold(lst, paths)
    check_lookup_threshold(lst, select)
    check_top(lst, top)
    for p, _ in orderby or []:
        resolver(lst, p)
    rows = filter_items(lst, list(lst.items.values()), pred)
    if orderby:
        rows = sort_items(lst, rows, orderby)
    if skiptoken is not None:
        rows = _after_position(lst, rows, orderby or [], *parse_position(skiptoken))
    elif skiptoken_after_id is not None:
        rows = _after_id(rows, skiptoken_after_id, ordered=bool(orderby))
    # `$skip` is ignored on list items, as SPO does: a recorded `$top=2&$skip=4` answered items
    # 1 and 2 with a `__next` echoing `$skip=4` (fixtures/sharepoint-recorded/PnP.Core.Test/Base/
    # MockData/PagingTests/RESTListItemPaging-0-00011.response.json; SHAREPOINT.md §2.2).
    del skip
    size = DEFAULT_TOP if top is None else max(0, int(top))
    page = rows[:size]
    more = len(rows) > size and bool(page)
    return page, (page[-1].id if more else None)


def _after_id(rows: list[Item], after: int, *, ordered: bool) -> list[Item]:
    if ordered:
        for i, it in enumerate(rows):
            if it.id == after:
                return rows[i + 1 :]
    return [it for it in rows if it.id > after]


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
    check_lookup_threshold(lst, list(view.view_fields or []))
    if view.row_limit is None or view.row_limit > MAX_TOP:
        check_top(lst, MAX_TOP + 1)  # an unlimited or > 5,000-row view of a big list fails
    rows = filter_items(lst, rows, pred)
    if view.order_by:
        rows = sort_items(lst, rows, view.order_by)
    if paging_info:
        rows = _after_position(lst, rows, view.order_by, *parse_position(paging_info))
    if view.row_limit is None:
        return rows, None
    page = rows[: view.row_limit]
    more = view.paged and len(rows) > view.row_limit and bool(page)
    return page, (paging_token(lst, page[-1], view.order_by) if more else None)


# -- ordered continuation: Paged=TRUE&p_<Field>=<value>&p_ID=<id> --------------------------------

_NUMERIC = {"Number", "Currency", "Integer", "Counter", "User", "Lookup", "Boolean"}


def _token_value(value: Any) -> str:
    """A value as SPO writes it in paging info (dates as `yyyyMMdd HH:mm:ss`, UTC)."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("Label") or value.get("Url") or ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if len(text) == 20 and text[4] == "-" and text[10] == "T" and text.endswith("Z"):
        return f"{text[0:4]}{text[5:7]}{text[8:10]} {text[11:19]}"
    return text


def _from_token(lst: SPList, path: str, text: str) -> Any:
    fld, _ = resolver(lst, path)
    if text == "":
        return None
    if fld.kind == "DateTime" and len(text) == 17 and text[8] == " ":
        return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[9:17]}Z"
    if fld.kind in _NUMERIC:
        try:
            return float(text)
        except ValueError:
            return text
    return text


def paging_token(lst: SPList, last: Item, orderby: list[tuple[str, bool]]) -> str:
    """The paging info that continues after `last` in the given order."""
    parts = ["Paged=TRUE"]
    for path, _asc in orderby:
        fld, get = resolver(lst, path)
        if fld.internal_name != "ID":
            parts.append(f"p_{fld.internal_name}={quote(_token_value(get(last)), safe='')}")
    parts.append(f"p_ID={last.id}")
    return "&".join(parts)


def parse_position(paging_info: str) -> tuple[int | None, dict[str, str]]:
    """(`p_ID`, other `p_<Field>` values) of paging info, URL-encoded or not."""
    from urllib.parse import parse_qsl, unquote

    text = paging_info
    if "&" not in text and "%26" in text.lower():
        text = unquote(text)
    parts = dict(parse_qsl(text.lstrip("?"), keep_blank_values=True))
    values = {k[2:]: v for k, v in parts.items() if k.startswith("p_") and k != "p_ID"}
    pid = parts.get("p_ID")
    if pid is None:
        if values:
            raise BadRequest(f"The paging information '{paging_info}' is not valid.")
        return None, {}
    try:
        return int(pid), values
    except ValueError as exc:
        raise BadRequest(f"The paging information '{paging_info}' is not valid.") from exc


def _after_position(
    lst: SPList,
    rows: list[Item],
    orderby: list[tuple[str, bool]],
    after_id: int | None,
    values: dict[str, str],
) -> list[Item]:
    """Rows after a paging position; by value when the token carries every sort column."""
    if after_id is None:
        return rows
    keyed = [(p, asc) for p, asc in orderby if resolver(lst, p)[0].internal_name != "ID"]
    names = [resolver(lst, p)[0].internal_name for p, _ in keyed]
    if not keyed or not all(n in values for n in names):
        return _after_id(rows, after_id, ordered=bool(orderby))
    marks = [
        _sort_key(_from_token(lst, p, values[n])) for (p, _), n in zip(keyed, names, strict=True)
    ]
    getters = [resolver(lst, p)[1] for p, _ in keyed]
    id_asc = next((asc for p, asc in orderby if p.lower() == "id"), True)

    def after(it: Item) -> bool:
        for (_, asc), get, mark in zip(keyed, getters, marks, strict=True):
            key = _sort_key(get(it))
            if key != mark:
                return key > mark if asc else key < mark
        return it.id > after_id if id_asc else it.id < after_id

    return [it for it in rows if after(it)]
