"""Shared fixtures of the CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped deployment (config, mappings, jobs) as the working folder, with no
    var/ yet and none of the environment's overrides: what a fresh clone runs in."""
    for d in ("config", "mappings", "jobs"):
        shutil.copytree(ROOT / d, tmp_path / d)
    for name in ("C3PO_SANDBOX_URL", "C3PO_STATE_URL", "C3PO_OUTPUT_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path
