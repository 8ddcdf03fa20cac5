"""One read-only ``$batch`` per site: change token, list schemas and site users in one round trip.

A first run used to cost, per site, one ``CurrentChangeToken`` GET and one ``Fields`` GET per
mapped list before the first item page. Those GETs do not depend on each other, so they go in
one ``$batch`` (GETs as top-level parts, never inside a changeset, as OData v3 requires). The
answers are stashed on the ``SiteConnection``; the readers take them instead of sending their
own GET. A part that failed is simply not stashed, and a batch that failed as a whole is
logged and dropped: the readers then send their usual single GETs, so every fallback path
(errors with SharePoint's codes, retries, token refusal) stays exactly as before.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Collection
from typing import Any

from c3po_sync.m365.batch import UNKNOWN_OUTCOME, SubResponse, parse_batch_response
from c3po_sync.m365.errors import BatchResponseError, SharePointRequestError
from c3po_sync.m365.http import VERBOSE, SiteConnection

logger = logging.getLogger(__name__)

CRLF = "\r\n"
MAX_READ_OPERATIONS = 100  # SharePoint's limit per $batch


def build_read_batch(urls: list[str]) -> tuple[str, bytes]:
    """Content-Type and body of a batch of GETs, one top-level ``application/http`` part each."""
    boundary = f"batch_{uuid.uuid4()}"
    lines: list[str] = []
    for url in urls:
        lines += [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"GET {url} HTTP/1.1",
            f"Accept: {VERBOSE}",
            "",
            "",
        ]
    lines += [f"--{boundary}--", ""]
    return f"multipart/mixed; boundary={boundary}", CRLF.join(lines).encode("utf-8")


def _payload(sub: SubResponse) -> Any:
    body = sub.json()
    return body.get("d", body) if isinstance(body, dict) else body


def batch_get(conn: SiteConnection, urls: list[str], *, route: str) -> list[SubResponse]:
    """Sends the GETs in one ``$batch`` (retried as a whole) and returns the answers in order."""

    def attempt() -> list[SubResponse]:
        content_type, body = build_read_batch(urls)
        response = conn.send_once(
            "POST",
            conn.api("$batch"),
            route=route,
            data=body,
            headers={"Content-Type": content_type, "Accept": "multipart/mixed"},
        )
        subs = parse_batch_response(response)
        if len(subs) != len(urls):
            raise BatchResponseError(
                f"{conn.site_path}: read $batch of {len(urls)} GETs got {len(subs)} answers"
            )
        return subs

    return conn.retry(attempt, route=route)


def prefetch(conn: SiteConnection, urls: list[str], *, shared: Collection[str] = ()) -> int:
    """GETs ``urls`` in one ``$batch`` and stashes each good answer for ``conn.get_json``.

    ``shared`` URLs serve every reader of the sync (site users, time zone). Does nothing for
    fewer than two GETs (a batch of one costs what the GET costs). Returns how many answers
    were stashed; the readers send their own GETs for the rest.
    """
    conn.discard_prefetched()
    keys = list(dict.fromkeys(urls))[:MAX_READ_OPERATIONS]
    if len(keys) < 2:
        return 0
    try:
        subs = batch_get(conn, keys, route="read $batch")
    except (SharePointRequestError, *UNKNOWN_OUTCOME) as exc:  # a cut answer too: GETs follow
        logger.warning(
            "%s: read $batch failed (%s); reading schemas and token one by one",
            conn.site_path,
            exc,
        )
        return 0
    stashed = 0
    for key, sub in zip(keys, subs, strict=True):
        if not sub.ok:
            logger.info(
                "%s: read $batch part %s answered HTTP %s; it is read on its own",
                conn.site_path,
                key,
                sub.status,
            )
            continue
        try:
            conn.stash(key, _payload(sub), shared=key in shared)
        except (ValueError, json.JSONDecodeError):
            continue
        stashed += 1
    return stashed
