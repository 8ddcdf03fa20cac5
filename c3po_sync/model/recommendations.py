"""The November 2019 Technology Deployments Audit's recommendations, in the audit's own words.

``finding`` is the "Audit Finding" column and ``solution`` the "Solution" column of the table the
C3PO division manager presented to the Smart Cities and Service Improvements Committee on
February 4, 2021 (the council report in /work/shared/seeds/council-report-2021.txt); ``short``
is the brief title the design uses (/work/shared/DESIGN.md, "The audit it checks against").
Auditors read the first two; screens with little room use ``short``. This module is the one
place the recommendations are named: the rules, the run summary, the Excel rollup and the audit
report all import it (``model.labels.RECOMMENDATIONS`` is its short names).

``clauses`` splits each finding into the clauses the audit text joins, quoted exactly, each with
the rules that check it (docs/rules.md lists them; a test holds every clause to at least one
registered rule). ``unchecked`` names a clause no rule over SharePoint data can check, and why.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    """One clause of a recommendation, in the audit's words, and the rules that check it."""

    text: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class Recommendation:
    number: int
    short: str
    finding: str
    solution: str
    clauses: tuple[Clause, ...] = ()
    unchecked: tuple[tuple[str, str], ...] = ()  # (clause, why no rule checks it)


AUDIT = "Technology Deployments Audit (November 2019)"
DATA_QUALITY = 0  # not an audit recommendation: checks that keep the others judgeable

RECOMMENDATIONS: dict[int, Recommendation] = {
    r.number: r
    for r in (
        Recommendation(
            1,
            "Updated technology policy and guidelines",
            "Updated Technology Policy and Guidelines",
            "The (New) Technology Management and Deployments Policy and Guidelines",
            clauses=(
                Clause(
                    "Updated Technology Policy and Guidelines",
                    ("R1-charter-template-outdated",),
                ),
            ),
        ),
        Recommendation(
            2,
            "Charter names all levels of users and stakeholders",
            "Chartering: All relevant levels of product users and stakeholders",
            "Updated Policy & Charter Template",
            clauses=(
                Clause(
                    "All relevant levels of product users",
                    ("R4-product-owner-missing", "R2-stakeholders-missing"),
                ),
                Clause(
                    "and stakeholders",
                    ("R2-sponsor-missing", "R2-departments-missing", "R2-stakeholders-missing"),
                ),
            ),
        ),
        Recommendation(
            3,
            "Waterfall or Agile chosen before procurement",
            "Chartering: Identify Waterfall or Agile approach pre-procurement",
            "Updated Policy & Charter Template",
            clauses=(
                Clause("Identify Waterfall or Agile approach", ("R3-methodology-missing",)),
                Clause("pre-procurement", ("R3-methodology-after-procurement",)),
            ),
        ),
        Recommendation(
            4,
            "Clear governance and appropriate staffing",
            "Chartering: Clear governance structures & appropriate staffing",
            "Updated Policy & Charter Template",
            clauses=(
                Clause("Clear governance structures", ("R4-governance-body-missing",)),
                Clause(
                    "appropriate staffing",
                    ("R4-ppm-missing", "R4-product-owner-missing", "R6-engagement-no-ppm"),
                ),
            ),
        ),
        Recommendation(
            5,
            "ITD's role formalized: liaison, PPB priority",
            "Chartering: Formalize ITD's role, identify ITD liaison, Procurement Planning "
            "Board prioritization",
            "Updated Policy & Charter Template",
            clauses=(
                Clause("Formalize ITD's role", ("R5-itd-liaison-missing",)),
                Clause("identify ITD liaison", ("R5-itd-liaison-missing",)),
                Clause("Procurement Planning Board prioritization", ("R5-ppb-priority-missing",)),
            ),
        ),
        Recommendation(
            6,
            "C3PO engagement, consultant performance and progress",
            "Chartering: C3PO engagement, consultant performance & progress",
            "Updated Policy & Charter Template",
            clauses=(
                Clause(
                    "C3PO engagement",
                    ("R6-engagement-no-ppm", "R6-contract-ppm-unsupervised", "R6-ppm-overloaded"),
                ),
                Clause(
                    "consultant performance",
                    ("R6-vendor-review-overdue", "R6-contract-ppm-unsupervised"),
                ),
                Clause(
                    "progress",
                    ("R6-schedule-overrun", "R6-budget-overrun", "R6-metrics-missing"),
                ),
            ),
        ),
        Recommendation(
            7,
            "Limit loss of knowledge: key documents shared",
            "Limit loss of knowledge; key documents on a shared platform",
            "C3PO SharePoint archives; C3PO Center of Excellence",
            clauses=(
                Clause(
                    "Limit loss of knowledge",
                    ("R7-lessons-learned-missing", "R7-charter-changed-no-amendment"),
                ),
                Clause(
                    "key documents on a shared platform",
                    (
                        "R7-charter-missing",
                        "R7-commitment-signoff-missing",
                        "R7-acceptance-signoff-missing",
                        "R7-project-plan-missing",
                        "R7-vendor-contract-missing",
                    ),
                ),
            ),
        ),
        Recommendation(
            8,
            "Key vendor staff continuity",
            "Key vendor staff – ensure continuity with turnover; approval of key vendor staff",
            "In vendor contract template + listing of staff",
            clauses=(
                Clause("Key vendor staff", ("R8-key-vendor-staff-missing",)),
                Clause("ensure continuity with turnover", ("R8-key-vendor-staff-changed",)),
                Clause(
                    "approval of key vendor staff",
                    ("R8-key-vendor-staff-unapproved", "R8-key-vendor-staff-changed"),
                ),
            ),
        ),
        Recommendation(
            9,
            "Regular council reporting of deltas",
            "Reporting to Council Committee: regular, report delta's, public dashboard",
            "Every other month reporting status to Smart Cities Committee",
            clauses=(
                Clause(
                    "Reporting to Council Committee: regular",
                    ("R9-council-report-missing", "R9-status-stale"),
                ),
                Clause("report delta's", ("R9-status-stale",)),
            ),
            unchecked=(
                (
                    "public dashboard",
                    "whether a dashboard is public is not in the SharePoint data; the deltas "
                    "themselves are the council report job's workbook (jobs/council-report.yaml)",
                ),
            ),
        ),
        Recommendation(
            10,
            "Comprehensive IT inventory over the full lifecycle",
            "Comprehensive and up-to-date inventory; full lifecycle",
            "Inventory of all IT assets, including software and subscriptions",
            clauses=(
                Clause(
                    "Comprehensive",
                    ("R10-project-no-asset", "R10-asset-owner-missing"),
                ),
                Clause("and up-to-date inventory", ("R10-asset-review-overdue",)),
                Clause(
                    "full lifecycle",
                    (
                        "R10-asset-lifecycle-missing",
                        "R10-asset-dates-missing",
                        "R10-asset-past-end-of-support",
                        "R10-retiring-past-end-of-support",
                    ),
                ),
                Clause(
                    "Inventory of all IT assets, including software and subscriptions",
                    ("R10-renewal-lapsed", "R10-asset-dates-missing"),
                ),
            ),
        ),
    )
}
