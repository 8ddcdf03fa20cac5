"""Normalize stage: raw SharePoint records -> canonical tables, driven by mappings/*.yaml."""

from __future__ import annotations

from c3po_sync.normalize.columns import (
    check_drift,
    expand_columns,
    required_columns,
    source_columns,
)
from c3po_sync.normalize.errors import MappingError, SchemaDriftError, TransformError
from c3po_sync.normalize.loader import load_mappings
from c3po_sync.normalize.mapping import SourceMapping
from c3po_sync.normalize.normalizer import normalize

__all__ = [
    "MappingError",
    "SchemaDriftError",
    "SourceMapping",
    "TransformError",
    "check_drift",
    "expand_columns",
    "load_mappings",
    "normalize",
    "required_columns",
    "source_columns",
]
