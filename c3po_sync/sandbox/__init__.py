"""SharePoint Online REST sandbox: an in-process emulator for the unmodified office365 client."""

from __future__ import annotations

from typing import Any

__all__ = ["FaultConfig", "SandboxServer", "ServerStats", "serve"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing the model (or errors) does not start pulling in the HTTP layer.
    if name in ("SandboxServer", "ServerStats", "serve"):
        from c3po_sync.sandbox import server

        return getattr(server, name)
    if name == "FaultConfig":
        from c3po_sync.sandbox.faults import FaultConfig

        return FaultConfig
    raise AttributeError(f"module 'c3po_sync.sandbox' has no attribute {name!r}")
