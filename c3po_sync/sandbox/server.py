"""The sandbox's HTTP server: auth, faults, stats and `$batch` around the route dispatcher."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import ssl
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from c3po_sync.sandbox import batch, faults, graph_mail, routes
from c3po_sync.sandbox.budget import (
    ResourceBudget,
    rate_limit_headers,
    request_cost,
    throttle_headers,
)
from c3po_sync.sandbox.errors import SandboxError
from c3po_sync.sandbox.faults import FaultConfig
from c3po_sync.sandbox.loopback import loopback_warning
from c3po_sync.sandbox.responses import Reply, Request, error_reply

log = logging.getLogger(__name__)
SHAREPOINT_APP_ID = "00000003-0000-0ff1-ce00-000000000000"


class ServerStats:
    """Thread-safe request counters: by (method, route), batch operations, and injected faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests: Counter[tuple[str, str]] = Counter()
            self.batch_operations: Counter[tuple[str, str]] = Counter()
            self.faults: Counter[str] = Counter()
            self.statuses: Counter[int] = Counter()

    def record(
        self, method: str, route: str, status: int | None, *, in_batch: bool = False
    ) -> None:
        with self._lock:
            (self.batch_operations if in_batch else self.requests)[(method, route)] += 1
            if status is not None:
                self.statuses[status] += 1

    def record_fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def count(
        self, method: str | None = None, route: str | None = None, *, in_batch: bool = False
    ) -> int:
        """Requests matching a method and/or route (None matches any)."""
        with self._lock:
            source = self.batch_operations if in_batch else self.requests
            return sum(
                n
                for (m, r), n in source.items()
                if (method is None or m == method) and (route is None or r == route)
            )

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": sum(self.requests.values()),
                "requests": {f"{m} {r}": n for (m, r), n in sorted(self.requests.items())},
                "batch_operations": {
                    f"{m} {r}": n for (m, r), n in sorted(self.batch_operations.items())
                },
                "faults": dict(self.faults),
                "statuses": dict(self.statuses),
            }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, a reply written as headers then body waits for the client's delayed
    # ACK (about 40 ms on Linux) before its body leaves: every sandbox request cost 40 ms more
    # than the latency the sandbox is asked to add (`FaultConfig.latency_s`).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class signature
        log.debug("sandbox %s %s", self.address_string(), format % args)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request.build(
            self.command, self.path, dict(self.headers.items()), body, host, self.server.scheme
        )
        reply, drop, truncate = self.server.owner.handle(request)
        if drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._send(reply, truncate)

    def _send(self, reply: Reply, truncate: bool) -> None:
        self.send_response(reply.status, reply.reason)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("SPRequestGuid", "00000000-0000-0000-0000-000000000000")
        self.end_headers()
        if truncate:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_MERGE = do_HEAD = _handle  # noqa: N815


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: SandboxServer
    scheme = "http"
    ssl_context: ssl.SSLContext | None = None

    def get_request(self) -> tuple[socket.socket, Any]:
        """Wrap accepted sockets in TLS; the handshake runs in the handler thread, not here."""
        sock, addr = super().get_request()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, addr

    def finish_request(self, request: Any, client_address: Any) -> None:
        if isinstance(request, ssl.SSLSocket):
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                log.debug("sandbox TLS handshake with %s failed: %s", client_address, exc)
                return
        super().finish_request(request, client_address)


class SandboxServer:
    """A SharePoint Online REST look-alike over a model `Tenant`, for the unmodified client.

    Runs in a background thread (`start`/`stop`, or as a context manager); `url` is the base URL
    (`http://127.0.0.1:PORT`) to which site paths are appended. `faults` can be swapped at runtime.
    With `ssl_context` it serves HTTPS (and `url` starts with `https://`); with `token_validator`
    a bearer token the callable rejects gets the same 401 as a missing one.
    """

    def __init__(
        self,
        tenant: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultConfig | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        token_validator: Callable[[str], bool] | None = None,
        budget: ResourceBudget | None = None,
    ) -> None:
        self.tenant = tenant
        self.faults = faults or FaultConfig()
        self.budget = budget  # opt-in resource-unit throttling (budget.py)
        self.stats = ServerStats()
        self.token_validator = token_validator
        self.outbox = graph_mail.Outbox()  # what Graph sendMail and Teams workflows received
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.owner = self
        if ssl_context is not None:
            self._httpd.ssl_context = ssl_context
            self._httpd.scheme = "https"
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"{self._httpd.scheme}://{name}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=f"sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        log.info("sandbox serving %s", self.url)
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Block in the calling thread (the CLI's foreground mode)."""
        self._httpd.serve_forever()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- request pipeline ---------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[Reply, bool, bool]:
        """Reply to one top-level request; also says whether to drop or truncate the connection."""
        graph_route = graph_mail.route_of(request)
        if graph_route is not None:
            return self._graph(request, graph_route), False, False
        route = routes.route_name(request, self.tenant)
        fault_cfg = self.faults
        if not _authorized(request, self.token_validator):
            self.stats.record(request.method, route, 401)
            return _unauthorized(self.tenant), False, False
        spent = self._over_budget(request, route)
        if spent is not None:
            self.stats.record(request.method, route, spent.status)
            return spent, False, False
        active = fault_cfg.active
        outcome = fault_cfg.decide(route, path=request.path) if active else faults.PASS
        if outcome != faults.PASS:
            self.stats.record_fault(outcome)
        if outcome in (faults.THROTTLE, faults.UNAVAILABLE):
            reply = _fault_reply(fault_cfg, outcome)
            self.stats.record(request.method, route, reply.status)
            return reply, False, False
        if outcome == faults.DROP:
            self.stats.record(request.method, route, None)
            return Reply(0), True, False
        if route == "batch":
            reply = self._batch(request)
        else:
            route, reply = routes.dispatch(request, self.tenant)
        if fault_cfg.health_score is not None:
            reply.headers["X-SharePointHealthScore"] = str(fault_cfg.health_score)
        if self.budget is not None:
            reply.headers.update(
                rate_limit_headers(self.budget, request.headers.get("authorization", ""))
            )
        self.stats.record(request.method, route, reply.status)
        return reply, False, outcome == faults.TRUNCATE

    def _graph(self, request: Request, route: str) -> Reply:
        """Graph sendMail, a Teams workflow, or the sandbox's own mail listing."""
        if not graph_mail.handles_without_token(request) and not _authorized(
            request, self.token_validator
        ):
            self.stats.record(request.method, route, 401)
            return _unauthorized(self.tenant)
        with self.tenant.lock:
            reply = graph_mail.handle(request, self.tenant, self.outbox)
        self.stats.record(request.method, route, reply.status)
        return reply

    def _over_budget(self, request: Request, route: str) -> Reply | None:
        """A 429 when the app's resource-unit budget cannot pay for this request (else None)."""
        budget = self.budget
        if budget is None:
            return None
        app = request.headers.get("authorization", "")
        wait = budget.spend(app, request_cost(request.method, route))
        if wait is None:
            return None
        self.stats.record_fault("budget")
        headers = {"Content-Type": "application/json;odata=verbose;charset=utf-8"}
        headers.update(throttle_headers(budget, app, wait))
        return Reply(429, json.dumps(faults.fault_body(faults.THROTTLE)).encode(), headers)

    def _batch(self, request: Request) -> Reply:
        def execute(sub: Request) -> Reply:
            sub_route = routes.route_name(sub, self.tenant)
            if "authorization" not in sub.headers:
                sub.headers["authorization"] = request.headers.get("authorization", "")
            spent = self._over_budget(sub, sub_route)
            if spent is not None:
                self.stats.record(sub.method, sub_route, spent.status, in_batch=True)
                return spent
            outcome = (
                self.faults.decide(sub_route, inner=True, path=sub.path)
                if self.faults.active
                else faults.PASS
            )
            if outcome in (faults.THROTTLE, faults.UNAVAILABLE):
                self.stats.record_fault(outcome)
                reply = _fault_reply(self.faults, outcome)
            else:
                sub_route, reply = routes.dispatch(sub, self.tenant)
            self.stats.record(sub.method, sub_route, reply.status, in_batch=True)
            return reply

        try:
            reply, _subs = batch.run_batch(request, execute)
        except SandboxError as exc:
            return error_reply(request, exc)
        return reply


def _authorized(request: Request, validator: Callable[[str], bool] | None = None) -> bool:
    """A non-empty bearer token, which the validator (when given) must also accept."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return False
    if validator is None:
        return True
    try:
        return bool(validator(token))
    except Exception:  # noqa: BLE001 - a validator that fails rejects the token
        log.debug("sandbox token validator raised; treating the token as invalid", exc_info=True)
        return False


def _unauthorized(tenant: Any) -> Reply:
    realm = getattr(tenant, "id", None) or str(
        uuid.uuid5(uuid.NAMESPACE_DNS, f"{tenant.name}.sandbox")
    )
    body = {
        "error": {
            "code": "-2147024891, System.UnauthorizedAccessException",
            "message": {"lang": "en-US", "value": "Unsupported app only token."},
        }
    }
    headers = {
        "Content-Type": "application/json;odata=verbose;charset=utf-8",
        "WWW-Authenticate": f'Bearer realm="{realm}",client_id="{SHAREPOINT_APP_ID}",'
        'trusted_issuers="00000001-0000-0000-c000-000000000000@*",'
        'authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"',
        "x-ms-diagnostics": '3000006;reason="Token contains invalid signature.";'
        'category="invalid_client"',
    }
    return Reply(401, json.dumps(body).encode(), headers)


def _fault_reply(cfg: FaultConfig, outcome: str) -> Reply:
    status = 429 if outcome == faults.THROTTLE else 503
    headers = {"Content-Type": "application/json;odata=verbose;charset=utf-8"}
    headers.update(cfg.fault_headers(outcome))
    return Reply(status, json.dumps(faults.fault_body(outcome)).encode(), headers)


def serve(
    tenant: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    faults: FaultConfig | None = None,
    **opts: Any,
) -> SandboxServer:
    """Start a sandbox server in a background thread and return it (stop it with `.stop()`).

    `opts` are SandboxServer's keyword options (`ssl_context`, `token_validator`).
    """
    return SandboxServer(tenant, host=host, port=port, faults=faults, **opts).start()


def _demo_tenant(path: str | None) -> Any:
    from c3po_sync.sandbox import model

    if path:
        return model.Tenant.from_file(path)
    from pathlib import Path

    demo = Path(__file__).with_name("tenants") / "demo.yaml"
    if demo.exists():
        return model.Tenant.from_file(demo)
    return model.Tenant.from_dict(
        {
            "format": "c3po-tenant/1",
            "tenant": {"name": "sandbox"},
            "users": [{"email": "ada@example.org", "title": "Ada Lovelace"}],
            "sites": [
                {
                    "url": "/sites/c3po",
                    "title": "C3PO",
                    "lists": [{"title": "Tasks", "template": 100, "items": [{"Title": "First"}]}],
                }
            ],
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the SharePoint sandbox until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--tenant", default=None, help="tenant YAML file (default: the demo tenant)"
    )
    args = parser.parse_args(argv)
    warning = loopback_warning(args.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)  # noqa: T201 - command-line entry point
    server = SandboxServer(_demo_tenant(args.tenant), host=args.host, port=args.port)
    print(server.url, flush=True)  # noqa: T201 - this is the command-line entry point
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":
    main()
