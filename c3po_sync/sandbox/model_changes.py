"""Per-site change log with SharePoint change tokens (`1;<scope>;<guid>;<ticks>;<changeNumber>`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from c3po_sync.sandbox.errors import ChangeTokenInvalid

CHANGE_TYPES = {
    1: "Add",
    2: "Update",
    3: "DeleteObject",
    4: "Rename",
    5: "MoveAway",
    6: "MoveInto",
    7: "Restore",
    15: "SystemUpdate",
}
CHANGE_TYPE_BY_NAME = {v.lower(): k for k, v in CHANGE_TYPES.items()}
# SP.ChangeQuery's `Move` flag means both halves of a move.
CHANGE_TYPE_BY_NAME["move"] = 5
OBJECT_KINDS = {"item": "item", "list": "list", "field": "field"}  # ChangeQuery flag -> kind
SCOPE_SITE, SCOPE_WEB, SCOPE_LIST = 1, 2, 3
_EPOCH_TICKS = 621355968000000000


def to_ticks(when: datetime) -> int:
    """.NET ticks (100 ns since 0001-01-01 UTC), as SharePoint puts them in change tokens."""
    delta = when.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (
        _EPOCH_TICKS + (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10
    )


def make_token(scope: int, guid: str, when: datetime, number: int) -> str:
    return f"1;{scope};{guid};{to_ticks(when)};{number}"


@dataclass
class Change:
    change_type: int
    item_id: int
    list_id: str
    web_id: str
    site_id: str
    time: datetime
    change_number: int
    token: str = ""  # list-scope token; get_changes on a site returns site-scope tokens
    unique_id: str | None = None
    server_relative_url: str | None = None
    kind: str = "item"  # item | list | field: SP.ChangeItem, SP.ChangeList, SP.ChangeField
    field_id: str | None = None
    title: str | None = None  # a list's title, for SP.ChangeList


@dataclass
class ParsedToken:
    scope: int
    guid: str
    ticks: int
    number: int


def parse_token(token: str) -> ParsedToken:
    """Split a change token; ChangeTokenInvalid on anything malformed."""
    parts = (token or "").strip().split(";")
    try:
        if len(parts) != 5 or parts[0] != "1":
            raise ValueError(token)
        return ParsedToken(int(parts[1]), parts[2].lower(), int(parts[3]), int(parts[4]))
    except ValueError as exc:
        raise ChangeTokenInvalid(f"The change token '{token}' is not valid.") from exc


#: SPO keeps a site's change log for 60 days by default; a token older than that answers no
#: changes and no error (SharePoint/sp-dev-docs#10389; Microsoft "SPChangeToken": the change log
#: retention period of the web application, 60 days by default). `Site.change_log.max_age_days`
#: and `Tenant(change_log_days=…)` / tenant file `tenant.change_log_days` set it.
CHANGE_LOG_DAYS = 60.0


class ChangeLog:
    """Bounded list of a site's changes; numbers grow by one per change and never repeat."""

    def __init__(
        self,
        retention: int = 50_000,
        last_number: int = 0,
        *,
        clock: Callable[[], datetime] | None = None,
        max_age_days: float = CHANGE_LOG_DAYS,
    ) -> None:
        self.retention = retention
        self.changes: list[Change] = []
        self.last_number = last_number
        self.clock = clock or (lambda: datetime.now(UTC))
        self.max_age_days = max_age_days

    def expired(self, token: ParsedToken) -> bool:
        """Whether a token is older than the change-log retention (SPO then answers nothing)."""
        cutoff = self.clock() - timedelta(days=self.max_age_days)
        return token.ticks < to_ticks(cutoff)

    def record(self, change: Change) -> Change:
        self.last_number += 1
        change.change_number = self.last_number
        change.token = make_token(SCOPE_LIST, change.list_id, change.time, change.change_number)
        self.changes.append(change)
        if len(self.changes) > self.retention:
            del self.changes[: len(self.changes) - self.retention]
        return change

    @property
    def oldest_retained(self) -> int:
        """Number of the oldest change still kept (last_number + 1 when the log is empty)."""
        return self.changes[0].change_number if self.changes else self.last_number + 1

    def query(
        self,
        *,
        scope: int,
        scope_guid: str,
        also_accept: set[str] | None = None,
        list_id: str | None,
        token_start: str | None,
        token_end: str | None,
        fetch_limit: int,
        kinds: set[str] | None,
        objects: set[str] | None = None,
    ) -> list[Change]:
        """Changes strictly after token_start (up to token_end), each with a token of `scope`.

        `kinds`: change-type flags (`Add`, `Update`, `Move`…); `objects`: object-type flags
        (`Item`, `List`, `Field`); None means every kind / items only.
        """
        start = 0
        if token_start:
            parsed = parse_token(token_start)
            if parsed.guid != scope_guid and parsed.guid not in (also_accept or set()):
                raise ChangeTokenInvalid(
                    f"The change token '{token_start}' does not belong to this object."
                )
            if self.expired(parsed):
                return []  # silently: an incremental reader that trusts this goes stale
            if parsed.number < self.oldest_retained - 1:
                raise ChangeTokenInvalid(
                    f"The change token '{token_start}' refers to a time before the start "
                    "of the current change log."
                )
            start = parsed.number
        end = parse_token(token_end).number if token_end else None
        wanted = (
            {CHANGE_TYPE_BY_NAME[k.lower()] for k in kinds if k.lower() in CHANGE_TYPE_BY_NAME}
            if kinds
            else None
        )
        if wanted is not None and 5 in wanted and any(k.lower() == "move" for k in kinds or ()):
            wanted.add(6)  # `Move` asks for MoveAway and MoveInto
        objs = {OBJECT_KINDS[o.lower()] for o in objects or () if o.lower() in OBJECT_KINDS}
        objs = objs or {"item"}
        out: list[Change] = []
        for ch in self._after(start):
            if end is not None and ch.change_number > end:
                break
            if list_id is not None and ch.list_id != list_id:
                continue
            if wanted is not None and ch.change_type not in wanted:
                continue
            if ch.kind not in objs:
                continue
            tok = (
                ch.token
                if scope == SCOPE_LIST
                else make_token(scope, scope_guid, ch.time, ch.change_number)
            )
            out.append(replace(ch, token=tok))
            if len(out) >= fetch_limit:
                break
        return out

    def _after(self, number: int) -> list[Change]:
        lo, hi = 0, len(self.changes)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.changes[mid].change_number <= number:
                lo = mid + 1
            else:
                hi = mid
        return self.changes[lo:]
