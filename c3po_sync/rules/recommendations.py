"""The November 2019 Technology Deployments Audit's recommendations, in the audit's own words.

``finding`` is the "Audit Finding" column and ``solution`` the "Solution" column of the table the
C3PO division manager presented to the Smart Cities and Service Improvements Committee on
February 4, 2021 (the council report in /work/shared/seeds/council-report-2021.txt); ``short``
is the brief title the design uses (/work/shared/DESIGN.md, "The audit it checks against").
Auditors read the first two; screens with little room use ``short``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Recommendation:
    number: int
    short: str
    finding: str
    solution: str


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
        ),
        Recommendation(
            2,
            "Charter names all levels of users and stakeholders",
            "Chartering: All relevant levels of product users and stakeholders",
            "Updated Policy & Charter Template",
        ),
        Recommendation(
            3,
            "Waterfall or Agile chosen before procurement",
            "Chartering: Identify Waterfall or Agile approach pre-procurement",
            "Updated Policy & Charter Template",
        ),
        Recommendation(
            4,
            "Clear governance and appropriate staffing",
            "Chartering: Clear governance structures & appropriate staffing",
            "Updated Policy & Charter Template",
        ),
        Recommendation(
            5,
            "ITD's role formalized: liaison, PPB priority",
            "Chartering: Formalize ITD's role, identify ITD liaison, Procurement Planning "
            "Board prioritization",
            "Updated Policy & Charter Template",
        ),
        Recommendation(
            6,
            "C3PO engagement, consultant performance and progress",
            "Chartering: C3PO engagement, consultant performance & progress",
            "Updated Policy & Charter Template",
        ),
        Recommendation(
            7,
            "Limit loss of knowledge: key documents shared",
            "Limit loss of knowledge; key documents on a shared platform",
            "C3PO SharePoint archives; C3PO Center of Excellence",
        ),
        Recommendation(
            8,
            "Key vendor staff continuity",
            "Key vendor staff – ensure continuity with turnover; approval of key vendor staff",
            "In vendor contract template + listing of staff",
        ),
        Recommendation(
            9,
            "Regular council reporting of deltas",
            "Reporting to Council Committee: regular, report delta's, public dashboard",
            "Every other month reporting status to Smart Cities Committee",
        ),
        Recommendation(
            10,
            "Comprehensive IT inventory over the full lifecycle",
            "Comprehensive and up-to-date inventory; full lifecycle",
            "Inventory of all IT assets, including software and subscriptions",
        ),
    )
}
