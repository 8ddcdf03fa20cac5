"""Secrets out of DEBUG logs and outputs; OData literals escaped; formulas inert; no path escape.

tests/cli/test_secrets_never_leak.py covers the CLI's outputs and log file; this adds the
in-process DEBUG log records (caplog) of a run whose data is hostile throughout.
"""

from __future__ import annotations

import copy
import logging
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.pipeline.result import RunResult
from c3po_sync.sandbox.demo import DEMO_ANCHOR
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.excel_rollup import save_rollup
from c3po_sync.sinks.excel_safety import UnsafePathError
from c3po_sync.sinks.hub_lists import PORTFOLIO
from c3po_sync.wiring import run_prepared

from .test_bad_input import _list, demo_dict

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
BEARER = "eyJhbGciOiJSUzI1NiJ9.eyJmYXVsdHMiOiJwbGFudGVkIn0.RkFVTFRTUExBTlRFRA"
FAKE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvFAULTSPLANTEDKEYBODY\n-----END PRIVATE KEY-----"
SECRETS = (BEARER, "FAULTSPLANTEDKEYBODY")
FORMULAS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3")
ODATA_KEYS = ("O'BRIEN", "PCT%20", "HASH#1", "A&B", "Q''UOTE", "MIX'%#&")


def _hostile(data: dict) -> dict:
    """Formula-looking text in titles, PPM names, asset and document names, bad values."""
    data = copy.deepcopy(data)
    for i, f in enumerate(FORMULAS):
        data["users"].append({"email": f"evil{i}@sanjoseca.gov", "title": f})
    com = _list(data, "/sites/ppm-community", "Projects")
    for i, f in enumerate(FORMULAS):
        com["items"].append(
            {
                "id": 200 + i,
                "Title": f,
                "Project_x0020_Key": f"FX{i}",
                "Phase": "Execution",
                "Project_x0020_Manager": f"evil{i}@sanjoseca.gov",
                "Status": f,
            }  # fmt: skip
        )
    for i, key in enumerate(ODATA_KEYS):
        com["items"].append(
            {"id": 300 + i, "Title": f"Quote {key}", "Project_x0020_Key": key, "Phase": "Execution"}
        )
    assets = _list(data, "/sites/itd", "IT Asset Inventory")
    for i, f in enumerate(FORMULAS):
        assets["items"].append({"id": 200 + i, "Title": f, "AssetType": "Application"})
    docs = _list(data, "/sites/ppm-community", "Project Documents")
    for f in FORMULAS:
        name = f.replace('"', "'").replace("/", "_").replace(":", "_") + ".docx"
        docs["files"].append({"path": f"SJ311/{name}", "size": 10})
    return data


def _settings(folder: Path, url: str, output_dir: str) -> Path:
    cfg = folder / "settings.yaml"
    cfg.write_text(
        f"tenant:\n  base_url: {url}\n  auth:\n    mode: sandbox\n"
        "    token: ${C3PO_FAULTS_BEARER}\n"
        "hub_site: /sites/c3po\nrollups_library: Rollups\n"
        f"mappings_dir: {ROOT / 'mappings'}\nrules_file: {ROOT / 'config/rules.yaml'}\n"
        f"jobs_dir: {ROOT / 'jobs'}\nstate_url: sqlite:///{folder / 'state.db'}\n"
        f"output_dir: {output_dir}\ntime_zone: America/Los_Angeles\n",
        encoding="utf-8",
    )
    return cfg


def _run(cfg: Path) -> RunResult:
    return run_prepared(prepare_run(cfg, "nightly", settings=load_settings(cfg), today=DEMO_ANCHOR))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """Two runs over hostile data with planted secrets, DEBUG records captured by a handler."""
    folder = tmp_path_factory.mktemp("hostile")
    key_file = folder / "planted.pem"
    key_file.write_text(FAKE_KEY, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("C3PO_FAULTS_BEARER", BEARER)
    mp.setenv("C3PO_CERT_PEM", FAKE_KEY)
    mp.setenv("C3PO_PRIVATE_KEY_PATH", str(key_file))
    records: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Capture(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(exc_text)s"))
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    tenant = Tenant.from_dict(_hostile(demo_dict()))
    try:
        with SandboxServer(tenant, port=0) as server:
            cfg = _settings(folder, server.url, str(folder / "sub" / ".." / "out"))
            first, second = _run(cfg), _run(cfg)
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
        mp.undo()
    yield {"first": first, "second": second, "tenant": tenant, "folder": folder, "log": records}


def test_planted_secrets_never_in_debug_logs_workbook_or_state(hostile_run) -> None:
    assert hostile_run["first"].outcome == "ok"
    log = "\n".join(hostile_run["log"])
    assert "DEBUG" in log or len(hostile_run["log"]) > 10  # the capture really saw the run
    texts = {"log": log}
    wb = hostile_run["first"].workbook
    with zipfile.ZipFile(wb) as z:
        texts |= {f"xlsx:{n}": z.read(n).decode("utf-8", "replace") for n in z.namelist()}
    for db in hostile_run["folder"].glob("state.db*"):
        texts[db.name] = db.read_bytes().decode("latin-1")
    leaks = {k: [s[:12] for s in SECRETS if s in t] for k, t in texts.items()}
    assert {k: v for k, v in leaks.items() if v} == {}


def test_odata_literals_with_quotes_percent_hash_ampersand_round_trip(hostile_run) -> None:
    """Keys go into $filter on the hub (list_writer): a bad escape duplicates or loses rows."""
    site = hostile_run["tenant"].site_for_path("/sites/c3po/_api/web")[0]
    keys = Counter(
        str(i.values.get("ProjectKey")) for i in site.list_by_title(PORTFOLIO.title).items.values()
    )
    for key in ODATA_KEYS:
        assert keys[key] == 1, (key, keys[key])
    second = hostile_run["second"]
    assert second.outcome == "ok"
    assert all(w.writes == 0 for w in second.writes), [vars(w) for w in second.writes]


def test_formula_text_is_inert_in_every_sheet(hostile_run) -> None:
    wb = openpyxl.load_workbook(hostile_run["first"].workbook)
    seen: Counter[str] = Counter()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c.value, str):
                    continue
                hits = [f for f in FORMULAS if f in c.value]
                if c.value[:1] in ("=", "+", "-", "@") or hits:
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                for f in hits:
                    seen[f"{ws.title}:{f}"] += 1
    sheets = {k.split(":", 1)[0] for k in seen}
    assert {"Portfolio", "Assets", "Data quality"} <= sheets, seen
    for f in FORMULAS:  # every payload reached the workbook somewhere, as text
        assert any(k.endswith(f) for k in seen), f


def test_output_dir_with_dotdot_stays_inside(hostile_run) -> None:
    wb = hostile_run["first"].workbook
    assert wb.resolve().parent == (hostile_run["folder"] / "out").resolve()


def test_prefix_with_dotdot_and_symlink_at_target_cannot_escape(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "outside.xlsx"
    out.mkdir()
    outside.write_bytes(b"precious")
    saved = save_rollup(Workbook(), out, today=DEMO_ANCHOR, prefix="../../evil")
    assert saved.resolve().parent == out.resolve()
    link = out / f"C3PO Rollup {DEMO_ANCHOR:%Y-%m-%d}.xlsx"
    link.symlink_to(outside)
    with pytest.raises(UnsafePathError):
        save_rollup(Workbook(), out, today=DEMO_ANCHOR)
    assert outside.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "outside.xlsx"]
