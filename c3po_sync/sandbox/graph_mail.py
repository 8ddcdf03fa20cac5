"""Microsoft Graph ``sendMail`` and a Teams workflow webhook on the sandbox, keeping what came.

Graph (``POST /v1.0/users/{id or userPrincipalName}/sendMail``), as Graph v1.0 answers:
- 202 Accepted with no body when the message is taken (learn.microsoft.com/graph/api/
  user-sendmail); a syntactically valid recipient Graph cannot check now is still taken (the
  non-delivery report comes later, by mail), so only a recipient that is not an address fails.
- 400 ``ErrorInvalidRecipients`` "At least one recipient isn't valid., Recipient "x" isn't
  resolved. All recipients must be resolved before a message can be submitted." for a
  recipient that is not an address, or none at all (microsoftgraph/ruby-connect-rest-sample#15,
  microsoftgraph/php-connect-sample#13).
- 400 ``RequestBodyRead`` for a body that is not the ``{"message": {...}}`` shape, or a
  ``contentType`` other than text/html.
- 404 ``ErrorInvalidUser`` for a sending mailbox the tenant does not have.
- 403 ``ErrorAccessDenied`` "Access to OData is disabled." when an application access policy
  leaves the mailbox out (learn.microsoft.com/graph/auth-limit-mailbox-access;
  microsoftgraph/microsoft-graph-docs-contrib#8731): ``Outbox.allowed_senders``.
- 405 ``ErrorInvalidRequest`` "The OData request is not supported." for another method
  (CoasterKaty/PHPGraphMailer#8).
Error bodies are ``{"error": {"code", "message", "innerError": {"date", "request-id"}}}``.

Teams workflow ("When a Teams webhook request is received", ``POST /workflows/{id}/triggers/
manual/paths/invoke?…&sig=…``): the URL's signature is the credential (no bearer token), the
trigger answers 202 whatever the body, and a body that is not ``{"type": "message",
"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content":
{"type": "AdaptiveCard", …}}]}`` fails later, in the flow run ("Property 'type' must be
'AdaptiveCard'": estruyf/playwright-msteams-reporter#1, prometheus/alertmanager#3920). The
sandbox keeps that flow error beside the message, as the flow's run history would.

``GET /_sandbox/mail`` (sandbox only) lists what was received, for ``c3po-sync sandbox mail``.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from c3po_sync.sandbox.errors import SandboxError
from c3po_sync.sandbox.responses import Reply, Request

SENDMAIL = re.compile(r"^/v1\.0/users/([^/]+)/sendmail/?$", re.IGNORECASE)
WORKFLOW = re.compile(r"^/workflows/[^/]+/triggers/manual/paths/invoke/?$", re.IGNORECASE)
INBOX = "/_sandbox/mail"
ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"


@dataclass
class Outbox:
    """What the sandbox's Graph and workflow endpoints received, in order."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    # Mailboxes an application access policy lets the app send as; None: no policy.
    allowed_senders: set[str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.messages.append({"received": datetime.now(UTC).isoformat(), **entry})

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.messages)


class GraphError(SandboxError):
    """A Graph error: rendered as Graph's ``{"error": {...}}``, not SharePoint's."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json_reply(status: int, body: Any) -> Reply:
    data = json.dumps(body).encode()
    return Reply(status, data, {"Content-Type": "application/json; charset=utf-8"})


def _graph_error(err: GraphError) -> Reply:
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
    }
    return _json_reply(
        err.status, {"error": {"code": err.code, "message": err.message, "innerError": inner}}
    )


def path_of(request: Request) -> str:
    return request.path.split("?", 1)[0]


def handles_without_token(request: Request) -> bool:
    """The workflow URL carries its own signature: no bearer token is sent or needed."""
    return bool(WORKFLOW.match(path_of(request)))


def route_of(request: Request) -> str | None:
    path = path_of(request)
    if SENDMAIL.match(path):
        return "graph_sendmail"
    if WORKFLOW.match(path):
        return "teams_workflow"
    if path.rstrip("/").lower() == INBOX:
        return "sandbox_mail"
    return None


def handle(request: Request, tenant: Any, outbox: Outbox) -> Reply:
    """Answers a request ``route_of`` recognised."""
    route = route_of(request)
    if route == "sandbox_mail":
        return _json_reply(200, {"messages": outbox.snapshot()})
    if route == "teams_workflow":
        return _workflow(request, outbox)
    try:
        return _sendmail(request, tenant, outbox)
    except GraphError as err:
        return _graph_error(err)


def _recipients(message: dict[str, Any]) -> list[str]:
    out = []
    for r in message.get("toRecipients") or []:
        address = (
            ((r or {}).get("emailAddress") or {}).get("address") if isinstance(r, dict) else None
        )
        if not isinstance(address, str) or not ADDRESS.match(address.strip()):
            raise GraphError(
                400,
                "ErrorInvalidRecipients",
                f"At least one recipient isn't valid., Recipient \"{address}\" isn't resolved. "
                "All recipients must be resolved before a message can be submitted.",
            )
        out.append(address.strip())
    if not out:
        raise GraphError(400, "ErrorInvalidRecipients", "At least one recipient is not valid.")
    return out


def _sendmail(request: Request, tenant: Any, outbox: Outbox) -> Reply:
    if request.method != "POST":
        raise GraphError(405, "ErrorInvalidRequest", "The OData request is not supported.")
    m = SENDMAIL.match(path_of(request))
    if m is None:
        raise GraphError(400, "BadRequest", "Resource not found for the segment.")
    sender = unquote(m.group(1))
    try:
        user = tenant.user_by_login(sender)
    except Exception:  # noqa: BLE001 - any lookup failure is "no such mailbox"
        raise GraphError(
            404, "ErrorInvalidUser", f"The requested user '{sender}' is invalid."
        ) from None
    allowed = outbox.allowed_senders
    if allowed is not None and user.email.lower() not in {a.lower() for a in allowed}:
        raise GraphError(403, "ErrorAccessDenied", "Access to OData is disabled.")
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise GraphError(400, "RequestBodyRead", "Invalid JSON in the request body.") from None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        raise GraphError(400, "RequestBodyRead", "The request body must hold a 'message' object.")
    content = message.get("body") or {}
    kind = str(content.get("contentType") or "text") if isinstance(content, dict) else ""
    if kind.lower() not in ("text", "html"):
        raise GraphError(
            400,
            "RequestBodyRead",
            f"Cannot convert the literal '{kind}' to the expected type 'microsoft.graph.bodyType'.",
        )
    to = _recipients(message)
    outbox.keep(
        {
            "channel": "mail",
            "from": user.email,
            "to": to,
            "subject": str(message.get("subject") or ""),
            "content_type": kind.lower(),
            "body": str(content.get("content") or ""),
            "save_to_sent_items": bool(body.get("saveToSentItems", True)),
        }
    )
    return Reply(202, b"", {})


def _flow_error(payload: Any) -> str | None:
    """Why the flow run would fail on this payload, or None."""
    if not isinstance(payload, dict) or payload.get("type") != "message":
        return "The request body must be a message: {'type': 'message', 'attachments': [...]}"
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "The specified Teams flowbot adaptive card request is missing or invalid."
    for a in attachments:
        if not isinstance(a, dict) or a.get("contentType") != ADAPTIVE_CARD:
            return "The specified Teams flowbot adaptive card request is missing or invalid."
        content = a.get("content")
        if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
            return (
                "AdaptiveCards.AdaptiveSerializationException: "
                "Property 'type' must be 'AdaptiveCard'"
            )
    return None


def _workflow(request: Request, outbox: Outbox) -> Reply:
    if request.method != "POST":
        return _json_reply(405, {"error": {"code": "TriggerRequestMethodNotValid"}})
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        payload = None
    outbox.keep(
        {
            "channel": "teams",
            "workflow": path_of(request).split("/")[2],
            "payload": payload,
            "flow_error": _flow_error(payload),
        }
    )
    return Reply(202, b"", {})
