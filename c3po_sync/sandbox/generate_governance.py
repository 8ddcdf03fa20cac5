"""Governance body, metric goals, PPB priority and key vendor staff of generated projects."""

from __future__ import annotations

from typing import Any

from c3po_sync.sandbox.generate_model import GenContext, Project
from c3po_sync.sandbox.generate_styles import (
    CLOSED,
    EXECUTION,
    FIRST_NAMES,
    LAST_NAMES,
    PPB_BY_STYLE,
    RELEASE,
)

PROCUREMENT = 2  # index of Procurement in PHASES: the PPB prioritises what is bought from here on
CHARTERING = 1

# How each site separates the names in its key-vendor-staff note (the mappings split on it).
STAFF_SEPARATOR: dict[str, str] = {"community": "; ", "finance": "\n", "planning": ", "}
# Canonical role -> internal name of the governance columns, per style.
GOVERNANCE_FIELDS: dict[str, dict[str, str]] = {
    "community": {
        "governance": "Governance_x0020_Body",
        "metrics": "Metric_x0020_Goals",
        "ppb": "PPB_x0020_Priority",
        "key_staff": "Key_x0020_Vendor_x0020_Staff",
    },
    "finance": {
        "governance": "SteeringCommittee",
        "metrics": "OKRs",
        "ppb": "PPBPriority",
        "key_staff": "VendorKeyStaff",
    },
    "planning": {
        "governance": "Governance",
        "metrics": "Metrics",
        "ppb": "PPBRank",
        "key_staff": "KeyStaff",
    },
}
GOVERNANCE_BODIES: list[str] = [  # "{dept}" and "{system}" are filled per project
    "{dept} Technology Steering Committee",
    "{system} Executive Steering Committee",
    "IT Governance Board",
    "C3PO Portfolio Review Board",
    "{dept} Executive Team",
]
METRIC_GOALS: list[str] = [
    "95% uptime in business hours",
    "80% of transactions online within a year",
    "median processing time under 5 days",
    "resident satisfaction of 4 out of 5 or better",
    "calls answered within 60 seconds 90% of the time",
    "cases closed within 10 business days",
    "zero audit findings on data retention",
    "100% of staff trained before go-live",
    "license cost held at or below the contract",
    "paper forms retired for 90% of requests",
]
VENDOR_ROLES: list[str] = [
    "Project Manager",
    "Engagement Manager",
    "Solution Architect",
    "Technical Lead",
    "Implementation Consultant",
    "Data Conversion Lead",
    "Training Lead",
]


def assign_governance(ctx: GenContext, p: Project, system: str) -> None:
    """Fills the columns a project compliant for its phase has (rules R4, R5, R6, R8)."""
    rng = ctx.rng
    if p.phase >= CHARTERING or rng.random() < 0.4:
        p.governance = rng.choice(GOVERNANCE_BODIES).format(dept=p.departments[0], system=system)
    if p.phase >= RELEASE or (p.phase == EXECUTION and rng.random() < 0.3):
        p.metrics = "; ".join(rng.sample(METRIC_GOALS, rng.randint(1, 3)))
    if p.phase >= PROCUREMENT and (p.vendor or rng.random() < 0.5):
        p.ppb = rng.choices(["High", "Medium", "Low"], [3, 5, 2])[0]
    if p.vendor and p.phase >= EXECUTION and rng.random() < 0.85:  # others keep only the list doc
        roles = rng.sample(VENDOR_ROLES, rng.randint(1, 3))
        p.key_staff = [
            f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} ({p.vendor.split()[0]} {role})"
            for role in roles
        ]


def seed_governance_mess(ctx: GenContext, plist: list[Project]) -> None:
    """Low-rate gaps, each one a finding: recorded in `Project.mess`, applied here."""
    idx = range(len(plist))
    active = [i for i in idx if plist[i].phase < CLOSED]
    for i in ctx.pick_indices([i for i in active if plist[i].phase >= CHARTERING], 0.02):
        plist[i].governance = None
        plist[i].mess["no_governance"] = {"role": "governance"}
    for i in ctx.pick_indices([i for i in active if plist[i].phase >= RELEASE], 0.05):
        plist[i].metrics = None
        plist[i].mess["no_metrics"] = {"role": "metrics"}
    buying = [i for i in active if plist[i].phase >= PROCUREMENT and plist[i].vendor]
    for i in ctx.pick_indices(buying, 0.03):
        plist[i].ppb = None
        plist[i].mess["no_ppb_priority"] = {"role": "ppb"}
    for i in ctx.pick_indices([i for i in buying if plist[i].phase >= EXECUTION], 0.03):
        plist[i].key_staff = []  # the document planner leaves out its Key Vendor Staff list too
        plist[i].mess["no_key_vendor_staff"] = {"role": "key_staff"}


def governance_columns(p: Project, style: str) -> dict[str, Any]:
    """The four governance columns of `p` in `style`'s internal names and value forms."""
    names = GOVERNANCE_FIELDS[style]
    return {
        names["governance"]: p.governance,
        names["metrics"]: p.metrics,
        names["ppb"]: PPB_BY_STYLE[style][p.ppb] if p.ppb else None,
        names["key_staff"]: STAFF_SEPARATOR[style].join(p.key_staff) if p.key_staff else None,
    }
