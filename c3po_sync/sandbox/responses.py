"""Request parsing and verbose-JSON response shaping shared by every sandbox handler."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from c3po_sync.sandbox.errors import BadRequest, SandboxError

VERBOSE = "application/json;odata=verbose;charset=utf-8"
NOMETADATA = "application/json;odata=nometadata;charset=utf-8"
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass
class Request:
    """One HTTP request (top-level or a `$batch` part), already split into its pieces."""

    method: str  # after the X-HTTP-Method override: GET POST MERGE PATCH PUT DELETE
    path: str  # percent-decoded path, e.g. /sites/c3po/_api/Web/lists
    query: dict[str, str]  # OData options, keys lower-cased ("$select")
    headers: dict[str, str]  # keys lower-cased
    body: bytes = b""
    host: str = "127.0.0.1"
    scheme: str = "http"  # https when the server has a TLS context; links are built with it

    @classmethod
    def build(
        cls,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        host: str,
        scheme: str = "http",
    ) -> Request:
        from urllib.parse import unquote

        path, _, query_string = raw_path.partition("?")
        query = {k.lower(): v for k, v in parse_qsl(query_string, keep_blank_values=True)}
        lowered = {k.lower(): v for k, v in headers.items()}
        override = lowered.get("x-http-method")
        if override and method.upper() == "POST":
            method = override
        return cls(method.upper(), unquote(path), query, lowered, body, host or "127.0.0.1", scheme)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.host}"

    @property
    def nometadata(self) -> bool:
        accept = self.headers.get("accept", "")
        return "odata=nometadata" in accept or "odata=minimalmetadata" in accept

    def option(self, name: str) -> str | None:
        """An OData query option (`$select`...), or None; unknown ones are ignored like SPO does."""
        value = self.query.get(name.lower())
        return value if value not in (None, "") else None

    def json(self) -> dict:
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise BadRequest(f"Invalid JSON in the request body: {exc}") from exc
        if not isinstance(data, dict):
            raise BadRequest("Invalid request body: a JSON object was expected.")
        return data


def _refuse_constant(token: str) -> Any:
    """NaN and Infinity are not JSON; SPO's OData reader refuses them (400, invalid JSON) where
    Python's json module would accept them (RFC 8259 §6: "Infinity and NaN are not permitted")."""
    raise BadRequest(
        f"Invalid JSON. A token was not recognized in the JSON content: '{token}' "
        "(NaN and Infinity are not JSON numbers)."
    )


@dataclass
class Reply:
    """A response before it goes on the wire (or into a `$batch` part)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return STATUS_TEXT.get(self.status, "Unknown")


def json_reply(request: Request, payload: Any, status: int = 200, **headers: str) -> Reply:
    """Serialise a verbose payload; rewrite it to nometadata when the client asked for that."""
    content_type = VERBOSE
    if request.nometadata:
        payload = to_nometadata(payload)
        content_type = NOMETADATA
    body = json.dumps(payload, separators=(",", ":"), default=_json_default).encode("utf-8")
    hdrs = {"Content-Type": content_type}
    hdrs.update({k.replace("_", "-"): v for k, v in headers.items()})
    return Reply(status, body, hdrs)


def error_reply(request: Request | None, error: SandboxError) -> Reply:
    """SharePoint's error body for a model error (`odata.error` under nometadata)."""
    payload = error.to_odata()
    content_type = VERBOSE
    if request is not None and request.nometadata:
        payload = {"odata.error": payload["error"]}
        content_type = NOMETADATA
    body = json.dumps(payload).encode("utf-8")
    return Reply(error.status, body, {"Content-Type": content_type})


def empty_reply(status: int = 204, **headers: str) -> Reply:
    return Reply(status, b"", {k.replace("_", "-"): v for k, v in headers.items()})


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def iso(value: datetime | str | None) -> str | None:
    """SharePoint's UTC timestamp form, `2026-01-31T08:00:00Z`."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_nometadata(payload: Any) -> Any:
    """Rewrite a verbose payload into `odata=nometadata` form (`value`, `odata.nextLink`)."""
    if isinstance(payload, dict):
        if set(payload) == {"d"}:
            inner = payload["d"]
            if isinstance(inner, dict) and isinstance(inner.get("results"), list):
                out: dict[str, Any] = {"value": [to_nometadata(r) for r in inner["results"]]}
                if inner.get("__next"):
                    out["odata.nextLink"] = inner["__next"]
                return out
            if isinstance(inner, dict) and len(inner) == 1 and "__metadata" not in inner:
                # an operation result {"d":{"<Op>": v}} is {"value": v} under nometadata
                return {"value": to_nometadata(next(iter(inner.values())))}
            return to_nometadata(inner)
        if "results" in payload and isinstance(payload["results"], list):
            return [to_nometadata(r) for r in payload["results"]]
        return {
            k: to_nometadata(v)
            for k, v in payload.items()
            if k != "__metadata" and not (isinstance(v, dict) and "__deferred" in v)
        }
    if isinstance(payload, list):
        return [to_nometadata(v) for v in payload]
    return payload


# --- envelopes -----------------------------------------------------------------------------


def metadata(uri: str, type_name: str, etag: str | None = None) -> dict[str, str]:
    meta = {"id": uri, "uri": uri, "type": type_name}
    if etag is not None:
        meta["etag"] = etag
    return meta


def deferred(uri: str) -> dict:
    return {"__deferred": {"uri": uri}}


def entity(props: dict, meta: dict) -> dict:
    return {"d": {"__metadata": meta, **props}}


def collection(results: list[dict], next_url: str | None = None) -> dict:
    inner: dict[str, Any] = {"results": results}
    if next_url:
        inner["__next"] = next_url
    return {"d": inner}


def operation(name: str, value: Any) -> dict:
    return {"d": {name: value}}


def change_token(value: str) -> dict:
    return {"__metadata": {"type": "SP.ChangeToken"}, "StringValue": value}


def string_collection(values: list[str]) -> dict:
    return {"__metadata": {"type": "Collection(Edm.String)"}, "results": list(values)}


def apply_select(props: dict, select: str | None) -> dict:
    """Keep only `$select`ed top-level properties (SharePoint honours `$select` on entities)."""
    if not select:
        return props
    wanted = {s.strip().split("/")[0].lower() for s in select.split(",") if s.strip()}
    if "*" in wanted:
        return props
    return {k: v for k, v in props.items() if k.lower() in wanted}


def select_entity(props: dict, select: str | None) -> dict:
    """An entity's properties narrowed by `$select`, its `__metadata` kept."""
    rest = dict(props)
    meta = rest.pop("__metadata")
    return {"__metadata": meta, **apply_select(rest, select)}


def guid_literal(value: str) -> str:
    return f"guid'{value}'"


def quote_arg(value: str) -> str:
    """A string argument as SharePoint writes it in a URL: quoted, `'` doubled, escaped."""
    return "'" + quote(value.replace("'", "''"), safe="/") + "'"
