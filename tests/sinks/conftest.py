"""Builders of sample canonical tables and findings for the sink tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from c3po_sync.model.schema import ASSETS, DOCUMENTS, FINDINGS, PROJECTS, QUARANTINE
from c3po_sync.model.tables import CanonicalTables

TODAY = date(2026, 11, 1)
PHASES = ("Initiation", "Chartering", "Procurement", "Execution", "Release", "Sustain", "Closed")
STATUSES = ("Green", "Yellow", "Red")
DOC_TYPES = ("charter", "commitment_signoff", "status_report", "lessons_learned", "other")

INJECTIONS = (
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\t=1",
    "=1+1",
    "#N/A",
    "\r=2",
)


def expected_text(value: str) -> str:
    """What a reader sees: XML turns a bare CR into LF, so the rollup writes LF up front."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def build_tables(
    n_projects: int = 12,
    n_documents: int = 40,
    n_assets: int = 8,
    *,
    inject: bool = False,
    today: date = TODAY,
) -> CanonicalTables:
    """A small, varied portfolio; ``inject`` puts formula-looking text into every text field."""

    def text(i: int, plain: str) -> str:
        return INJECTIONS[i % len(INJECTIONS)] if inject else plain

    projects = []
    for i in range(n_projects):
        projects.append(
            {
                "project_key": f"P{i:04d}",
                "title": text(i, f"Project {i}"),
                "portfolio": ("Community", "Finance", "Planning")[i % 3],
                "ppm": None if i % 11 == 5 else f"ppm{i % 7}@city.gov",
                "ppm_name": text(i + 1, f"PPM {i % 7}"),
                "ppm_is_contract": i % 5 == 0,
                "departments": ["ITD", "Finance"] if i % 2 else ["Library"],
                "budget": None if i % 13 == 7 else 100_000.0 * (i + 1),
                "start_date": today - timedelta(days=400 + i),
                "target_end": today + timedelta(days=100 + i),
                "phase": PHASES[i % len(PHASES)],
                "status": STATUSES[i % 3] if i % 17 != 3 else text(i, "Purple"),
                "status_date": today - timedelta(days=i * 7),
                "methodology": "Agile",
                "vendor": text(i + 2, "Acme"),
                "source_site": "/sites/ppm-community",
                "source_list": "Projects",
                "source_item_id": i + 1,
                "source_modified": datetime(2026, 10, 1, 12, tzinfo=UTC),
                "source_url": f"https://city.sharepoint.com/sites/ppm/Lists/Projects/{i + 1}",
            }
        )
    documents = [
        {
            "project_key": f"P{i % max(n_projects, 1):04d}" if i % 9 else None,
            "doc_type": DOC_TYPES[i % len(DOC_TYPES)],
            "name": text(i, f"doc{i}.docx"),
            "path": f"/sites/ppm/Project Documents/doc{i}.docx",
            "size": 1000 + i,
        }
        for i in range(n_documents)
    ]
    assets = [
        {
            "asset_id": f"itd:assets:{i}",
            "name": text(i, f"Server {i}"),
            "kind": "Server",
            "owner": None if i % 6 == 1 else "owner@city.gov",
            "lifecycle_stage": ("In Service", "Retiring", "Retired", "Planned")[i % 4],
            "end_of_support": None if i % 5 == 4 else today + timedelta(days=(i % 5 - 2) * 200),
            "annual_cost": 1000.0 * i,
            "project_key": f"P{i % max(n_projects, 1):04d}",
            "source_url": "javascript:alert(1)" if i == 3 else f"https://city.sharepoint.com/a/{i}",
        }
        for i in range(n_assets)
    ]
    quarantine = [
        {
            "source_site": "/sites/ppm-finance",
            "source_list": "Project List",
            "source_item_id": i + 1,
            "column": "Cost",
            "raw_value": text(i, "1.2M"),
            "reason": "not a number",
        }
        for i in range(max(3, n_projects // 10))
    ]
    return CanonicalTables(
        projects=PROJECTS.frame(projects),
        documents=DOCUMENTS.frame(documents),
        assets=ASSETS.frame(assets),
        quarantine=QUARANTINE.frame(quarantine),
    )


def build_findings(
    tables: CanonicalTables, n: int = 30, *, inject: bool = False, today: date = TODAY
) -> pd.DataFrame:
    """Findings over the tables' projects and assets, with history: some resolved long ago, some
    recently, most open."""
    keys = tables.projects["project_key"].tolist() or ["P0000"]
    assets = tables.assets["asset_id"].tolist() or ["itd:assets:0"]
    rows, first_seen, resolved, status = [], [], [], []
    for i in range(n):
        rec = i % 11  # 0 = data quality
        is_asset = rec == 10 and i % 2 == 0
        key = assets[i % len(assets)] if is_asset else keys[i % len(keys)]
        rows.append(
            {
                "finding_id": f"rule{rec}:{key}:{i}",
                "rule_id": f"rule{rec}",
                "recommendation": rec,
                "severity": ("high", "medium", "low")[i % 3],
                "entity_kind": "asset" if is_asset else "project",
                "entity_key": key,
                "project_key": None if is_asset else key,
                "ppm": None if i % 4 == 0 else f"ppm{i % 7}@city.gov",
                "portfolio": "Community",
                "message": INJECTIONS[i % len(INJECTIONS)] if inject else f"fix thing {i}",
                "source_url": None if i % 5 == 0 else f"https://city.sharepoint.com/x/{i}",
            }
        )
        first_seen.append(datetime(2026, 9, 1, tzinfo=UTC) + timedelta(days=i % 20))
        if i % 6 == 1:  # resolved recently
            resolved.append(datetime.combine(today - timedelta(days=5), datetime.min.time(), UTC))
            status.append("resolved")
        elif i % 6 == 2:  # resolved long ago: not on the Findings sheet
            resolved.append(datetime(2026, 1, 1, tzinfo=UTC))
            status.append("resolved")
        else:
            resolved.append(None)
            status.append("open")
    frame = FINDINGS.frame(rows)
    frame["first_seen"] = pd.to_datetime(first_seen, utc=True)
    frame["last_seen"] = pd.Timestamp(datetime(2026, 10, 31, tzinfo=UTC))
    frame["resolved_at"] = pd.to_datetime(resolved, utc=True)
    frame["status"] = pd.array(status, dtype="string")
    return frame


RUN_INFO = {
    "run_id": "run-42",
    "generated_at": datetime(2026, 11, 1, 7, 30, tzinfo=UTC),
    "sites_read": ["/sites/ppm-community", "/sites/ppm-finance"],
    "items_read": 1234,
}


@pytest.fixture(scope="module")
def tables() -> CanonicalTables:
    return build_tables()


@pytest.fixture(scope="module")
def findings(tables: CanonicalTables) -> pd.DataFrame:
    return build_findings(tables)
