"""OData v3 ``$batch`` built and read by us, so each operation can carry its own ``IF-MATCH``.

The client's ``execute_batch`` forces ``IF-MATCH: *`` on updates and raises on the first failed
operation; we need per-operation ETags and per-operation outcomes (412 → re-read, 429 → resend).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from requests import Response

from c3po_sync.m365.errors import BatchResponseError, BatchThrottledError
from c3po_sync.m365.retry import parse_retry_after

if TYPE_CHECKING:
    from c3po_sync.m365.http import SiteConnection

logger = logging.getLogger(__name__)

CRLF = "\r\n"
MAX_OPERATIONS = 100
_STATUS_LINE = re.compile(r"^HTTP/1\.\d\s+(\d{3})")

# A `$batch` that fails like this after it went out may or may not have been applied.
UNKNOWN_OUTCOME = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.Timeout,
    BatchResponseError,
)


@dataclass
class BatchOp:
    """One write inside a batch; ``key`` ties it back to the business row."""

    method: str  # POST (add) or MERGE (update)
    url: str
    body: dict[str, Any]
    key: str
    item_id: int | None = None
    etag: str | None = None
    kind: str = "update"  # add | update | mark
    desired: dict[str, Any] = field(default_factory=dict)  # what to re-apply after a 412
    # The owned columns of ``desired`` the write carries, when ``body`` is made of them only
    # as its batch is sent (``SharePointListSink._send_batches``): a first run's 20,000 write
    # bodies are never held at once. None: ``body`` is given.
    fields: tuple[str, ...] | None = None


@dataclass
class SubResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        # bytes straight to json (no decoded copy, no stripped copy of a large answer)
        return json.loads(self.body) if self.body and not self.body.isspace() else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> tuple[str, str]:
        """SharePoint's error code and message from the part's body, if it has them."""
        try:
            error = (self.json() or {}).get("error", {})
        except (ValueError, AttributeError):
            return "", self.body.decode("utf-8", "replace")[:200]
        message = error.get("message", "") if isinstance(error, dict) else ""
        if isinstance(message, dict):
            message = message.get("value", "")
        code = error.get("code", "") if isinstance(error, dict) else ""
        return str(code), str(message)


def build_batch(ops: list[BatchOp]) -> tuple[str, bytes]:
    """Content-Type and body of one batch holding ``ops`` in a single changeset."""
    batch = f"batch_{uuid.uuid4()}"
    changeset = f"changeset_{uuid.uuid4().hex}"
    lines = [
        f"--{batch}",
        f'Content-Type: multipart/mixed; boundary="{changeset}"',
        "",
    ]
    for op in ops:
        lines += [
            f"--{changeset}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"{op.method} {op.url} HTTP/1.1",
            "Accept: application/json;odata=verbose",
            "Content-Type: application/json;odata=verbose",
        ]
        if op.method != "POST":
            lines.append(f"X-HTTP-Method: {op.method}")
        if op.etag is not None:
            lines.append(f"IF-MATCH: {op.etag}")
        lines += ["", json.dumps(op.body), ""]
    lines += [f"--{changeset}--", "", f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", CRLF.join(lines).encode("utf-8")


_BOUNDARY = re.compile(r'boundary\s*=\s*"?([^";]+)"?', re.IGNORECASE)
_BREAKS = b"\r\n"


def _boundary(content_type: str) -> bytes:
    m = _BOUNDARY.search(content_type)
    if m is None:
        raise BatchResponseError(f"multipart answer without a boundary: {content_type!r}")
    return m.group(1).strip().encode("ascii")


def _delimiter(data: bytes, dash: bytes, start: int, stop: int) -> int:
    """Where the next line starting with ``dash`` (``--boundary``) begins, or -1."""
    i = data.find(dash, start, stop)
    while i > 0 and data[i - 1] != 0x0A:  # not at a line start: inside a part
        i = data.find(dash, i + 1, stop)
    return i


def _body_parts(data: bytes, boundary: bytes, begin: int, end: int) -> Iterator[tuple[int, int]]:
    """Where the body parts of the multipart ``data[begin:end]`` lie, in order (RFC 2046: the
    line break before a delimiter line belongs to the delimiter). A part a cut answer left open
    runs to the end, as the ``email`` parser read it; what is missing shows as too few answers.
    Offsets, not slices: a part of several MB is not copied to be looked at."""
    dash = b"--" + boundary
    pos = _delimiter(data, dash, begin, end)
    while pos != -1 and not data.startswith(b"--", pos + len(dash), end):  # "--boundary--"
        line_end = data.find(b"\n", pos, end)
        if line_end == -1:
            return
        start = line_end + 1
        nxt = _delimiter(data, dash, start, end)
        stop = end if nxt == -1 else nxt
        if nxt != -1 and data[stop - 1 : stop] == b"\n":
            stop -= 2 if data[stop - 2 : stop] == b"\r\n" else 1
        yield start, max(start, stop)
        pos = nxt


def _split_head(data: bytes, start: int, stop: int) -> tuple[list[str], int]:
    """The header lines of the part at ``start`` and where its body begins (after the blank
    line; ``stop`` when there is none)."""
    ends = [(i, n) for i, n in ((data.find(b"\r\n\r\n", start, stop), 4),
                                (data.find(b"\n\n", start, stop), 2)) if i != -1]  # fmt: skip
    at, n = min(ends) if ends else (stop, 0)
    return data[start:at].decode("utf-8", "replace").splitlines(), at + n


def _headers(lines: list[str]) -> dict[str, str]:
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers


def _parse_part(data: bytes, start: int, stop: int) -> SubResponse:
    """The ``application/http`` part ``data[start:stop]``: its status line, headers and body.
    The body is sliced once (an answer of several MB, the site's users, is not copied over)."""
    while start < stop and data[start] in _BREAKS:
        start += 1
    lines, body_at = _split_head(data, start, stop)
    status = lines[0].strip() if lines else ""
    m = _STATUS_LINE.match(status)
    if m is None:
        raise BatchResponseError(f"$batch part has no HTTP status line: {status[:120]!r}")
    while stop > body_at and data[stop - 1] in _BREAKS:
        stop -= 1
    while body_at < stop and data[body_at] in _BREAKS:
        body_at += 1
    return SubResponse(int(m.group(1)), _headers(lines[1:]), data[body_at:stop])


def _walk(data: bytes, boundary: bytes, begin: int, end: int, out: list[SubResponse]) -> None:
    for start, stop in _body_parts(data, boundary, begin, end):
        lines, body_at = _split_head(data, start, stop)
        content_type = _headers(lines).get("content-type", "")
        kind = content_type.split(";")[0].strip().lower()
        if kind.startswith("multipart/"):  # a changeset's answers, nested
            _walk(data, _boundary(content_type), body_at, stop, out)
        elif kind == "application/http":
            out.append(_parse_part(data, body_at, stop))


def parse_batch_response(response: Response) -> list[SubResponse]:
    """Sub-responses in order, whether the server answers flat (SPO) or nested per changeset.

    Read with ``bytes.find``, not the ``email`` package: that one holds about eleven copies of
    an answer while parsing it (34 MB for the 3 MB of a 4x tenant's site users)."""
    content_type = response.headers.get("Content-Type", "")
    if "multipart" not in content_type.lower():
        raise BatchResponseError(f"$batch answered {content_type!r}, not multipart/mixed")
    results: list[SubResponse] = []
    data = response.content
    _walk(data, _boundary(content_type), 0, len(data), results)
    return results


@dataclass
class BatchOutcomes:
    """What came back for the operations of ``send_batch`` that did not simply succeed."""

    failed: dict[str, str] = field(default_factory=dict)  # key -> error (auth: stops the list)
    conflicts: list[BatchOp] = field(default_factory=list)  # 412: re-read and re-apply
    gone: list[BatchOp] = field(default_factory=list)  # 404 on MERGE: a person deleted it
    refused: list[tuple[BatchOp, str]] = field(default_factory=list)  # 400/500: that row only
    answers: dict[str, Any] = field(default_factory=dict)  # key -> a 2xx part's id and ETag
    etags: dict[str, str] = field(default_factory=dict)  # key -> the ETag a 2xx part carried


def _kept(answer: Any) -> Any:
    """What the writers read of a 2xx part: the item's (or user's) id and ETag. An add's answer
    carries every field of the item it made; a first run's thousands of them are not held."""
    body = answer.get("d", answer) if isinstance(answer, dict) else None
    if not isinstance(body, dict):
        return answer
    kept: dict[str, Any] = {"Id": body.get("Id")}
    meta = body.get("__metadata")
    if isinstance(meta, dict) and meta.get("etag"):
        kept["__metadata"] = {"etag": meta["etag"]}
    return kept


# A row's own refusal (a value SharePoint will not store): quarantine it, write the others.
# 401/403 are the app's permissions and stop the list instead.
ROW_REFUSALS = frozenset({400, 500})


def send_batch(
    conn: SiteConnection,
    ops: list[BatchOp],
    out: BatchOutcomes | Callable[[BatchOp], BatchOutcomes],
) -> list[BatchOp]:
    """Sends one batch; resends throttled operations alone; sorts the rest into ``out``, or
    into ``out(op)``'s when the batch holds the writes of several lists of the site (each
    list has its outcomes: keys of two lists may be the same).

    Returns the operations whose outcome is unknown: the connection dropped or the answer
    was cut off or unreadable after the request went out, so the server may have applied
    them. Those are never re-sent blindly (see ``SharePointListSink._send``).
    """
    pending = list(ops)
    unknown: list[BatchOp] = []
    outcomes = out if callable(out) else (lambda _op: out)

    def attempt() -> None:
        nonlocal pending
        content_type, body = build_batch(pending)
        try:
            response = conn.send_once(
                "POST",
                conn.api("$batch"),
                route="$batch",
                data=body,
                headers={"Content-Type": content_type},
            )
            subs = parse_batch_response(response)
            if len(subs) != len(pending):
                raise BatchResponseError(
                    f"{conn.site_path}: $batch of {len(pending)} operations got {len(subs)} answers"
                )
        except UNKNOWN_OUTCOME as exc:
            logger.warning(
                "%s: $batch of %d operation(s): %s: %s; outcome unknown",
                conn.site_path,
                len(pending),
                type(exc).__name__,
                exc,
            )
            unknown.extend(pending)
            pending = []
            return
        throttled: list[BatchOp] = []
        wait: float | None = None
        for op, sub in zip(pending, subs, strict=True):
            into = outcomes(op)
            if sub.ok:
                if sub.headers.get("etag"):  # a MERGE's 204 carries the item's new ETag
                    into.etags[op.key] = sub.headers["etag"]
                try:
                    into.answers[op.key] = _kept(sub.json())
                except ValueError:
                    pass  # a write's answer is not needed; a read's is checked by its caller
                continue
            if sub.status == 412:
                into.conflicts.append(op)
                continue
            if sub.status in (429, 503, 504):
                throttled.append(op)
                delay = parse_retry_after(sub.headers.get("retry-after"))
                wait = max(wait or 0.0, delay or 0.0) if delay is not None else wait
                continue
            code, message = sub.error()
            error = f"HTTP {sub.status} {code}: {message}".strip()
            if sub.status == 404 and op.method == "MERGE":
                into.gone.append(op)
                logger.warning(
                    "%s: item %s (key %s) was deleted during the run; re-planning it",
                    conn.site_path,
                    op.item_id,
                    op.key,
                )
            elif sub.status in ROW_REFUSALS:
                into.refused.append((op, error))
                logger.error(
                    "%s: SharePoint refused %s %s (key %s): %s; quarantined, the others go on",
                    conn.site_path,
                    op.method,
                    op.url,
                    op.key,
                    error,
                )
            else:
                into.failed[op.key] = error
                logger.error(
                    "%s: %s %s (key %s) failed: HTTP %s %s %s",
                    conn.site_path,
                    op.method,
                    op.url,
                    op.key,
                    sub.status,
                    code,
                    message,
                )
        pending = throttled
        if throttled:
            raise BatchThrottledError(conn.site_path, len(throttled), wait)

    conn.retry(attempt, route="$batch")
    return unknown
