"""Deterministic ids for sandbox objects a fixture gives none for (sites, lists, files).

Its own module, below the model's list and file modules, so both can use it without
importing each other.
"""

from __future__ import annotations

import hashlib
import uuid

SANDBOX_NS = uuid.UUID("0c3b0a5e-2f7d-4b8e-9a61-3c5f1d2e4b70")
_NS_BYTES = SANDBOX_NS.bytes

# The user id SharePoint gives the app-only principal (writes made by this service).
APP_USER_ID = 1073741822


def stable_guid(*parts: str) -> str:
    """Deterministic GUID for fixtures that give none, so URLs and tokens are stable across runs.

    Equal to `str(uuid.uuid5(SANDBOX_NS, name))`, computed directly: loading a city-scale tenant
    makes one per item and file, and uuid5's object round trip was most of the load time.
    """
    name = "|".join(p.lower() for p in parts)
    digest = bytearray(hashlib.sha1(_NS_BYTES + name.encode("utf-8")).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
