"""The notify job on the demo City: one digest per PPM, each item once, nothing when idle or dry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.digest_settings import DIGEST_SETTINGS
from c3po_sync.state import notifications
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"
SENDER = "c3po-notifications@sanjoseca.gov"
FINDING_KEY = re.compile(r"finding:([^:]+:[^:]+(?::\d+)?):")


@pytest.fixture()
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        monkeypatch.setenv("C3PO_SANDBOX_URL", server.url)
        monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'state.db'}")
        monkeypatch.setenv("C3PO_OUTPUT_DIR", str(tmp_path / "out"))
        yield server, tenant, tmp_path


def _run(**kw) -> RunResult:
    inputs = prepare_run(CONFIG, "notify", settings=load_settings(CONFIG), today=DEMO_ANCHOR, **kw)
    return run_prepared(inputs)


def _mails(server: SandboxServer) -> list[dict]:
    return [m for m in server.outbox.snapshot() if m["channel"] == "mail"]


def _told(tmp_path: Path) -> dict[str, set[str]]:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        return notifications.told(store.engine)
    finally:
        store.close()


def test_a_finding_opened_on_run_1_is_in_exactly_one_digest_and_an_idle_run_sends_nothing(
    demo_env,
) -> None:
    server, _tenant, tmp_path = demo_env
    first = _run()

    assert first.outcome == "ok", first.error
    mails = _mails(server)
    assert mails and len(mails) == len(first.digests)
    assert all(m["from"] == SENDER and len(m["to"]) == 1 for m in mails)
    recipients = [m["to"][0] for m in mails]
    assert len(recipients) == len(set(recipients))  # one message per PPM
    history = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        found = history.findings("open")
        open_ids = set(found.query("ppm == ppm")["finding_id"])
    finally:
        history.close()
    links = dict(zip(found["finding_id"], found["source_url"], strict=True))
    # Links to the fix: the folder where a missing document belongs; a data item's edit form.
    assert links["R7-lessons-learned-missing:WEBREC"].endswith(
        "/sites/ppm-community/Project%20Documents/WEBREC"
    )
    assert links["R9-status-stale:PERMITS"].endswith("/Lists/Projects/EditForm.aspx?ID=2")
    told = _told(tmp_path)
    keys = [k for ks in told.values() for k in ks if k.startswith("finding:")]
    told_ids = [k.split(":", 1)[1].rsplit(":", 1)[0] for k in keys]
    assert sorted(told_ids) == sorted(open_ids)  # every open finding with a PPM, once
    # the others are counted for the run summary, not dropped silently
    assert first.findings_without_ppm == len(found) - len(open_ids) > 0
    # nobody was told anything before: no "since your last digest"
    assert all("your first C3PO digest" in m["body"] for m in mails)
    assert not any("since your last" in m["body"].lower() for m in mails)
    some = mails[0]
    assert some["content_type"] == "html" and "<ul>" in some["body"]
    assert "http" in some["body"]  # links to the fix

    second = _run()

    assert second.outcome == "ok" and second.digests == []
    assert len(_mails(server)) == len(mails)


def test_a_dry_run_sends_nothing_and_records_nothing(demo_env) -> None:
    server, _tenant, tmp_path = demo_env

    dry = _run(dry_run=True)

    assert dry.digests and {d.state for d in dry.digests} == {"would send"}
    assert server.outbox.snapshot() == []
    assert server.stats.count("POST", "graph_sendmail") == 0
    real = _run()
    assert len(_mails(server)) == len(real.digests) == len(dry.digests)


def test_an_unresolvable_address_is_reported_and_the_other_digests_go_out(demo_env) -> None:
    server, tenant, _tmp = demo_env
    dana = tenant.add_user("dana.ruiz@sanjoseca", "Dana Ruiz")  # mail attribute mistyped
    site = tenant.site_for_path("/sites/ppm-community/_api/web")[0]
    projects = site.list_by_title("Projects")
    item = next(i for i in projects.items.values() if i.values.get("Project_x0020_Key") == "SJ311")
    item.values["Project_x0020_Manager"] = dana.id

    result = _run()

    refused = [d for d in result.digests if d.state == "refused"]
    assert [d.ppm for d in refused] == ["dana.ruiz@sanjoseca"]
    assert "ErrorInvalidRecipients" in (refused[0].error or "")
    assert "mail digest to dana.ruiz@sanjoseca" in (refused[0].error or "")
    sent = [d for d in result.digests if d.state == "sent"]
    assert sent and len(_mails(server)) == len(sent) == len(result.digests) - 1
    assert "dana.ruiz@sanjoseca" not in _told(_tmp)  # offered again once the address is fixed


def test_a_ppm_who_ticked_no_digest_gets_none(demo_env) -> None:
    server, tenant, _tmp = demo_env
    _run(dry_run=False)  # creates the settings list with a row per PPM
    hub = tenant.site_for_path("/sites/c3po/_api/web")[0]
    rows = hub.list_by_title(DIGEST_SETTINGS.title).items.values()
    david = next(r for r in rows if r.values["PPMEmail"] == "david.nguyen@sanjoseca.gov")
    david.values["NoDigest"] = True
    store = StateStore(f"sqlite:///{_tmp / 'state.db'}")
    with store.engine.begin() as conn:  # forget what was told: everything is news again
        conn.execute(notifications.digest_items.delete())
    store.close()
    before = len(_mails(server))

    again = _run()

    assert again.digests and "david.nguyen@sanjoseca.gov" not in {d.ppm for d in again.digests}
    assert len(_mails(server)) == before + len(again.digests)


def test_a_run_killed_after_sending_sends_nothing_twice(
    demo_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _tenant, _tmp = demo_env
    real_finish = notifications.finish
    calls = {"n": 0}

    def killed_after_first_send(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the process dies after the second message went out
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(notifications, "finish", killed_after_first_send)
    with pytest.raises(KeyboardInterrupt):
        _run()
    monkeypatch.setattr(notifications, "finish", real_finish)
    assert len(_mails(server)) == 2

    rerun = _run()

    recipients = [m["to"][0] for m in _mails(server)]
    assert len(recipients) == len(set(recipients))  # nobody got a second message
    assert len(recipients) == 2 + len(rerun.digests)


def test_the_teams_channel_posts_one_card_per_ppm_to_the_workflow(demo_env) -> None:
    from c3po_sync.config.notify import NotifySettings

    server, _tenant, _tmp = demo_env
    url = f"{server.url}/workflows/wf1/triggers/manual/paths/invoke?api-version=1&sig=s3cret"
    settings = load_settings(CONFIG).model_copy(
        update={"notify": NotifySettings(channel="teams", webhook_url=url)}
    )

    result = run_prepared(prepare_run(CONFIG, "notify", settings=settings, today=DEMO_ANCHOR))

    posts = server.outbox.snapshot()
    assert result.digests and len(posts) == len(result.digests)
    assert {p["channel"] for p in posts} == {"teams"}
    assert all(p["flow_error"] is None for p in posts)
    mentioned = [
        p["payload"]["attachments"][0]["content"]["msteams"]["entities"][0]["mentioned"]["id"]
        for p in posts
    ]
    assert sorted(mentioned) == sorted(d.ppm for d in result.digests)
