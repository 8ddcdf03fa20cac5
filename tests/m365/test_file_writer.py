"""SharePointFileSink against the sandbox: simple and chunked uploads into a library's root."""

from __future__ import annotations

from c3po_sync.m365.file_writer import SharePointFileSink
from c3po_sync.sandbox.model import Tenant
from c3po_sync.sandbox.server import SandboxServer


def _content(tenant: Tenant, url: str) -> bytes:
    _lst, item = tenant.sites["/sites/ppm"].file(url)
    return item.file.content


def test_small_upload_then_overwrite_keeps_other_files(
    ppm, server: SandboxServer, tenant: Tenant
) -> None:
    sink = SharePointFileSink(ppm)

    url = sink.upload("Documents", "audit 2026-11.xlsx", b"first")
    sink.upload("Documents", "audit 2026-12.xlsx", b"other")
    again = sink.upload("Documents", "audit 2026-11.xlsx", b"second")

    assert url == again == "/sites/ppm/Shared Documents/audit 2026-11.xlsx"
    assert _content(tenant, url) == b"second"
    assert _content(tenant, "/sites/ppm/Shared Documents/audit 2026-12.xlsx") == b"other"
    assert _content(tenant, "/sites/ppm/Shared Documents/readme.txt") == b"top"
    assert server.stats.count("POST", "upload") == 0


def test_large_upload_uses_a_chunked_session(ppm, server: SandboxServer, tenant: Tenant) -> None:
    sink = SharePointFileSink(ppm, chunk_size=1024)
    payload = bytes(range(256)) * 20  # 5,120 bytes -> start, 3 continues, finish

    url = sink.upload("Documents", "big.bin", payload)

    assert _content(tenant, url) == payload
    assert server.stats.count("POST", "upload") == 5
