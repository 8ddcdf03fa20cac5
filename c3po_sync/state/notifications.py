"""What each PPM was told, so a digest item goes out once, even across a killed run.

A digest is claimed (its items recorded, state "claimed") before it is sent and marked
"sent" after. A run killed between the two leaves a claim: the next run does not send those
items again (the send may have gone out; neither Graph nor a Teams workflow can be asked) and
reports the claim as unconfirmed. A digest the service refused releases its items, so they are
offered again once the cause (say, a PPM's e-mail) is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Engine, Integer, String, Table, Text, delete, select, update

from c3po_sync.state.tables import UTCDateTime, metadata

digests = Table(
    "digests",
    metadata,
    Column("digest_id", String(400), primary_key=True),  # "<run id>:<ppm>"
    Column("run_id", Integer, nullable=False),
    Column("ppm", String(320), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("state", String(20), nullable=False),  # claimed | sent | refused
    Column("subject", Text, nullable=False),
    Column("items", Integer, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("error", Text),
)

digest_items = Table(
    "digest_items",
    metadata,
    Column("ppm", String(320), primary_key=True),
    Column("item_key", String(600), primary_key=True),
    Column("digest_id", String(400), nullable=False),
)


def _now() -> datetime:
    return datetime.now(UTC)


def told(engine: Engine) -> dict[str, set[str]]:
    """PPM -> item keys in a digest sent or claimed (never those of a refused digest)."""
    out: dict[str, set[str]] = {}
    with engine.connect() as conn:
        for ppm, key in conn.execute(select(digest_items.c.ppm, digest_items.c.item_key)):
            out.setdefault(ppm, set()).add(key)
    return out


def claim(
    engine: Engine,
    run_id: int,
    ppm: str,
    channel: str,
    subject: str,
    keys: Iterable[str],
) -> str:
    """Records the digest and its items before sending; returns its id."""
    digest_id = f"{run_id}:{ppm}"
    keys = sorted(set(keys))
    with engine.begin() as conn:
        conn.execute(
            digests.insert().values(
                digest_id=digest_id,
                run_id=run_id,
                ppm=ppm,
                channel=channel,
                state="claimed",
                subject=subject,
                items=len(keys),
                claimed_at=_now(),
            )
        )
        if keys:
            conn.execute(
                digest_items.insert(),
                [{"ppm": ppm, "item_key": k, "digest_id": digest_id} for k in keys],
            )
    return digest_id


def finish(engine: Engine, digest_id: str, *, sent: bool, error: str | None = None) -> None:
    """Sent: the claim stands. Refused: its items are released for a later digest."""
    with engine.begin() as conn:
        conn.execute(
            update(digests)
            .where(digests.c.digest_id == digest_id)
            .values(state="sent" if sent else "refused", finished_at=_now(), error=error)
        )
        if not sent:
            conn.execute(delete(digest_items).where(digest_items.c.digest_id == digest_id))


def unconfirmed(engine: Engine) -> list[dict[str, Any]]:
    """Claims no run confirmed or refused: digests that may or may not have gone out."""
    with engine.connect() as conn:
        rows = conn.execute(select(digests).where(digests.c.state == "claimed"))
        return [dict(r._mapping) for r in rows]


def history(engine: Engine, run_id: int | None = None) -> list[dict[str, Any]]:
    """Every digest (or one run's), oldest first."""
    q = select(digests).order_by(digests.c.claimed_at, digests.c.ppm)
    if run_id is not None:
        q = q.where(digests.c.run_id == run_id)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(q)]
