"""URL patterns of the SharePoint REST surface the sandbox serves, and the dispatcher."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c3po_sync.sandbox import responses_fields as fields
from c3po_sync.sandbox import responses_files as files
from c3po_sync.sandbox import responses_folders as folders
from c3po_sync.sandbox import responses_items as items
from c3po_sync.sandbox import responses_regional as regional
from c3po_sync.sandbox import responses_web as web
from c3po_sync.sandbox.errors import SandboxError
from c3po_sync.sandbox.responses import Reply, Request, error_reply

log = logging.getLogger(__name__)

Handler = Callable[["Call"], Reply]


@dataclass
class Segment:
    """One path segment: `GetByTitle('O''Brien')` -> name `getbytitle`, args `["O'Brien"]`."""

    name: str
    args: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)
    has_parens: bool = False

    @property
    def signature(self) -> str:
        return self.name + ("()" if self.has_parens else "")

    def arg(self, key: str | None = None, index: int = 0) -> Any:
        if key is not None and key.lower() in self.kwargs:
            return self.kwargs[key.lower()]
        if index < len(self.args):
            return self.args[index]
        if self.kwargs and key is None:
            return next(iter(self.kwargs.values()))
        return None


@dataclass
class Call:
    """A routed request: the handler's view of site, request and parsed path."""

    request: Request
    tenant: Any
    site: Any
    segments: list[Segment]
    route: str

    @property
    def site_url(self) -> str:
        return self.request.base_url + self.site.server_relative_url

    @property
    def api(self) -> str:
        return self.site_url + "/_api"

    def segment(self, *names: str) -> Segment | None:
        wanted = {n.lower() for n in names}
        return next((s for s in self.segments if s.name in wanted), None)


# --- path parsing ----------------------------------------------------------------------------


def split_segments(path: str) -> list[str]:
    """Split on `/` outside quotes and parentheses (quoted server-relative URLs contain `/`)."""
    parts: list[str] = []
    buf: list[str] = []
    depth, quoted = 0, False
    for ch in path:
        if ch == "'":
            quoted = not quoted  # a doubled '' toggles twice, which is right
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == "/" and not quoted and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [p for p in parts if p]


_LITERAL = re.compile(r"^(?:guid)?'((?:[^']|'')*)'$", re.IGNORECASE)


def parse_literal(text: str) -> Any:
    """An OData URL literal: `'a''b'` -> `a'b`, `guid'…'`, integers, booleans."""
    text = text.strip()
    m = _LITERAL.match(text)
    if m:
        return m.group(1).replace("''", "'")
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return int(text)
    except ValueError:
        return text


def _split_args(inner: str) -> list[str]:
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in inner:
        if ch == "'":
            quoted = not quoted
        if ch == "," and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if buf or out:
        out.append("".join(buf))
    return [a for a in out if a.strip()]


def parse_segment(text: str) -> Segment:
    name, paren, rest = text.partition("(")
    seg = Segment(name.strip().lower(), has_parens=bool(paren))
    if paren:
        for part in _split_args(rest[:-1] if rest.endswith(")") else rest):
            key, eq, value = part.partition("=")
            if eq and not key.strip().startswith("'") and re.fullmatch(r"\s*\w+\s*", key):
                seg.kwargs[key.strip().lower()] = parse_literal(value)
            else:
                seg.args.append(parse_literal(part))
    return seg


# --- route table -------------------------------------------------------------------------------

_MACROS = {
    "{list}": r"(?:web/)?(?:lists/(?:getbytitle|getbyid)\(\)|lists\(\))",
    "{item}": r"(?:items\(\)|getitembyid\(\)|items/getbyid\(\))",
    # A folder by URL, by UniqueId, or a library's RootFolder, then any Folders('name') steps.
    "{folder}": r"(?:(?:web/)?(?:getfolderbyserverrelativeurl|getfolderbyserverrelativepath"
    r"|getfolderbyid)\(\)|(?:web/)?(?:lists/(?:getbytitle|getbyid)\(\)|lists\(\))/rootfolder"
    r"|web/rootfolder|web(?=/folders\(\)))"
    r"(?:/folders\(\)|/folders/getbyurl\(\))*",
    "{file}": r"(?:web/)?(?:getfilebyserverrelativeurl|getfilebyserverrelativepath"
    r"|getfilebyid)\(\)",
    "{field}": r"(?:fields/(?:getbytitle|getbyinternalnameortitle|getbyid)\(\)|fields\(\))",
}

# (name, methods, pattern over the lower-cased segment signature, handler)
ROUTES: list[tuple[str, set[str], str, Handler]] = [
    ("contextinfo", {"POST"}, r"contextinfo", web.context_info),
    ("web", {"GET"}, r"web", web.get_web),
    ("regional_settings", {"GET"}, r"web/regionalsettings", regional.regional_settings),
    ("time_zone", {"GET"}, r"web/regionalsettings/timezone", regional.time_zone),
    ("site", {"GET"}, r"site", web.get_site),
    ("web_changes", {"POST"}, r"(?:web|site)/getchanges", web.site_changes),
    ("lists", {"GET", "POST"}, r"web/lists", web.lists),
    ("list", {"GET", "MERGE", "PATCH", "DELETE"}, r"{list}", web.get_list),
    ("fields", {"GET", "POST"}, r"{list}/fields", fields.fields),
    ("field", {"GET", "MERGE", "PATCH", "DELETE"}, r"{list}/{field}", fields.get_field),
    ("field_add", {"POST"}, r"{list}/fields/addfield", fields.add_field),
    ("field_xml", {"POST"}, r"{list}/fields/createfieldasxml", fields.add_field_xml),
    ("ensure_user", {"POST"}, r"web/ensureuser\(\)", web.ensure_user),
    ("site_users", {"GET"}, r"web/siteusers", web.site_users),
    ("site_user", {"GET"}, r"web/(?:siteusers/getbyid|getuserbyid)\(\)", web.site_user),
    ("user_info_items", {"GET"}, r"web/siteuserinfolist/items", web.user_info_items),
    ("list_changes", {"POST"}, r"{list}/getchanges", web.list_changes),
    ("items", {"GET", "POST"}, r"{list}/items", items.items),
    ("item", {"GET", "MERGE", "PATCH", "PUT", "DELETE"}, r"{list}/{item}", items.item),
    ("item_parent_list", {"GET"}, r"{list}/{item}/parentlist", items.parent_list),
    ("item_validate", {"POST"}, r"{list}/{item}/validateupdatelistitem", items.validate_update),
    ("item_recycle", {"POST"}, r"{list}/{item}/recycle", items.recycle),
    ("item_file", {"GET"}, r"{list}/{item}/file", files.item_file),
    ("get_items", {"POST"}, r"{list}/getitems", items.caml_items),
    ("file_add", {"POST"}, r"{folder}/files/add\(\)", files.add_file),
    ("folder_files", {"GET"}, r"{folder}/files", files.folder_files),
    ("folder_folders", {"GET"}, r"{folder}/folders", files.folder_folders),
    (
        "folder_add",
        {"POST"},
        r"(?:{folder}|web)/folders/(?:add|addusingpath)\(\)",
        folders.add_folder,
    ),
    ("list_root_folder", {"GET"}, r"{list}/rootfolder", files.list_root_folder),
    ("folder", {"GET"}, r"{folder}", files.get_folder),
    ("file", {"GET", "DELETE"}, r"{file}", files.get_file),
    ("file_content", {"GET"}, r"{file}/\$value", files.file_content),
    ("file_item", {"GET"}, r"{file}/listitemallfields", files.file_item),
    ("upload", {"POST"}, r"{file}/(?:startupload|continueupload|finishupload)\(\)", files.upload),
]


def _compile(pattern: str) -> re.Pattern[str]:
    for macro, regex in _MACROS.items():
        pattern = pattern.replace(macro, regex)
    return re.compile(pattern + r"\Z")


_COMPILED = [(name, methods, _compile(p), handler) for name, methods, p, handler in ROUTES]


class RouteNotFound(SandboxError):
    status = 404
    code = "-1, Microsoft.SharePoint.Client.ResourceNotFoundException"


class MethodNotAllowed(SandboxError):
    status = 400
    code = "-1, Microsoft.SharePoint.Client.InvalidClientQueryException"


def match(request: Request, tenant: Any) -> Call:
    """Resolve the site (longest prefix) and the route; raises RouteNotFound like SPO's 404."""
    site, rest = tenant.site_for_path(request.path)
    rest = rest.lstrip("/")
    head, _, api_path = rest.partition("/")
    if head.lower() != "_api":
        raise RouteNotFound(f"Cannot find resource for the request {rest or '/'}.")
    segments = [parse_segment(s) for s in split_segments(api_path)]
    signature = "/".join(s.signature for s in segments)
    for name, methods, regex, _handler in _COMPILED:
        if regex.match(signature):
            if request.method not in methods:
                raise MethodNotAllowed(
                    f"The HTTP method '{request.method}' cannot be used on {api_path}."
                )
            return Call(request, tenant, site, segments, name)
    raise RouteNotFound(f"Cannot find resource for the request {api_path}.")


HANDLERS: dict[str, Handler] = {name: handler for name, _m, _p, handler in ROUTES}


def route_name(request: Request, tenant: Any) -> str:
    """The route a request would take (for stats and fault filters), or `unknown`."""
    if request.path.lower().rstrip("/").endswith("/_api/$batch"):
        return "batch"
    try:
        return match(request, tenant).route
    except Exception:  # noqa: BLE001 - any failure here is just an unknown route
        return "unknown"


def dispatch(request: Request, tenant: Any) -> tuple[str, Reply]:
    """Run one (non-batch) request through the router and the model, under the tenant lock."""
    route = "unknown"
    try:
        with tenant.lock:
            # The model builds some links (expanded lookups, error messages) from `origin`; make
            # them point at the host the client used, as SharePoint does.
            saved = tenant.origin
            tenant.origin = request.base_url
            try:
                call = match(request, tenant)
                route = call.route
                return route, HANDLERS[route](call)
            finally:
                tenant.origin = saved
    except SandboxError as exc:
        log.debug("sandbox %s %s -> %s %s", request.method, request.path, exc.status, exc.code)
        return route, error_reply(request, exc)
