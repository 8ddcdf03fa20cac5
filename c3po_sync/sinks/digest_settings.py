"""The hub list where a PPM opts out of the digest: one row per PPM, a box they tick.

The service writes the PPM's e-mail, name and Person; "No Digest" belongs to the PPM (never
written), so their choice survives every run.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from c3po_sync.model.domain import na_to_python as _clean
from c3po_sync.sinks.base import ColumnSpec, ListSpec
from c3po_sync.sinks.hub_lists import PPM_PERSON

NO_DIGEST = "NoDigest"

DIGEST_SETTINGS = ListSpec(
    title="C3PO Digest Settings",
    key_column="PPMEmail",
    description="One row per PPM. Tick 'No Digest' on your row to stop the C3PO digest.",
    columns=(
        ColumnSpec("PPMEmail", "PPM E-mail", "Text", indexed=True),
        ColumnSpec("Title", "Title", "Text"),
        PPM_PERSON,
        ColumnSpec(NO_DIGEST, "No Digest", "Boolean", owned=False),
    ),
)

# Read back with the people's column too (read_list_rows returns owned columns only).
DIGEST_SETTINGS_READ = dataclasses.replace(
    DIGEST_SETTINGS,
    columns=tuple(dataclasses.replace(c, owned=True) for c in DIGEST_SETTINGS.columns),
)


def settings_rows(projects: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per PPM named on a project (e-mail lower-cased, the key)."""
    rows: dict[str, dict[str, Any]] = {}
    if projects.empty:
        return []
    for ppm, name in zip(projects["ppm"], projects["ppm_name"], strict=True):
        email = _clean(ppm)
        if email is None or not str(email).strip():
            continue
        key = str(email).strip().lower()
        rows.setdefault(
            key, {"PPMEmail": key, "Title": _clean(name) or key, PPM_PERSON.internal_name: key}
        )
    return [rows[k] for k in sorted(rows)]


def opted_out(rows: list[dict[str, Any]]) -> set[str]:
    """The PPMs whose row has "No Digest" ticked."""
    return {
        str(r["PPMEmail"]).strip().lower()
        for r in rows
        if r.get("PPMEmail") and r.get(NO_DIGEST) in (True, 1, "1", "true", "True")
    }
