"""What `c3po-sync sandbox serve` builds: TLS, strict tokens, a resource-unit budget, and the
warning when the sandbox is bound to anything but loopback.

Kept apart from the CLI so tests can build (and stop) exactly what the command serves.
"""

from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c3po_sync.errors import C3POError
from c3po_sync.sandbox.budget import ResourceBudget
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.loopback import is_loopback, loopback_warning  # noqa: F401 (importers)
from c3po_sync.sandbox.server import SandboxServer


class ServeOptionError(C3POError, ValueError):
    """A `sandbox serve` option combination that cannot work; the message names the options."""


@dataclass
class ServeOptions:
    """Options of `sandbox serve` beyond host and port (all off by default)."""

    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_self_signed: bool = False
    strict_tokens: bool = False
    client_id: str | None = None
    client_cert: Path | None = None
    ru_per_minute: int | None = None
    workdir: Path | None = None  # where generated certificates are written


@dataclass
class Served:
    """A running sandbox, its token server when tokens are strict, and lines to show the user."""

    server: SandboxServer
    tokens: Any | None = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.server.stop()
        if self.tokens is not None:
            self.tokens.stop()


def _tls_context(opts: ServeOptions, host: str, workdir: Path, notes: list[str]) -> Any:
    if opts.tls_self_signed and (opts.tls_cert or opts.tls_key):
        raise ServeOptionError("--tls-self-signed and --tls-cert/--tls-key are exclusive")
    if bool(opts.tls_cert) != bool(opts.tls_key):
        raise ServeOptionError("--tls-cert and --tls-key go together")
    cert, key = opts.tls_cert, opts.tls_key
    if opts.tls_self_signed:
        from c3po_sync.sandbox.token_server import self_signed_certificate

        ip = host if _is_ip(host) else None
        pair = self_signed_certificate(host or "127.0.0.1", ip=ip or "127.0.0.1")
        key, cert = pair.write(workdir, "sandbox-tls")
        notes.append(f"TLS certificate (trust it, e.g. REQUESTS_CA_BUNDLE): {cert}")
    if cert is None or key is None:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def build(
    tenant: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultConfig | None = None,
    opts: ServeOptions | None = None,
) -> Served:
    """Start the sandbox (and, with strict tokens, an HTTPS token endpoint) as the CLI does."""
    import tempfile

    opts = opts or ServeOptions()
    workdir = opts.workdir or Path(tempfile.mkdtemp(prefix="c3po-sandbox-"))
    notes: list[str] = []
    if (opts.client_id or opts.client_cert) and not opts.strict_tokens:
        raise ServeOptionError("--client-id/--client-cert need --strict-tokens")
    if bool(opts.client_id) != bool(opts.client_cert):
        raise ServeOptionError("--client-id and --client-cert go together")
    ssl_context = _tls_context(opts, host, workdir, notes)
    tokens = None
    validator = None
    if opts.strict_tokens:
        from c3po_sync.sandbox.token_server import TokenServer, self_signed_certificate

        tls = self_signed_certificate("127.0.0.1", ip="127.0.0.1")
        tokens = TokenServer(tls, host="127.0.0.1", port=0, workdir=workdir).start()
        _, ca = tls.write(workdir, "token-endpoint-ca")
        if opts.client_cert is not None and opts.client_id:
            tokens.register_client(opts.client_id, Path(opts.client_cert).read_bytes())
        validator = tokens.validate
        notes.append(f"strict tokens: authority {tokens.authority('city')} (CA {ca})")
    budget = ResourceBudget(opts.ru_per_minute) if opts.ru_per_minute else None
    if budget is not None:
        notes.append(f"throttling: {budget.units_per_minute} resource units per minute per app")
    try:
        server = SandboxServer(
            tenant,
            host=host,
            port=port,
            faults=faults,
            ssl_context=ssl_context,
            token_validator=validator,
            budget=budget,
        )
    except BaseException:
        if tokens is not None:
            tokens.stop()
        raise
    server.start()
    return Served(server, tokens, notes)
