"""Incremental reading, HTTP-free: one change-log read per site, re-read only what changed.

The adapters (m365) implement ``IncrementalSource`` and ``ChangeFeed``; the cache
(``state.raw_cache.RawCache``) keeps each source's raw records, schema and paging position.
Normalization runs over the whole cached set, so an incremental run yields the same canonical
tables as a full read; the batches hand it the cached records one source at a time
(``StoredRecords``), never the whole tenant at once. Each batch also says which items this sync
re-read and which are gone (``SourceBatch.changed_ids``/``deleted_ids``), so that normalize
can redo only those where the stored tables vouch for the rest (``normalize/splice.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, overload, runtime_checkable

from c3po_sync.errors import C3POError
from c3po_sync.sources.base import FieldInfo, RawRecord, SourceBatch, SourceRef

logger = logging.getLogger(__name__)


class ChangeTokenExpiredError(C3POError):
    """The change log refused the token (too old, or from another object): read in full."""


@dataclass
class ListChanges:
    """Item ids to re-read and ids deleted in one list since a token."""

    changed: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)

    def add(self, item_id: int, deleted: bool) -> None:
        """Applies one change in log order: the last change of an id wins."""
        if deleted:
            self.changed.discard(item_id)
            self.deleted.add(item_id)
        else:
            self.deleted.discard(item_id)
            self.changed.add(item_id)


@dataclass
class SiteChanges:
    """What the site's change log says happened after a token, grouped by list id."""

    token: str
    lists: dict[str, ListChanges] = field(default_factory=dict)
    schema_changed: set[str] = field(default_factory=set)  # list ids with list/field changes
    all_schemas_changed: bool = False  # a field change that names no list (site column)
    item_rows: dict[str, int] = field(default_factory=dict)  # list id -> item change rows

    def for_list(self, list_id: str | None) -> ListChanges:
        return self.lists.get((list_id or "").lower(), ListChanges())

    def schema_touched(self, list_id: str | None) -> bool:
        return self.all_schemas_changed or (list_id or "").lower() in self.schema_changed


@dataclass
class Schema:
    """A source's columns as the adapter describes them (opaque JSON), its list id and zone."""

    list_id: str
    fields: list[dict[str, Any]]
    time_zone: str

    def field_infos(self) -> list[FieldInfo]:
        return [FieldInfo(f["internal_name"], f["title"], f["kind"]) for f in self.fields]


@dataclass
class Page:
    """One page of a full read and the position to resume after it (None: the read is done).

    ``merge``: the records carry extra columns of items already cached (a split lookup query).
    """

    records: list[RawRecord]
    position: dict[str, Any] | None
    merge: bool = False


@dataclass
class PrefetchPlan:
    """What a source will read first this sync: its schema, and the items it will re-read.

    ``schema`` is the cached one (None on a first read); ``ids`` the changed items (None for a
    full read). A feed that can batch reads uses it to send those GETs in one round trip.
    """

    source: IncrementalSource
    columns: list[str]
    schema: Schema | None
    ids: list[int] | None


class ChangeFeed(Protocol):
    """A site's change log."""

    def current_token(self) -> str: ...

    def changes_since(self, token: str) -> SiteChanges: ...


@runtime_checkable
class PrefetchingFeed(Protocol):
    """A feed that can send the token and the sources' first GETs in one round trip (m365:
    one read ``$batch``); its answers are good for one sync, then discarded."""

    def prefetch(self, plans: list[PrefetchPlan], *, token: bool) -> None: ...

    def discard_prefetched(self) -> None: ...


@runtime_checkable
class DatedTokens(Protocol):
    """A feed that can tell when a change token was taken (for the token age limit)."""

    def token_time(self, token: str) -> datetime | None: ...


@runtime_checkable
class PrefetchableSource(Protocol):
    """A source that names the GETs it will start with, for a prefetching feed."""

    def prefetch_urls(self, plan: PrefetchPlan) -> list[str]: ...

    def shared_urls(self) -> list[str]: ...


@runtime_checkable
class IncrementalSource(Protocol):
    """A source that can be read in full page by page, or by item ids."""

    ref: SourceRef

    def fetch_schema(self) -> Schema: ...

    def iter_full(
        self, columns: list[str], schema: Schema, position: dict[str, Any] | None
    ) -> Iterator[Page]: ...

    def read_ids(self, columns: list[str], schema: Schema, ids: list[int]) -> list[RawRecord]: ...

    def resolved_columns(self, columns: list[str], schema: Schema) -> list[str]: ...

    def change_feed(self) -> ChangeFeed: ...


class SourceCache(Protocol):
    """What the site sync needs from the state store (``state.raw_cache.RawCache``)."""

    def site_token(self, site: str) -> str | None: ...

    def set_site_token(self, site: str, token: str) -> None: ...

    def state(self, key: str) -> SourceState | None: ...

    def begin_full(self, key: str, columns: list[str], schema: Schema) -> None: ...

    def save_page(self, key: str, page: Page) -> None: ...

    def apply_changes(
        self, key: str, upserts: list[RawRecord], deleted: set[int], schema: Schema | None
    ) -> None: ...

    def records(self, key: str) -> list[RawRecord]: ...

    def records_by_id(self, key: str, ids: list[int]) -> list[RawRecord]: ...

    def count(self, key: str) -> int: ...


@dataclass(frozen=True)
class SourceState:
    """A source's cache entry: complete or not, what it was read with, where a full read stands."""

    columns: list[str]
    schema: Schema
    complete: bool
    position: dict[str, Any] | None


class StoredRecords(Sequence[RawRecord]):
    """A source's records as the cache keeps them, read from it each time they are iterated.

    The batches of a sync hold these instead of the records, so normalize loads one source at
    a time and lets it go before the next: a run's memory follows its largest source, not the
    tenant (issue 16, streaming reads).
    """

    def __init__(self, cache: SourceCache, key: str) -> None:
        self._cache = cache
        self._key = key
        self._count: int | None = None

    def __len__(self) -> int:
        if self._count is None:
            self._count = self._cache.count(self._key)
        return self._count

    def __iter__(self) -> Iterator[RawRecord]:
        return iter(self._cache.records(self._key))

    @overload
    def __getitem__(self, index: int) -> RawRecord: ...

    @overload
    def __getitem__(self, index: slice) -> list[RawRecord]: ...

    def __getitem__(self, index: int | slice) -> RawRecord | list[RawRecord]:
        return self._cache.records(self._key)[index]

    def by_ids(self, ids: list[int]) -> list[RawRecord]:
        """Only these items (those still stored), in item id order, without loading the rest."""
        return self._cache.records_by_id(self._key, ids)

    def __repr__(self) -> str:
        return f"StoredRecords({self._key!r})"


def source_key(ref: SourceRef) -> str:
    return f"{ref.site}/{ref.list_title}".lower()


def id_ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids collapsed into inclusive ranges: [1,2,3,7] -> [(1,3),(7,7)]."""
    out: list[tuple[int, int]] = []
    for i in sorted(set(ids)):
        if out and i == out[-1][1] + 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


@dataclass
class SiteSyncResult:
    """Per source key: the batch built from the cache, or the error that stopped it."""

    batches: dict[str, SourceBatch] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    incremental: bool = False
    full_reads: list[str] = field(default_factory=list)
    # Read through the change log with nothing in it for them: no item, list or field change.
    unchanged: set[str] = field(default_factory=set)
    # Unchanged sources, when the caller asked (``defer_unchanged``): a quiet night needs
    # nothing of them, not even their count. Every batch's records stay in the cache
    # (``StoredRecords``) until normalize iterates them.
    deferred: set[str] = field(default_factory=set)
    # The site's change token this sync started from (None: none was stored): the stored
    # tables built at that token plus this sync's changes are this sync's tables.
    start_token: str | None = None


def sync_site(
    site: str,
    sources: list[tuple[IncrementalSource, list[str]]],
    cache: SourceCache,
    *,
    max_token_age: timedelta | None = None,
    now: datetime | None = None,
    defer_unchanged: bool = False,
) -> SiteSyncResult:
    """Brings every source of one site up to date in the cache and returns full batches.

    First run: the site's current change token is stored *before* any page is read, then each
    list is read in full with a checkpoint after every page. Later runs: one change-log request
    for the whole site; lists re-read only changed items, drop deleted ones and re-read their
    schema only when the log shows list or field changes. The token advances only when every
    source of the site was brought up to date, so a failure replays the same changes next time.

    A token older than ``max_token_age`` (its time read by the feed's ``token_time``) is not
    used: SharePoint answers a token past its change-log retention with no changes and no
    error (SharePoint/sp-dev-docs#10389), so the site is read in full well before that.
    """
    result = SiteSyncResult()
    if not sources:
        return result
    feed = sources[0][0].change_feed()
    try:
        _sync_sources(
            site, sources, cache, feed, result, _too_old(feed, max_token_age, now), defer_unchanged
        )
    finally:
        if isinstance(feed, PrefetchingFeed):
            feed.discard_prefetched()  # prefetched answers are good for this sync only
    return result


def _sync_sources(
    site: str,
    sources: list[tuple[IncrementalSource, list[str]]],
    cache: SourceCache,
    feed: ChangeFeed,
    result: SiteSyncResult,
    too_old: Callable[[str], str | None] = lambda _token: None,
    defer_unchanged: bool = False,
) -> None:
    token = cache.site_token(site)
    result.start_token = token
    changes: SiteChanges | None = None
    restart = False
    if token is None:
        _prefetch(feed, _plans(sources, cache, None), token=True)
        token = feed.current_token()
        cache.set_site_token(site, token)  # before any page: changes during the read replay
    else:
        try:
            if age := too_old(token):
                raise ChangeTokenExpiredError(age)
            changes = feed.changes_since(token)
            result.incremental = True
        except ChangeTokenExpiredError as exc:
            for source, _ in sources:
                logger.warning(
                    "%s: change token refused (%s); falling back to a full read of %s",
                    site,
                    exc,
                    source.ref,
                )
            _prefetch(feed, [PrefetchPlan(s, c, None, None) for s, c in sources], token=True)
            token = feed.current_token()
            cache.set_site_token(site, token)
            restart = True
        else:
            _prefetch(feed, _plans(sources, cache, changes), token=False)
    for source, columns in sources:
        key = source_key(source.ref)
        try:
            if restart:
                cache.begin_full(key, columns, source.fetch_schema())
            quiet = not restart and _untouched(cache.state(key), columns, changes)
            full, changed, gone = _bring_up_to_date(source, columns, cache, changes)
            if full:
                result.full_reads.append(key)
            state = cache.state(key)
            assert state is not None
            if quiet and not full:
                result.unchanged.add(key)
            defer = defer_unchanged and key in result.unchanged
            if defer:
                result.deferred.add(key)
            result.batches[key] = SourceBatch(
                ref=source.ref,
                fields=state.schema.field_infos(),
                records=StoredRecords(cache, key),
                time_zone=state.schema.time_zone,
                incremental=not full,
                deleted_ids=[] if full else sorted(gone),
                changed_ids=None if full or restart else frozenset(changed),
            )
        except Exception as exc:  # one source failing must not stop the others
            result.errors[key] = exc
    if changes is not None and not result.errors:
        cache.set_site_token(site, changes.token)


def _untouched(state: SourceState | None, columns: list[str], changes: SiteChanges | None) -> bool:
    """The change log read this sync has nothing for a complete, current cache entry."""
    if changes is None or state is None or not state.complete or state.columns != columns:
        return False
    delta = changes.for_list(state.schema.list_id)
    return not (changes.schema_touched(state.schema.list_id) or delta.changed or delta.deleted)


def _too_old(
    feed: ChangeFeed, limit: timedelta | None, now: datetime | None
) -> Callable[[str], str | None]:
    """Says why a token is too old to trust (None when it is not, or its age is unknown)."""

    def check(token: str) -> str | None:
        taken = None
        if limit is not None and isinstance(feed, DatedTokens):
            taken = feed.token_time(token)
        if taken is None or limit is None:
            return None
        age = (now or datetime.now(UTC)) - taken
        if age <= limit:
            return None
        return (
            f"the change token was taken {age.days} days ago, over the {limit.days}-day limit "
            "(read.max_token_age_days); SharePoint may have dropped changes that old"
        )

    return check


def _prefetch(feed: ChangeFeed, plans: list[PrefetchPlan], *, token: bool) -> None:
    """Lets a feed that can (m365: one read ``$batch``) fetch token and schemas in one go."""
    if isinstance(feed, PrefetchingFeed) and (plans or token):
        feed.prefetch(plans, token=token)


def _plans(
    sources: list[tuple[IncrementalSource, list[str]]],
    cache: SourceCache,
    changes: SiteChanges | None,
) -> list[PrefetchPlan]:
    """The sources whose schema ``_bring_up_to_date`` will read (the same decisions: _decide)."""
    plans: list[PrefetchPlan] = []
    for source, columns in sources:
        state = cache.state(source_key(source.ref))
        fresh, delta = _decide(state, columns, changes)
        if fresh:
            plans.append(PrefetchPlan(source, columns, None, None))
        elif delta is not None and state is not None:
            ids = sorted(delta.changed) if state.complete else None
            plans.append(PrefetchPlan(source, columns, state.schema, ids))
    return plans


def _decide(
    state: SourceState | None, columns: list[str], changes: SiteChanges | None
) -> tuple[bool, ListChanges | None]:
    """What a sync does with one source: (fresh, delta).

    ``fresh``: nothing usable is cached (never read, or the mapped columns changed), so its
    schema is read and the list read in full. ``delta``: the list changed since the token
    (items, or its fields), so its schema is re-read and the changed items read again.
    """
    if state is None or state.columns != columns:
        return True, None
    if changes is None or not (state.complete or state.position is not None):
        return False, None
    delta = changes.for_list(state.schema.list_id)
    if changes.schema_touched(state.schema.list_id) or delta.changed or delta.deleted:
        return False, delta
    return False, None


def _bring_up_to_date(
    source: IncrementalSource,
    columns: list[str],
    cache: SourceCache,
    changes: SiteChanges | None,
) -> tuple[bool, set[int], set[int]]:
    """Updates one source's cache: (needed (part of) a full read, ids re-read, ids gone)."""
    key = source_key(source.ref)
    state = cache.state(key)
    restart, delta = _decide(state, columns, changes)
    if restart:
        if state is not None:
            logger.info("%s: mapped columns changed; reading it in full", source.ref)
        cache.begin_full(key, columns, source.fetch_schema())
        state = cache.state(key)
    assert state is not None
    schema = state.schema
    if delta is not None:
        # A list that changed at all gets its schema re-read too (one request): a change log
        # that misses a field change (or a sandbox that logs none) cannot hide drift then.
        fresh = source.fetch_schema()
        if set(source.resolved_columns(columns, fresh)) - set(
            source.resolved_columns(columns, schema)
        ):
            logger.info("%s: a mapped column appeared; reading it in full", source.ref)
            cache.begin_full(key, columns, fresh)
            return _full_read(source, columns, cache, key), set(), set()
        schema = fresh
        # Every id the log names, above a resumed full read's position too: the later pages
        # would bring an item back, but not tell a folder (logged alone, its items unlogged:
        # _unaccounted) from an item.
        named = delta.changed | delta.deleted
        wanted = sorted(named & delta.changed)
        upserts = source.read_ids(columns, schema, wanted) if wanted else []
        if _unaccounted(cache, key, named, upserts):
            cache.begin_full(key, columns, schema)
            return _full_read(source, columns, cache, key), set(), set()
        gone = delta.deleted | (set(wanted) - {r.item_id for r in upserts})
        if upserts or gone or schema is not state.schema:
            cache.apply_changes(key, upserts, gone, schema if schema is not state.schema else None)
        changed, deleted = {r.item_id for r in upserts}, gone
    else:
        changed, deleted = set(), set()
    if state.complete:
        return False, changed, deleted
    return _full_read(source, columns, cache, key), set(), set()


def _unaccounted(
    cache: SourceCache,
    key: str,
    named: set[int],
    upserts: list[RawRecord],
) -> bool:
    """Whether the change log names an item that is neither a record we hold nor one re-read
    now: a folder (the readers skip folders), or an item come and gone between two syncs.

    A folder's change says nothing of what it holds: SharePoint logs one row for a deleted
    folder and none for its files (SharePoint/sp-dev-docs#5964), one Add for a folder copied
    in with its files (#9039), and nothing for the files of a renamed or moved folder, whose
    paths (the project they are filed under) all changed (microsoftgraph/
    microsoft-graph-docs-contrib#6552). Only a full read of the source then tells what it
    holds; folders change rarely, and a full read is one request per 5,000 items.
    """
    unknown = named - {r.item_id for r in upserts}
    if not unknown:
        return False
    held = {r.item_id for r in cache.records_by_id(key, sorted(unknown))}
    if unknown - held:
        logger.info(
            "%s: the change log names item(s) %s, which are no items held or re-read (a "
            "folder, whose contents the log does not list); reading it in full",
            key,
            sorted(unknown - held)[:10],
        )
        return True
    return False


def _full_read(source: IncrementalSource, columns: list[str], cache: SourceCache, key: str) -> bool:
    state = cache.state(key)
    assert state is not None
    if state.position:
        logger.info("%s: resuming a full read at %s", source.ref, state.position)
    for page in source.iter_full(columns, state.schema, state.position):
        cache.save_page(key, page)
    return True
