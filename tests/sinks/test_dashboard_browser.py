"""The dashboard in a real browser: headless Chromium (Debian's package; `.ci/run` installs it)
opens each page from a local web server, once per page, and the test reads the rendered DOM and
the browser's network log.

Built by a real nightly run against the sandbox demo tenant, with a config that hides one
project from the public, so "the public page holds nothing marked private" can fail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.steps.dashboard import (
    INTERNAL_PAGE,
    PUBLIC_CSV,
    PUBLIC_JSON,
    PUBLIC_PAGE,
    WEB_INDEX,
)
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.state.store import StateStore
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
HIDDEN = "NEXTGEN911"  # a major project the test config keeps off the public page
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every host name but the local server's fails to resolve: a page asking for anything
    # outside would show in the net log as a request the page initiated.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)


@dataclass
class Built:
    out: Path
    web: Path
    state_url: str
    tenant: Any
    workbook: Path


def _config(tmp: Path) -> Path:
    raw = yaml.safe_load((ROOT / "config" / "sandbox.yaml").read_text(encoding="utf-8"))
    raw["mappings_dir"] = str(ROOT / "mappings")
    raw["rules_file"] = str(ROOT / "config" / "rules.yaml")
    raw["jobs_dir"] = str(ROOT / "jobs")
    raw["dashboard"] = {"web_dir": str(tmp / "web"), "public": {"hide_projects": [HIDDEN]}}
    path = tmp / "config" / "settings.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    tmp = tmp_path_factory.mktemp("dashboard")
    mp = pytest.MonkeyPatch()
    tenant = load_demo_tenant()
    with SandboxServer(tenant, port=0) as server:
        mp.setenv("C3PO_SANDBOX_URL", server.url)
        state = f"sqlite:///{tmp / 'state.db'}"
        mp.setenv("C3PO_STATE_URL", state)
        mp.setenv("C3PO_OUTPUT_DIR", str(tmp / "out"))
        config = _config(tmp)
        inputs = prepare_run(config, "nightly", settings=load_settings(config), today=DEMO_ANCHOR)
        result = run_prepared(inputs)
        assert result.outcome == "ok", result.error
        assert result.workbook is not None
        yield Built(tmp / "out" / "dashboard", tmp / "web", state, tenant, result.workbook)
    mp.undo()


class _Quiet(SimpleHTTPRequestHandler):
    served: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        type(self).served.append(self.path)


@dataclass
class Opened:
    dom: str
    served: list[str]
    page_requests: list[str]  # URLs the page itself asked for (net log initiator = its origin)


def open_in_chromium(folder: Path, name: str, tmp: Path) -> Opened:
    """One Chromium launch: serve ``folder`` on loopback, dump the DOM, keep the net log."""
    assert CHROMIUM is not None
    handler = type("Handler", (_Quiet,), {"served": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    netlog = tmp / f"{name}.netlog.json"
    try:
        run = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={tmp / (name + '.profile')}",
             f"--log-net-log={netlog}", "--dump-dom", f"{origin}/{name.replace(' ', '%20')}"],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert run.returncode == 0, run.stderr[-2000:]
    log = json.loads(netlog.read_text(encoding="utf-8"))
    kinds = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    asked = [
        e["params"]["url"]
        for e in log["events"]
        if kinds.get(e["type"]) == "URL_REQUEST_START_JOB"
        and (e.get("params") or {}).get("initiator") == origin
    ]
    return Opened(run.stdout, list(handler.served), asked)


class _Doc(HTMLParser):
    """Collects what the checks need from the rendered DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: dict[str, tuple[str, list[str]]] = {}  # id -> (tag, text)
        self.svgs: list[dict[str, str | None]] = []
        self.ths: list[dict[str, str | None]] = []
        self.headings: list[str] = []
        self._open: list[tuple[str, str | None, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append(a)
        if tag == "th":
            self.ths.append(a)
        self._open.append((tag, a.get("id"), []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            t, id_, text = self._open.pop()
            if id_:
                self.ids[id_] = (t, text)
            if t in ("h1", "h2"):
                self.headings.append("".join(text).strip())
            if self._open:
                self._open[-1][2].extend(text)
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open:
            self._open[-1][2].append(data)


def _parse(dom: str) -> _Doc:
    doc = _Doc()
    doc.feed(dom)
    return doc


EXTERNAL = re.compile(
    r"""(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)  # noqa: E501


def _check_page(opened: Opened, html: str) -> _Doc:
    doc = _parse(opened.dom)
    assert "Major projects underway" in doc.headings
    assert "Changes since the last council report" in doc.headings
    assert "Audit scorecard by recommendation" in doc.headings
    assert "Intake requests" in doc.headings
    # Every chart has its text alternative: role img, named by a title and a desc it holds.
    assert len(doc.svgs) >= 4
    for svg in doc.svgs:
        assert svg.get("role") == "img"
        labels = (svg.get("aria-labelledby") or "").split()
        assert [doc.ids[i][0] for i in labels] == ["title", "desc"], labels
        assert all("".join(doc.ids[i][1]).strip() for i in labels)
    assert doc.ths and all(th.get("scope") in ("col", "row") for th in doc.ths)
    # Nothing requested from outside: no page-initiated request, the server served the page.
    assert opened.page_requests == []
    assert [p for p in opened.served if not p.endswith("favicon.ico")] == [opened.served[0]]
    assert "default-src 'none'" in opened.dom and not EXTERNAL.search(html)
    return doc


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w+")
pytestmark = [
    pytest.mark.slow,  # a nightly run and two browser launches: about 15 s
    pytest.mark.skipif(
        CHROMIUM is None and not os.environ.get("C3PO_REQUIRE_CHROMIUM"),
        reason="chromium not installed (.ci/run installs it and sets C3PO_REQUIRE_CHROMIUM)",
    ),
]


def test_internal_page_in_the_browser(built: Built, tmp_path: Path) -> None:
    html = (built.out / INTERNAL_PAGE).read_text(encoding="utf-8")
    opened = open_in_chromium(built.out, INTERNAL_PAGE, tmp_path)
    doc = _check_page(opened, html)
    text = " ".join(doc.text)
    assert "NextGen 911 and CAD Replacement" in text  # hidden from the public only
    assert "Maria Lopez" in text  # PPM names are internal
    assert "C3PO must manage: 2 request(s)" in text  # intake triage counted
    assert re.search(r"\d+% compliant", text)
    # The hub's copy is republished only when a figure changes (steps/dashboard.py), so the page
    # says what an old date means: nothing changed, not a night that did not run.
    assert "an older date means no figure has changed since" in text


def _private_values(built: Built) -> tuple[set[str], str]:
    store = StateStore(built.state_url)
    try:
        projects = store.load_snapshot(store.latest_snapshot_run()).projects
    finally:
        store.close()
    people: set[str] = set()
    for column in ("ppm", "ppm_name", "product_owner", "sponsor", "itd_liaison", "supervising_ppm"):
        people |= {str(v) for v in projects[column].dropna() if str(v).strip()}
    hidden = projects.loc[projects["project_key"] == HIDDEN, "title"].iloc[0]
    return people, str(hidden)


def test_public_page_and_data_hold_nothing_private(built: Built, tmp_path: Path) -> None:
    html = (built.web / WEB_INDEX).read_text(encoding="utf-8")
    assert html == (built.out / PUBLIC_PAGE).read_text(encoding="utf-8")
    opened = open_in_chromium(built.web, WEB_INDEX, tmp_path)
    doc = _check_page(opened, html)
    text = " ".join(doc.text)
    assert "Library Wi-Fi Refresh" in text
    people, hidden_title = _private_values(built)
    assert people and hidden_title
    data_json = (built.web / PUBLIC_JSON).read_text(encoding="utf-8")
    data_csv = (built.web / PUBLIC_CSV).read_text(encoding="utf-8-sig")
    for where, content in (("page", opened.dom), ("json", data_json), ("csv", data_csv)):
        assert not EMAIL.search(content), where  # no e-mail address at all
        leaked = sorted(p for p in people if p in content)
        assert leaked == [], (where, leaked)
        assert hidden_title not in content and HIDDEN not in content, where
    rows = list(csv.DictReader(io.StringIO(data_csv)))
    assert {"Project", "Phase", "Status", "Budget"} <= set(rows[0])
    assert len(rows) == len(json.loads(data_json)["projects"])


def test_dashboard_link_on_summary_sheet_and_portfolio_list(built: Built) -> None:
    ws = openpyxl.load_workbook(built.workbook)["Summary"]
    cells = {row[0].value: row[1] for row in ws.iter_rows(max_col=2) if row[0].value}
    link = cells["Dashboard"].hyperlink  # the page's name, linked (not its address as text)
    assert link and link.target.endswith("/Rollups/C3PO%20Dashboard%20%28internal%29.html")
    hub = built.tenant.site_for_path("/sites/c3po/_api/web")[0]
    for name in (INTERNAL_PAGE, PUBLIC_PAGE, PUBLIC_JSON, PUBLIC_CSV):  # uploaded beside it
        _library, item = hub.file(f"/sites/c3po/Rollups/{name}")
        assert item.file is not None
    portfolio = hub.list_by_title("C3PO Portfolio")
    urls = {str((i.values.get("Dashboard") or {}).get("Url")) for i in portfolio.items.values()}
    assert urls == {link.target}, urls
