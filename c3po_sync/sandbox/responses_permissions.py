"""`EffectiveBasePermissions` of the web and of a list: the app's Sites.Selected role as a mask.

SharePoint answers `GET /_api/web/effectiveBasePermissions` and
`GET /_api/web/lists/getbytitle('…')/EffectiveBasePermissions` with an `SP.BasePermissions`
(`High`, `Low` as decimal strings): https://learn.microsoft.com/en-us/previous-versions/office/
sharepoint-server/jj168751(v=office.15) and the REST reference of `SP.Web`. A grant made through
Sites.Selected is site-wide, so a list answers with its site's mask (lists here never break
inheritance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from c3po_sync.sandbox.grants import base_permissions
from c3po_sync.sandbox.responses import Reply, json_reply
from c3po_sync.sandbox.responses_web import resolve_list

if TYPE_CHECKING:
    from c3po_sync.sandbox.routes import Call


def _reply(call: Call) -> Reply:
    mask = base_permissions(call.site)
    if call.request.nometadata:
        return json_reply(call.request, mask)
    body = {"__metadata": {"type": "SP.BasePermissions"}, **mask}
    return json_reply(call.request, {"d": {"EffectiveBasePermissions": body}})


def web_permissions(call: Call) -> Reply:
    return _reply(call)


def list_permissions(call: Call) -> Reply:
    resolve_list(call)  # a list that does not exist is SharePoint's 404, as for any list call
    return _reply(call)
