"""What a request costs in SharePoint Online's resource units (RU), as the client estimates it.

Microsoft, "Avoid getting throttled or blocked in SharePoint Online"
(learn.microsoft.com/sharepoint/dev/general-development/how-to-avoid-getting-throttled-or-blocked-
in-sharepoint-online), "Application throttling": an app's traffic is limited in resource units
per minute per tenant (1,200 for the smallest tenants); Microsoft Graph requests have a fixed
cost: 1 RU for a single item query (get list item), a delta with a token, or a file download;
2 RU for a multi-item query (list children), a delta without a token, and for create, update,
delete and upload; 5 RU for permission resources (``$expand=permissions``). The requests inside
a ``$batch`` are counted one by one. CSOM and REST have no published fixed cost ("usually cost
more"), so the Graph table stands in for them here and in the sandbox (``sandbox/budget.py``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

SINGLE_ITEM = 1
MULTI_ITEM = 2
WRITE = 2
DELTA_WITH_TOKEN = 1
PERMISSIONS = 5

#: Last path segments that return a collection (a multi-item query).
_COLLECTIONS = frozenset(
    {
        "items",
        "fields",
        "lists",
        "files",
        "folders",
        "siteusers",
        "getitems",
        "views",
        "contenttypes",
    }
)
#: POSTs that only read: the change log (always sent with a token here), CAML queries and the
#: form digest.
_READ_POSTS = {"getchanges": DELTA_WITH_TOKEN, "getitems": MULTI_ITEM, "contextinfo": SINGLE_ITEM}
_REQUEST_LINE = re.compile(rb"^(GET|POST|PUT|PATCH|MERGE|DELETE) (\S+) HTTP/1\.1", re.M)


def _last_segment(url: str) -> str:
    path = unquote(urlsplit(url).path).rstrip("/")
    segment = path.rsplit("/", 1)[-1].casefold()
    return segment


def request_units(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> int:
    """RU one HTTP request costs; a ``$batch`` costs the sum of its operations."""
    segment = _last_segment(url)
    verb = method.upper()
    if segment == "$batch":
        return sum(
            request_units(m.decode(), u.decode(), None)
            for m, u in _REQUEST_LINE.findall(body or b"")
        )
    if "roleassignments" in url.casefold() or "permissions" in url.casefold():
        return PERMISSIONS
    override = {k.casefold(): v for k, v in (headers or {}).items()}.get("x-http-method", "")
    if verb == "POST" and not override and segment in _READ_POSTS:
        return _READ_POSTS[segment]
    if verb != "GET":
        return WRITE
    if segment in _COLLECTIONS:
        return MULTI_ITEM
    return SINGLE_ITEM
