"""Tiny tenants for rule tests: a compliant baseline that each test bends until a rule fires."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from c3po_sync.model.schema import ASSETS, DOCUMENTS, PROJECTS, STATUS_REPORTS
from c3po_sync.model.tables import CanonicalTables
from c3po_sync.rules import RulesConfig, evaluate

TODAY = date(2026, 11, 1)
SITE = "/sites/ppm-community"


def project(key: str = "P1", **overrides) -> dict:
    """A project in Execution that satisfies every rule."""
    row = {
        "project_key": key,
        "title": f"Project {key}",
        "portfolio": "Community",
        "ppm": "ppm@city.gov",
        "ppm_name": "Pat PPM",
        "ppm_is_contract": False,
        "supervising_ppm": None,
        "product_owner": "po@city.gov",
        "sponsor": "sponsor@city.gov",
        "departments": ["ITD"],
        "budget": 100_000.0,
        "start_date": date(2026, 6, 1),
        "target_end": date(2027, 3, 31),
        "phase": "Execution",
        "status": "Green",
        "status_date": TODAY - timedelta(days=10),
        "methodology": "Agile",
        "governance_body": "Steering Committee",
        "itd_liaison": "liaison@city.gov",
        "ppb_priority": "High",
        "high_profile": False,
        "custom_software": False,
        "vendor": "Acme",
        "key_vendor_staff": ["Bo Vendor"],
        "metrics": "10,000 users",
        "state": "Active",
        "project_kind": "System",
        "stakeholders": ["ITD: Sam Stakeholder"],
        "key_vendor_staff_approved": True,
        "vendor_last_review": TODAY - timedelta(days=20),
        "actual_cost": 50_000.0,
        "source_site": SITE,
        "source_list": "Projects",
        "source_item_id": 1,
        "source_url": f"https://tenant{SITE}/Lists/Projects/DispForm.aspx?ID=1&key={key}",
    }
    row.update(overrides)
    return row


def document(key: str, doc_type: str, **overrides) -> dict:
    row = {
        "project_key": key,
        "doc_type": doc_type,
        "name": f"{key} {doc_type}.pdf",
        "path": f"{SITE}/Project Documents/{key}/{key} {doc_type}.pdf",
        "size": 1000,
        "source_site": SITE,
        "source_list": "Project Documents",
        "source_url": f"https://tenant{SITE}/Project Documents/{key}/{doc_type}.pdf",
    }
    row.update(overrides)
    return row


def asset(asset_id: str = "A1", project_key: str | None = "P1", **overrides) -> dict:
    row = {
        "asset_id": asset_id,
        "name": f"Asset {asset_id}",
        "kind": "Application",
        "owner": "owner@city.gov",
        "lifecycle_stage": "In Service",
        "acquired": date(2024, 1, 1),
        "end_of_support": date(2030, 1, 1),
        "last_reviewed": TODAY - timedelta(days=30),
        "project_key": project_key,
        "source_site": "/sites/itd",
        "source_list": "IT Asset Inventory",
        "source_url": f"https://tenant/sites/itd/asset/{asset_id}",
    }
    row.update(overrides)
    return row


def baseline_docs(key: str = "P1") -> list[dict]:
    return [document(key, "charter"), document(key, "commitment_signoff")]


def tenant(
    projects: list[dict] | None = None,
    documents: list[dict] | None = None,
    assets: list[dict] | None = None,
    reports: list[dict] | None = None,
) -> CanonicalTables:
    projects = [project()] if projects is None else projects
    if documents is None:
        documents = [d for p in projects for d in baseline_docs(p["project_key"])]
    return CanonicalTables(
        projects=PROJECTS.frame(projects),
        documents=DOCUMENTS.frame(documents),
        assets=ASSETS.frame([] if assets is None else assets),
        status_reports=STATUS_REPORTS.frame(reports or []),
    )


def fired(
    tables: CanonicalTables,
    rule_id: str,
    config: RulesConfig | None = None,
    today: date = TODAY,
    history: pd.DataFrame | None = None,
) -> list[str]:
    """Entity keys the rule fired on."""
    out = evaluate(tables, config or RulesConfig(), today, only=[rule_id], history=history)
    return sorted(out.loc[out["rule_id"] == rule_id, "entity_key"].tolist())


def messages(
    tables: CanonicalTables,
    rule_id: str,
    config: RulesConfig | None = None,
    history: pd.DataFrame | None = None,
) -> list[str]:
    out = evaluate(tables, config or RulesConfig(), TODAY, only=[rule_id], history=history)
    return out.loc[out["rule_id"] == rule_id, "message"].tolist()
