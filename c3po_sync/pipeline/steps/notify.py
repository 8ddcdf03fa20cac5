"""Notify: each PPM gets one digest of what is new, due or overdue that they were not told yet.

At most one message per PPM per run, none when nothing is new, none in a dry run (which shows
what it would send), none for a PPM who ticked "No Digest" on the hub. Each digest is claimed
in the state store before it is sent (state/notifications.py), so a re-run after a kill sends
nothing twice. A digest the service refuses (a PPM's address that is not an address) is
reported with the PPM, the channel and the service's answer; the other digests still go out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from c3po_sync.m365.errors import M365Error
from c3po_sync.m365.notify_senders import DeliveryUnknown, DigestSender, NotifyError
from c3po_sync.notify import render
from c3po_sync.notify.digest import Digest, build_digests, without_ppm
from c3po_sync.pipeline.context import RunContext
from c3po_sync.sinks.digest_settings import (
    DIGEST_SETTINGS,
    DIGEST_SETTINGS_READ,
    opted_out,
    settings_rows,
)
from c3po_sync.state import notifications

logger = logging.getLogger(__name__)


@dataclass
class DigestOutcome:
    """What became of one PPM's digest this run."""

    ppm: str
    channel: str
    state: str  # sent | would send | refused | unknown
    subject: str
    items: int
    text: str
    error: str | None = None

    def describe(self) -> str:
        tail = f": {self.error}" if self.error else ""
        return f"{self.ppm} ({self.channel}): {self.state}, {self.items} item(s){tail}"


def _opted_out(ctx: RunContext) -> set[str]:
    """Keeps one settings row per PPM on the hub and reads who ticked "No Digest"."""
    tables = ctx.current_tables()
    sink = ctx.ports.list_sink
    ctx.before_hub_write()  # the settings list is the notify job's own hub write
    sink.ensure_list(DIGEST_SETTINGS, dry_run=ctx.dry_run)
    report = sink.upsert(DIGEST_SETTINGS, settings_rows(tables.projects), dry_run=ctx.dry_run)
    ctx.result.writes.append(report)
    if not ctx.dry_run:
        ctx.store.record_writes(ctx.result.run_id, [report])
    read = ctx.ports.read_rows
    return opted_out(read(DIGEST_SETTINGS_READ)) if read is not None else set()


def run_notify(ctx: RunContext) -> None:
    config = ctx.inputs.settings.notify
    sender = ctx.ports.notifier
    if config is None or sender is None:
        logger.warning("run %s: notify step without a notifier; nothing sent", ctx.result.run_id)
        return
    engine = ctx.store.engine
    for claim in notifications.unconfirmed(engine):
        logger.warning(
            "digest %s (%s) was claimed by run %s and never confirmed: it may have gone out, "
            "so its items are not sent again",
            claim["digest_id"],
            claim["channel"],
            claim["run_id"],
        )
    skip = _opted_out(ctx)
    rules = ctx.inputs.rules
    history = ctx.findings_history()
    # Open findings that name no PPM reach no digest: the run summary counts them.
    ctx.result.findings_without_ppm = without_ppm(history)
    digests = build_digests(
        history,
        ctx.current_tables().projects,
        ctx.inputs.today,
        told=notifications.told(engine),
        opted_out=skip,
        due_within_days=config.due_within_days,
        phases=rules.phases,
        inactive_phases=rules.inactive_phases,
        halted_states=rules.state_documents,
    )
    hub_url = ctx.inputs.settings.tenant.base_url + ctx.inputs.settings.hub_site
    for digest in digests:
        ctx.result.digests.append(_deliver(ctx, sender, digest, hub_url))
    if skip:
        logger.info("run %s: %d PPM(s) opted out of the digest", ctx.result.run_id, len(skip))


def _deliver(ctx: RunContext, sender: DigestSender, digest: Digest, hub_url: str) -> DigestOutcome:
    subject = render.subject(digest)
    channel = sender.channel
    outcome = DigestOutcome(
        digest.ppm,
        channel,
        "would send" if ctx.dry_run else "sent",
        subject,
        len(digest.items),
        render.text(digest, hub_url),
    )
    if ctx.dry_run:
        return outcome
    engine = ctx.store.engine
    digest_id = notifications.claim(
        engine, ctx.result.run_id, digest.ppm, channel, subject, (i.key for i in digest.items)
    )
    try:
        sender.send(
            digest.ppm,
            digest.name,
            subject,
            render.html(digest, hub_url),
            render.teams_payload(digest, hub_url),
        )
    except DeliveryUnknown as exc:
        outcome.state, outcome.error = "unknown", str(exc)
        logger.error("run %s: %s", ctx.result.run_id, exc)
        return outcome
    except (NotifyError, M365Error) as exc:
        notifications.finish(engine, digest_id, sent=False, error=str(exc))
        outcome.state, outcome.error = "refused", str(exc)
        logger.error("run %s: %s; the other digests go on", ctx.result.run_id, exc)
        return outcome
    notifications.finish(engine, digest_id, sent=True)
    logger.info("run %s: digest sent: %s", ctx.result.run_id, outcome.describe())
    return outcome
