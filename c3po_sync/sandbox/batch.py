"""OData v3 `$batch`: parse the multipart request, run each part through the router, answer flat."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from c3po_sync.sandbox.errors import BadRequest
from c3po_sync.sandbox.responses import Reply, Request

MAX_OPERATIONS = 100
_BOUNDARY = re.compile(r'boundary="?([^";\s]+)"?', re.IGNORECASE)
_REQUEST_LINE = re.compile(r"^([A-Z]+)\s+(\S+)(?:\s+HTTP/1\.\d)?\s*$")


@dataclass
class Operation:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


def _boundary(content_type: str) -> str:
    m = _BOUNDARY.search(content_type or "")
    if m is None:
        raise BadRequest(
            "The batch request must have a multipart/mixed Content-Type with a boundary."
        )
    return m.group(1)


def _split(body: bytes, boundary: str) -> list[bytes]:
    """The parts between `--boundary` lines; the preamble and the epilogue are dropped."""
    text = body.replace(b"\r\n", b"\n")
    delim = b"--" + boundary.encode("ascii")
    pieces = re.split(rb"(?m)^" + re.escape(delim) + rb"(--)?[ \t]*\n?", text)
    parts: list[bytes] = []
    # re.split with one group yields: preamble, g, part, g, part, ..., so parts are at 2, 4, ...
    for i in range(2, len(pieces), 2):
        closing = pieces[i - 1]
        if closing:  # text after the closing delimiter is the epilogue
            break
        parts.append(pieces[i])
    return parts


def _headers_and_body(part: bytes) -> tuple[dict[str, str], bytes]:
    head, _, rest = part.partition(b"\n\n")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\n"):
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().lower()] = value.strip()
    return headers, rest


def _operation(part: bytes) -> Operation:
    _outer, inner = _headers_and_body(part)
    inner = inner.lstrip(b"\n")
    first, _, rest = inner.partition(b"\n")
    m = _REQUEST_LINE.match(first.decode("utf-8", "replace").strip())
    if m is None:
        raise BadRequest(f"Invalid batch operation line: {first[:200]!r}.")
    headers, body = _headers_and_body(b"x:x\n" + rest) if rest.strip() else ({}, b"")
    headers.pop("x", None)
    return Operation(m.group(1), m.group(2), headers, body.strip(b"\n"))


def parse_batch(content_type: str, body: bytes) -> list[Operation]:
    """Operations in request order: changeset operations in place, then plain ones, as sent."""
    ops: list[Operation] = []
    for part in _split(body, _boundary(content_type)):
        headers, inner = _headers_and_body(part)
        ctype = headers.get("content-type", "")
        if ctype.lower().startswith("multipart/mixed"):
            for sub in _split(inner, _boundary(ctype)):
                ops.append(_operation(sub))
        elif ctype.lower().startswith("application/http"):
            ops.append(_operation(part))
        if len(ops) > MAX_OPERATIONS:
            raise BadRequest(
                f"The batch contains more than the maximum number of {MAX_OPERATIONS} operations.",
                code="-1, Microsoft.Data.OData.ODataException",
            )
    return ops


def to_request(op: Operation, outer: Request) -> Request:
    """A part as a Request of its own; the path of an absolute URL keeps its query string."""
    url = op.url
    if url.lower().startswith(("http://", "https://")):
        rest = url.split("://", 1)[1]
        url = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    headers = dict(op.headers)
    headers.setdefault("accept", outer.headers.get("accept", ""))
    if op.method != "POST":
        headers.pop("x-http-method", None)
    return Request.build(op.method, url, headers, op.body, outer.host, outer.scheme)


def serialize(replies: list[Reply], boundary: str) -> bytes:
    """Flat `application/http` parts with CRLF line ends, which the 3.3.0 client requires."""
    chunks: list[bytes] = []
    for reply in replies:
        lines = [
            f"--{boundary}",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            f"HTTP/1.1 {reply.status} {reply.reason}",
            *(f"{k}: {v}" for k, v in reply.headers.items()),
            "",
            "",
        ]
        chunks.append("\r\n".join(lines).encode("utf-8") + reply.body + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def run_batch(request: Request, execute: Callable[[Request], Reply]) -> tuple[Reply, list[Request]]:
    """Execute every operation in order through `execute`; returns the batch reply and the parts."""
    ops = parse_batch(request.headers.get("content-type", ""), request.body)
    subs = [to_request(op, request) for op in ops]
    replies = [execute(sub) for sub in subs]
    boundary = f"batchresponse_{uuid.uuid4()}"
    body = serialize(replies, boundary)
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    return Reply(200, body, headers), subs
