"""The sandbox's Graph sendMail and Teams workflow: Graph's answers, and what was received."""

from __future__ import annotations

import pytest
import requests

from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.notify_senders import GraphMailSender, NotifyError, TeamsWorkflowSender
from c3po_sync.m365.retry import RetryPolicy
from c3po_sync.notify import render
from c3po_sync.notify.digest import Digest, DigestItem
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer

SENDER = "notify@example.gov"
PPM = "maria.lopez@example.gov"
FAST = RetryPolicy(max_attempts=2, max_total_wait=1.0, base_delay=0.01, max_delay=0.02)
WORKFLOW = "/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRET"


@pytest.fixture()
def server():
    tenant = Tenant.from_dict(
        {
            "format": "c3po-tenant/1",
            "tenant": {"name": "city", "time_zone": "America/Los_Angeles"},
            "users": [{"email": SENDER, "title": "Notify"}, {"email": PPM, "title": "Maria"}],
            "sites": [{"url": "/sites/hub", "title": "Hub", "lists": []}],
        }
    )
    with SandboxServer(tenant, port=0) as s:
        yield s


def _digest() -> Digest:
    item = DigestItem(
        "finding:R7:X:2026-11-01", "new", "X<1>", "No charter & no plan", "https://x/EditForm"
    )
    return Digest(PPM, "Maria", (item,), 30, {"new": 1})


def _post(
    server: SandboxServer, path: str, body: object, token: str | None = "t"
) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(server.url + path, json=body, headers=headers, timeout=10)


def test_a_digest_is_kept_as_graph_received_it(server: SandboxServer) -> None:
    sender = GraphMailSender(server.url, StaticTokenProvider(), SENDER, policy=FAST)
    d = _digest()
    sender.send(PPM, "Maria", render.subject(d), render.html(d), render.teams_payload(d))

    [mail] = server.outbox.snapshot()
    assert mail["from"] == SENDER and mail["to"] == [PPM]
    assert mail["content_type"] == "html"
    assert "X&lt;1&gt;" in mail["body"] and "No charter &amp; no plan" in mail["body"]
    assert "</a>: https://x/EditForm" in mail["body"]  # the address survives an HTML-to-text view


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        (f"/v1.0/users/{SENDER}/sendMail", {"msg": {}}, 400, "RequestBodyRead"),
        (
            f"/v1.0/users/{SENDER}/sendMail",
            {"message": {"body": {"contentType": "rtf", "content": "x"}}},
            400,
            "RequestBodyRead",
        ),
        (
            f"/v1.0/users/{SENDER}/sendMail",
            {"message": {"toRecipients": [{"emailAddress": {"address": "Dana Ruiz"}}]}},
            400,
            "ErrorInvalidRecipients",
        ),
        (
            f"/v1.0/users/{SENDER}/sendMail",
            {"message": {"toRecipients": []}},
            400,
            "ErrorInvalidRecipients",
        ),
        ("/v1.0/users/nobody@example.gov/sendMail", {"message": {}}, 404, "ErrorInvalidUser"),
    ],
)
def test_bad_shapes_get_graphs_error_body(
    server: SandboxServer, path: str, body: object, status: int, code: str
) -> None:
    r = _post(server, path, body)

    assert r.status_code == status
    error = r.json()["error"]
    assert error["code"] == code and error["message"] and "request-id" in error["innerError"]
    assert server.outbox.snapshot() == []


def test_no_token_is_401_and_an_access_policy_is_403(server: SandboxServer) -> None:
    ok = {"message": {"toRecipients": [{"emailAddress": {"address": PPM}}]}}
    assert _post(server, f"/v1.0/users/{SENDER}/sendMail", ok, token=None).status_code == 401
    server.outbox.allowed_senders = {"someone.else@example.gov"}

    sender = GraphMailSender(server.url, StaticTokenProvider(), SENDER, policy=FAST)
    with pytest.raises(NotifyError) as err:
        sender.send(PPM, None, "s", "<p>x</p>", {})
    assert err.value.status == 403 and err.value.code == "ErrorAccessDenied"
    assert "Access to OData is disabled" in str(err.value)


def test_a_teams_workflow_takes_the_card_without_a_token(server: SandboxServer) -> None:
    sender = TeamsWorkflowSender(server.url + WORKFLOW, policy=FAST)
    d = _digest()
    sender.send(PPM, "Maria", render.subject(d), render.html(d), render.teams_payload(d))
    assert "SECRET" not in repr(sender)

    [post] = server.outbox.snapshot()
    assert post["channel"] == "teams" and post["flow_error"] is None
    card = post["payload"]["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["msteams"]["entities"][0]["mentioned"]["id"] == PPM
    assert "No charter & no plan" in card["fallbackText"]


def test_a_card_of_the_wrong_shape_is_taken_and_fails_in_the_flow(server: SandboxServer) -> None:
    r = _post(server, WORKFLOW, {"type": "AdaptiveCard", "body": []}, token=None)

    assert r.status_code == 202  # the trigger accepts; the flow run fails afterwards
    [post] = server.outbox.snapshot()
    assert "message" in post["flow_error"]
