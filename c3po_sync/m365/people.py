"""Person column values: e-mail to site user id, once per distinct e-mail, never once per row."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

from c3po_sync.m365.batch import MAX_OPERATIONS, BatchOp, BatchOutcomes, send_batch
from c3po_sync.m365.errors import SharePointRequestError
from c3po_sync.m365.http import SiteConnection
from c3po_sync.m365.odata import item_results

logger = logging.getLogger(__name__)


class PeopleResolver:
    """Resolves e-mails to the site's user ids for ``<Person>Id`` write values.

    One GET of ``Web/SiteUsers`` answers every e-mail the site already knows; only the rest
    go through ``POST Web/EnsureUser('e-mail')`` (which adds the user to the site), one request
    per distinct e-mail, cached for the life of the resolver. So a steady-state run costs one
    read and no POST. A dry run never calls EnsureUser (it has a side effect): an e-mail the
    site does not know yet resolves to a placeholder that differs from every stored id.
    An e-mail SharePoint cannot find resolves to ``None``: the person column stays empty.
    """

    def __init__(self, conn: SiteConnection) -> None:
        self.conn = conn
        self._ids: dict[str, int | None] = {}
        self._site_users_read = False
        self._warned: set[str] = set()

    def resolve(
        self, emails: Iterable[str], *, dry_run: bool = False
    ) -> dict[str, int | str | None]:
        """Lower-cased e-mail -> user id (``None`` if unknown; a placeholder in a dry run)."""
        wanted = {e.strip().lower() for e in emails if e and e.strip()}
        missing = wanted - set(self._ids)
        if missing and not self._site_users_read:
            self._read_site_users()
            missing = wanted - set(self._ids)
        out: dict[str, int | str | None] = {}
        if dry_run:
            out.update({email: f"(EnsureUser {email})" for email in missing})
        elif len(missing) > 1:
            self._ensure_batched(sorted(missing))
        else:
            for email in missing:
                self._ids[email] = self._ensure(email)
        for email in wanted:
            if email in self._ids:
                out[email] = self._ids[email]
        return out

    def emails_by_id(self) -> dict[int, str]:
        """Site user id -> e-mail, for reading Person columns back as what was written.

        One read of ``Web/SiteUsers`` answers every id of every Person column, where
        ``$expand`` would cost a join per column against the 12-join lookup threshold.
        """
        if not self._site_users_read:
            self._read_site_users()
        return {uid: email for email, uid in self._ids.items() if isinstance(uid, int)}

    def site_users_url(self) -> str | None:
        """The one read that answers every e-mail the site knows; None once read this run
        (a caller may fetch it ahead, with other reads, in one ``$batch``)."""
        return None if self._site_users_read else self.conn.api("Web/SiteUsers?$select=Id,Email")

    def _read_site_users(self) -> None:
        url = self.site_users_url() or self.conn.api("Web/SiteUsers?$select=Id,Email")
        self._site_users_read = True
        d = self.conn.get_json(url, route="site users")
        for raw in item_results(d):
            email = str(raw.get("Email") or "").strip().lower()
            if email and raw.get("Id") is not None:
                self._ids.setdefault(email, int(raw["Id"]))

    def _ensure_url(self, email: str) -> str:
        literal = quote(email.replace("'", "''"), safe="@.")
        return self.conn.api(f"Web/EnsureUser('{literal}')")

    def _ensure_batched(self, emails: list[str]) -> None:
        """EnsureUser for many e-mails in ``$batch`` requests of up to 100 (EnsureUser is
        idempotent, so a batch whose answer was lost is simply asked again one by one)."""
        for start in range(0, len(emails), MAX_OPERATIONS):
            chunk = emails[start : start + MAX_OPERATIONS]
            ops = [BatchOp("POST", self._ensure_url(e), {}, key=e, kind="ensure") for e in chunk]
            out = BatchOutcomes()
            unknown = {op.key for op in send_batch(self.conn, ops, out)}
            for email in chunk:
                answer = out.answers.get(email)
                if email in unknown:
                    self._ids[email] = self._ensure(email)
                elif isinstance(answer, dict) and (answer.get("d") or answer).get("Id"):
                    self._ids[email] = int((answer.get("d") or answer)["Id"])
                else:
                    self._ids[email] = None
                    logger.info(
                        "%s: no SharePoint user for %s (%s); the person column stays empty",
                        self.conn.site_path,
                        email,
                        out.failed.get(email)
                        or next((err for op, err in out.refused if op.key == email), "no id"),
                    )

    def _ensure(self, email: str) -> int | None:
        try:
            d = self.conn.post_json(self._ensure_url(email), None, route="ensure user")
        except SharePointRequestError as exc:
            if exc.transient:
                raise
            if email not in self._warned:
                self._warned.add(email)
                # INFO: the sink reports each row it leaves empty as data quality (list_rows).
                logger.info(
                    "%s: no SharePoint user for %s (HTTP %s); the person column stays empty",
                    self.conn.site_path,
                    email,
                    exc.status,
                )
            return None
        user_id = (d or {}).get("Id")
        return int(user_id) if user_id is not None else None
