"""The document types a phase can require, and which phases require which by default.

Kept apart from the rules configuration so the rule modules can read them without importing
the configuration, which itself reads the rule catalogue (config -> catalogue -> rules, one way).
"""

from __future__ import annotations

from c3po_sync.model.labels import DOC_TYPE_LABELS

# Document types a phase can require; they match DOCUMENTS.doc_type in the canonical schema.
REQUIRABLE_DOC_TYPES: dict[str, str] = {
    t: DOC_TYPE_LABELS[t]
    for t in (
        "charter",
        "commitment_signoff",
        "acceptance_signoff",
        "lessons_learned",
        "project_plan",
        "vendor_contract",
    )
}

# Phase -> document types required from that phase on, unless config/rules.yaml says otherwise.
DEFAULT_REQUIRED_DOCUMENTS: dict[str, list[str]] = {
    "Execution": ["charter", "commitment_signoff"],
    "Closed": ["acceptance_signoff", "lessons_learned"],
}
