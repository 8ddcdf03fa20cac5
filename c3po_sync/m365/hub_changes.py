"""The hub site's change log: did anyone but this product touch the consolidated lists?

One ``site/getChanges`` request tells, for every hub list at once, which items and fields
changed after a stored token (the same query the sources use, ``m365/changes.py``), so an idle
night need not read 11,000 hub rows back to find out that nobody edited them.
"""

from __future__ import annotations

from c3po_sync.m365.changes import SiteChangeFeed
from c3po_sync.m365.http import SiteConnection
from c3po_sync.sources.incremental import SiteChanges


class HubChangeLog:
    """The hub's change token, its changes since one, and the ids of its lists by title."""

    def __init__(self, conn: SiteConnection) -> None:
        self.conn = conn
        self.feed = SiteChangeFeed(conn)

    def current_token(self) -> str:
        return self.feed.current_token()

    def changes_since(self, token: str) -> SiteChanges:
        """Raises ``ChangeTokenExpiredError`` when SharePoint refuses the token."""
        return self.feed.changes_since(token)

    def list_ids(self) -> dict[str, str]:
        """Title (casefolded) -> list id (lower case, no braces) of every list on the hub."""
        d = self.conn.get_json(self.conn.api("web/lists?$select=Id,Title"), route="hub list ids")
        rows = d.get("results", []) if isinstance(d, dict) else d or []
        return {
            str(r.get("Title", "")).casefold(): str(r.get("Id", "")).strip("{}").lower()
            for r in rows
            if isinstance(r, dict)
        }
