"""Where the recorded SharePoint responses are: ``shared/`` beside the repository (the folder
CI lays next to its fresh clone), found relative to this checkout, never by an absolute path.

Outside CI a checkout without them skips the tests that read them; in CI (``CI`` set) those
tests run regardless, so a missing ``shared/`` fails loudly instead of skipping silently.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
RECORDED = SHARED / "fixtures" / "sharepoint-recorded"
PNP_MOCK_DATA = RECORDED / "PnP.Core.Test" / "SharePoint" / "MockData"

needs_recordings = pytest.mark.skipif(
    not RECORDED.exists() and not os.environ.get("CI"),
    reason=f"recorded SharePoint fixtures absent ({RECORDED})",
)
