"""The compliance matrix end to end: a nightly run on the demo tenant stores its evaluation, the
rollup gets a "Compliance matrix" sheet, and `c3po-sync report audit` prints it as HTML (and PDF
with LibreOffice)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from c3po_sync.cli.main import app
from c3po_sync.config.settings import load_settings
from c3po_sync.pipeline.prepare import prepare_run
from c3po_sync.sandbox.demo import DEMO_ANCHOR, load_demo_tenant
from c3po_sync.sandbox.server import SandboxServer
from c3po_sync.sinks.audit_pdf import soffice
from c3po_sync.sinks.excel_matrix import SHEET
from c3po_sync.wiring import run_prepared

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "sandbox.yaml"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("matrix")
    mp = pytest.MonkeyPatch()
    with SandboxServer(load_demo_tenant(), port=0) as server:
        mp.setenv("C3PO_SANDBOX_URL", server.url)
        mp.setenv("C3PO_STATE_URL", f"sqlite:///{tmp / 'state.db'}")
        mp.setenv("C3PO_OUTPUT_DIR", str(tmp / "out"))
        inputs = prepare_run(CONFIG, "nightly", settings=load_settings(CONFIG), today=DEMO_ANCHOR)
        result = run_prepared(inputs)
        assert result.outcome == "ok"
        yield result, tmp
    mp.undo()


def test_rollup_has_the_matrix_sheet_in_words(demo_run) -> None:
    result, _ = demo_run
    wb = openpyxl.load_workbook(result.workbook)
    ws = wb[SHEET]
    rows = list(ws.iter_rows(values_only=True))
    flat = [str(c) for r in rows for c in r if c is not None]
    for word in ("Legend", "complies", "not checked", "not applicable"):
        assert word in flat
    header_no = next(i for i, r in enumerate(rows, start=1) if r[0] == "Project")
    assert ws.print_title_rows == f"${header_no}:${header_no}"
    assert ws.page_setup.orientation == "landscape"
    header = rows[header_no - 1]
    assert header[3].startswith("1. ") and header[12].startswith("10. ")
    body = rows[header_no:]
    rec1 = {r[3] for r in body}
    # the shipped settings configure no current charter template: rec 1 is never "complies"
    assert "complies" not in rec1
    assert any(str(v).startswith("not checked") for v in rec1)
    cells = {str(c) for r in body for c in r[3:]}
    assert any(re.fullmatch(r"finding open since \d{4}-\d{2}-\d{2}", c) for c in cells), cells


def test_report_audit_html(demo_run, tmp_path: Path) -> None:
    out = tmp_path / "audit.html"
    res = CliRunner().invoke(app, ["report", "audit", "--config", str(CONFIG), "--html", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Compliance with the Technology Deployments Audit (November 2019)" in html
    assert "As of 2026-11-01" in html
    # the audit's own wording and the solution, for each recommendation
    assert "Chartering: Identify Waterfall or Agile approach pre-procurement" in html
    assert "Limit loss of knowledge; key documents on a shared platform" in html
    assert "Every other month reporting status to Smart Cities Committee" in html
    assert html.count("<section class='rec'>") == 10
    # print: landscape pages, header rows repeated, rows kept whole
    assert "size: A4 landscape" in html and "display: table-header-group" in html
    assert "page-break-inside: avoid" in html
    assert "not checked: no current charter template configured" in html
    assert re.search(r"finding open since \d{4}-\d{2}-\d{2}", html)
    # findings per recommendation with first seen
    assert "<th>First seen</th><th>Resolved</th><th>Re-opened</th>" in html
    assert "<script" not in html


def test_report_audit_without_evaluation_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("C3PO_STATE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    res = CliRunner().invoke(app, ["report", "audit", "--config", str(CONFIG)])
    assert res.exit_code == 4
    assert "no rule evaluation stored" in " ".join(res.stderr.split())


def test_report_audit_pdf_without_soffice_says_so(demo_run, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice here
    res = CliRunner().invoke(
        app, ["report", "audit", "--config", str(CONFIG), "--pdf", str(tmp_path / "a.pdf")]
    )
    assert res.exit_code == 4
    assert "soffice" in res.stderr and not (tmp_path / "a.pdf").exists()


@pytest.mark.slow
@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) not installed")
def test_report_audit_pdf_with_soffice(demo_run, tmp_path: Path) -> None:
    pdf = tmp_path / "audit.pdf"
    res = CliRunner().invoke(app, ["report", "audit", "--config", str(CONFIG), "--pdf", str(pdf)])
    assert res.exit_code == 0, res.output
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 3, pages  # summary, matrix, findings
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert boxes and all(float(w) > float(h) for w, h in boxes), boxes[:3]  # landscape
