"""The demo's links must open after the demo: it serves on `sandbox serve`'s port when free.

Every link the demo's run writes (digests' "Fix it here", findings' source_url, the workbook's
hyperlinks) names the sandbox's address; on a random port they pointed at nothing once the demo
stopped, while the README serves the saved tenant on `sandbox serve`'s port.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from c3po_sync.cli.cmd_demo import start_sandbox
from c3po_sync.cli.cmd_sandbox import DEFAULT_PORT
from c3po_sync.cli.main import app
from c3po_sync.sandbox.model import Tenant

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_demo_and_sandbox_serve_default_to_the_same_port() -> None:
    from c3po_sync.cli.cmd_demo import demo
    from c3po_sync.cli.cmd_sandbox import sandbox_serve

    assert sandbox_serve.__defaults__ is not None and demo.__defaults__ is not None
    assert DEFAULT_PORT in sandbox_serve.__defaults__ and DEFAULT_PORT in demo.__defaults__


def test_a_taken_port_falls_back_to_a_free_one_and_says_so() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        server, note = start_sandbox(Tenant(), taken)
        try:
            assert server.port not in (taken, 0)
            assert note and f"port {taken} is in use" in note and f"--port {server.port}" in note
        finally:
            server._httpd.server_close()
    free = _free_port()
    server, note = start_sandbox(Tenant(), free)
    server._httpd.server_close()
    assert (server.port, note) == (free, None)


@pytest.mark.slow
def test_the_demo_links_name_the_port_it_was_given(deployment: Path) -> None:
    port = _free_port()

    result = CliRunner().invoke(app, ["demo", "--port", str(port)])

    assert result.exit_code == 0, result.output
    links = re.findall(r"Fix it here: (http://[\d.]+:\d+)/", result.output)
    assert links and set(links) == {f"http://127.0.0.1:{port}"}
    assert "note: port" not in result.output
