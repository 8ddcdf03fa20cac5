"""`c3po-sync sandbox mail`: what a running sandbox's Graph sendMail received, readable as text."""

from __future__ import annotations

from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.m365.auth import StaticTokenProvider
from c3po_sync.m365.notify_senders import GraphMailSender
from c3po_sync.notify import render
from c3po_sync.notify.digest import Digest, DigestItem
from c3po_sync.sandbox.demo import load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer

SENDER = "c3po-notifications@sanjoseca.gov"
PPM = "maria.lopez@sanjoseca.gov"


def test_sandbox_mail_lists_and_prints_received_digests() -> None:
    item = DigestItem("k", "new", "FMS", "Commitment sign-off missing", "https://h/Docs/FMS")
    digest = Digest(PPM, "Maria Lopez", (item,), 30, {"new": 1})
    with SandboxServer(load_demo_tenant(), port=0) as server:
        empty = CliRunner().invoke(app, ["sandbox", "mail", "--url", server.url])
        GraphMailSender(server.url, StaticTokenProvider(), SENDER).send(
            PPM, "Maria Lopez", render.subject(digest), render.html(digest), {}
        )
        out = CliRunner().invoke(app, ["sandbox", "mail", "--url", server.url, "--full"])

    assert empty.exit_code == 0 and "no messages received" in empty.output
    assert out.exit_code == 0, out.output
    assert f"mail from {SENDER} to {PPM}: C3PO digest: 1 new finding(s)" in out.output
    # the link on its own line, not run on after the message ("…missing Fix it here (…)")
    assert "- FMS: Commitment sign-off missing\n  Fix it here: https://h/Docs/FMS\n" in out.output
    assert "<" not in out.output.split("received", 1)[1]  # HTML read as text


def test_sandbox_mail_says_when_no_sandbox_answers() -> None:
    out = CliRunner().invoke(app, ["sandbox", "mail", "--url", "http://127.0.0.1:9"])

    assert out.exit_code == 1
    assert "no sandbox answered" in out.output
