"""The hub's intake list: its columns (the one definition), a row read as a request, and the
triage columns the service writes back.

Departments fill it through SharePoint's own list form. The requester's and the PPM's columns are
not ``owned``: the service reads them and never writes them. Only the triage columns are owned,
so a write-back can never land on what a person typed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from c3po_sync.rules.intake import ACCEPT, DECLINE, OUTCOMES, IntakeRequest, Triage
from c3po_sync.sinks.base import ColumnSpec, ListSpec

INTAKE_TITLE = "C3PO Intake"

# What the requester types (read only).
REQUEST_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Title", "Title", "Text", owned=False),
    ColumnSpec("RequestingDepartments", "Requesting Department(s)", "Text", owned=False),
    ColumnSpec("ProductArea", "Product Area", "Text", owned=False),
    ColumnSpec("Problem", "Problem", "Note", owned=False),
    ColumnSpec("EstimatedCost", "Estimated Cost", "Currency", owned=False),
    ColumnSpec("Budgeted", "Budgeted", "Choice", choices=("Yes", "No"), owned=False),
    ColumnSpec(
        "EnterpriseImpact", "Enterprise Impact", "Choice", choices=("Yes", "No"), owned=False
    ),
    ColumnSpec("ExpectedLifeYears", "Expected Life (years)", "Number", owned=False),
    ColumnSpec("CustomSoftware", "Custom Software", "Choice", choices=("Yes", "No"), owned=False),
    ColumnSpec("VendorChosen", "Vendor Chosen Yet", "Choice", choices=("Yes", "No"), owned=False),
    ColumnSpec("Requester", "Requester", "User", owned=False),
)
# What a PPM decides (read only): the request becomes a project only on "Accept".
DECISION_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("PPMDecision", "PPM Decision", "Choice", choices=(ACCEPT, DECLINE), owned=False),
    ColumnSpec("AssignedPortfolio", "Assigned Portfolio", "Text", owned=False),
)
# What the service writes.
TRIAGE_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("TriageOutcome", "Triage Outcome", "Choice", choices=OUTCOMES),
    ColumnSpec("TriageReasons", "Triage Reasons", "Note"),
    ColumnSpec("SuggestedPortfolio", "Suggested Portfolio", "Text"),
    ColumnSpec("SuggestedPPM", "Suggested PPM", "Text"),
    ColumnSpec("EngagedLate", "Engaged Late", "Boolean"),
    ColumnSpec("CreatedProject", "Created Project", "Text"),
)
# Yes/No questions are Choice columns, not Booleans: a Boolean cannot be left unanswered, and an
# unanswered question must not read as "No".
YES_NO = ("Budgeted", "EnterpriseImpact", "CustomSoftware", "VendorChosen")

INTAKE = ListSpec(
    title=INTAKE_TITLE,
    key_column="ID",  # requests are keyed by their own item id: the form gives them no other key
    description="Technology project requests from departments; C3PO Sync triages each one.",
    columns=REQUEST_COLUMNS + DECISION_COLUMNS + TRIAGE_COLUMNS,
)


@dataclass(frozen=True)
class IntakeRow:
    """One request as read: its item id, ETag and values by internal name."""

    item_id: int
    etag: str | None
    values: dict[str, Any]


class IntakePort(Protocol):
    """Reads the intake list, writes triage columns, makes an accepted request's project."""

    def read_requests(self, *, check_columns: bool = True) -> list[IntakeRow] | None:
        """Every request; None when the list does not exist yet. ``check_columns``: select
        only the columns the list has (not needed right after provisioning)."""
        ...

    def write_triage(self, row: IntakeRow, values: dict[str, Any]) -> bool:
        """Writes triage columns if the row is unchanged since read; False if it changed."""
        ...

    def create_project(self, mapping: Any, values: dict[str, Any]) -> tuple[str, bool]:
        """(project key, whether it was created now) on the mapping's project list."""
        ...


TRIAGE_NAMES: tuple[str, ...] = tuple(c.internal_name for c in TRIAGE_COLUMNS)


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def _yes_no(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    s = (_text(v) or "").casefold()
    return {"yes": True, "no": False}.get(s)


def _number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) or math.isinf(f) else f


def departments_of(v: Any) -> tuple[str, ...]:
    """ "Finance; Human Resources" (or a multi-choice list) as a tuple of names.

    Only ";" separates: department names hold commas ("Planning, Building & Code Enforcement").
    """
    parts = [str(p) for p in v] if isinstance(v, list) else str(v or "").split(";")
    return tuple(dict.fromkeys(p.strip() for p in parts if p and p.strip()))


def request_from_row(item_id: int, row: dict[str, Any]) -> IntakeRequest:
    """A list row (values by internal name, as SharePoint sends them) as an intake request."""
    return IntakeRequest(
        request_id=item_id,
        title=_text(row.get("Title")) or f"Request {item_id}",
        departments=departments_of(row.get("RequestingDepartments")),
        product_area=_text(row.get("ProductArea")),
        problem=_text(row.get("Problem")),
        estimated_cost=_number(row.get("EstimatedCost")),
        budgeted=_yes_no(row.get("Budgeted")),
        enterprise_impact=_yes_no(row.get("EnterpriseImpact")),
        expected_life_years=_number(row.get("ExpectedLifeYears")),
        custom_software=_yes_no(row.get("CustomSoftware")),
        vendor_chosen=_yes_no(row.get("VendorChosen")),
    )


def triage_values(t: Triage) -> dict[str, Any]:
    """The triage columns' values for a triage (``CreatedProject`` is set on acceptance)."""
    return {
        "TriageOutcome": t.outcome,
        "TriageReasons": t.reason_text,
        "SuggestedPortfolio": t.portfolio,
        "SuggestedPPM": t.ppm,
        "EngagedLate": t.engaged_late,
    }


def triage_changes(row: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The triage columns whose value on the row differs from ``wanted`` (blank equals None)."""

    def norm(v: Any) -> Any:
        if isinstance(v, str):
            return v.strip() or None
        return v

    out = {}
    for name, value in wanted.items():
        have = row.get(name)
        if name == "EngagedLate":
            have = bool(have) if have is not None else None
        if norm(have) != norm(value):
            out[name] = value
    return out


def decision_of(row: dict[str, Any]) -> str | None:
    """The PPM's decision on the row: "Accept", "Decline" or None."""
    d = (_text(row.get("PPMDecision")) or "").casefold()
    return {ACCEPT.casefold(): ACCEPT, DECLINE.casefold(): DECLINE}.get(d)
