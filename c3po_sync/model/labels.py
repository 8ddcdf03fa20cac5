"""Words, not codes: the one mapping from the pipeline's internal codes to the words people read.

Sinks (the Excel rollup, the hub lists) and the rules' catalogue import these; nothing a
division manager or PPM reads should show ``commitment_signoff`` or ``high`` where a label
exists (issue 13).
"""

from __future__ import annotations

from typing import Any

from c3po_sync.model.recommendations import RECOMMENDATIONS as _AUDIT

DOC_TYPE_LABELS: dict[str, str] = {
    "charter": "Charter",
    "charter_amendment": "Charter amendment",
    "commitment_signoff": "Commitment sign-off",
    "acceptance_signoff": "Acceptance sign-off",
    "lessons_learned": "Lessons learned",
    "project_plan": "Project plan",
    "vendor_contract": "Vendor contract",
    "key_vendor_staff": "Key vendor staff",
    "council_report": "Council report",
    "status_report": "Status report",
    "other": "Other",
}
"""Document classification (DOCUMENTS.doc_type) -> its name."""

RECOMMENDATIONS: dict[int, str] = {n: r.short for n, r in _AUDIT.items()}
"""Short names of the audit's recommendations (defined once, in model.recommendations)."""

DATA_QUALITY_REC = 0
DATA_QUALITY = "Data quality"

PROBLEM_LABELS: dict[str, str] = {
    "invalid": "Invalid value",
    "ambiguous": "Ambiguous value",
    "out_of_range": "Out of range",
    "unknown_value": "Unknown value",
    "invalid_key": "Invalid project key",
    "missing_key": "Missing project key",
    "shifted_columns": "Shifted columns",
}
"""Quarantine problem categories (normalize.errors.ValueRejected.problem) -> their names."""

SEVERITY_LABELS: dict[str, str] = {"high": "High", "medium": "Medium", "low": "Low"}

STATE_LABELS: dict[str, str] = {"open": "Open", "resolved": "Resolved"}

ENTITY_KIND_LABELS: dict[str, str] = {
    "project": "Project",
    "asset": "Asset",
    "document": "Document",
    "ppm": "PPM",
    "source": "Source list",
    "council_report": "Council report cycle",
}


def recommendation_label(rec: Any) -> str:
    """'R7 Key documents on a shared platform'; 'Data quality' for 0; '' when unknown."""
    try:
        n = int(rec)
    except (TypeError, ValueError):
        return ""
    if n == DATA_QUALITY_REC:
        return DATA_QUALITY
    name = RECOMMENDATIONS.get(n)
    return f"R{n} {name}" if name else f"R{n}"


def label(code: Any, mapping: dict[str, str]) -> Any:
    """The word for ``code`` in ``mapping`` (case-insensitive); an unmapped value as given,
    with underscores read as spaces, so no snake_case code reaches a reader."""
    if code is None or not isinstance(code, str):
        return code
    found = mapping.get(code.strip().casefold())
    if found is not None:
        return found
    return code.replace("_", " ") if "_" in code and " " not in code else code


def doc_type_label(code: Any) -> Any:
    """A document type's name ('commitment_signoff' -> 'Commitment sign-off')."""
    return label(code, DOC_TYPE_LABELS)
