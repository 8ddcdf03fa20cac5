"""Whether the sandbox listens beyond this machine, and the warning shown when it does.

Shared by the server's own entry point and `sandbox serve` (serve_options), which builds on
the server: this module sits below both so neither imports the other back.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_warning(host: str) -> str | None:
    """The warning printed when the sandbox listens beyond this machine, else None."""
    if is_loopback(host):
        return None
    return (
        f"warning: the sandbox is bound to {host}, not loopback: anyone who can reach this "
        "address can read and change its tenant. The sandbox is a test double, not a service; "
        "use --strict-tokens and TLS if it must be reachable."
    )
