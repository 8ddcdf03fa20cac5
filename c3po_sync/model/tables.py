"""The bundle of canonical tables one run produces."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from c3po_sync.model.schema import ASSETS, DOCUMENTS, PROJECTS, QUARANTINE, STATUS_REPORTS


@dataclass
class CanonicalTables:
    """What normalization hands to the rules and the sinks."""

    projects: pd.DataFrame = field(default_factory=PROJECTS.empty)
    documents: pd.DataFrame = field(default_factory=DOCUMENTS.empty)
    status_reports: pd.DataFrame = field(default_factory=STATUS_REPORTS.empty)
    assets: pd.DataFrame = field(default_factory=ASSETS.empty)
    quarantine: pd.DataFrame = field(default_factory=QUARANTINE.empty)
