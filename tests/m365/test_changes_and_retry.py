"""Change-log helpers against the sandbox, and the retry policy's classification and pacing."""

from __future__ import annotations

import email.utils
import logging
import time

import pytest
import requests

from c3po_sync.m365.auth import MsalCertificateTokenProvider, StaticTokenProvider
from c3po_sync.m365.changes import changes_since, current_change_token
from c3po_sync.m365.errors import SharePointRequestError, TokenError
from c3po_sync.m365.retry import RetryPolicy, call_with_retry, is_transient, parse_retry_after
from c3po_sync.sandbox.model import Tenant


def test_changes_since_a_token(ppm, tenant: Tenant) -> None:
    token = current_change_token(ppm, "Projects")
    lst = tenant.sites["/sites/ppm"].list_by_title("Projects")
    lst.update_item(1, {"Phase": "Run"})
    new_id = lst.add_item({"Title": "New", "ProjectCode": "NEW"}).id
    lst.delete_item(2)

    changes = changes_since(ppm, "Projects", token, fetch_limit=2)

    assert changes.changed_ids == {1, new_id}
    assert changes.deleted_ids == {2}
    assert changes.token != token
    assert changes_since(ppm, "Projects", changes.token).changed_ids == set()


@pytest.mark.parametrize(
    ("status", "transient"),
    [(429, True), (503, True), (504, True), (400, False), (401, False), (403, False),
     (404, False), (412, False), (500, False)],
)  # fmt: skip
def test_only_throttling_and_outages_are_transient(status: int, transient: bool) -> None:
    assert is_transient(SharePointRequestError("/sites/x", "items", status)) is transient


def test_dropped_connections_are_transient() -> None:
    assert is_transient(requests.ConnectionError("reset"))
    assert is_transient(requests.exceptions.ChunkedEncodingError("cut"))
    assert is_transient(requests.ReadTimeout("slow"))


def test_retry_after_seconds_and_http_date() -> None:
    now = time.time()
    assert parse_retry_after("7") == 7.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(date, now=now) or 0) <= 31
    assert parse_retry_after("soon") is None


def test_retry_honours_server_delay_logs_and_gives_up_with_last_error(caplog) -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise SharePointRequestError("/sites/x", "items of 'T'", 429, retry_after=0)
        return "ok"

    policy = RetryPolicy(max_attempts=3, max_total_wait=5, base_delay=0.01, max_delay=0.01)
    with caplog.at_level(logging.WARNING, logger="c3po_sync.m365.retry"):
        assert call_with_retry(flaky, site="/sites/x", route="items of 'T'", policy=policy) == "ok"
    assert len(calls) == 3
    assert [r.getMessage().startswith("/sites/x items of 'T'") for r in caplog.records] == [
        True
    ] * 2

    def always() -> None:
        raise SharePointRequestError("/sites/x", "items", 503, retry_after=0)

    with pytest.raises(SharePointRequestError, match="503"):
        call_with_retry(always, site="/sites/x", route="items", policy=policy)


def test_terminal_errors_are_raised_at_once() -> None:
    calls: list[int] = []

    def gone() -> None:
        calls.append(1)
        raise SharePointRequestError("/sites/x", "items", 404, "-1, System.ArgumentException")

    with pytest.raises(SharePointRequestError):
        call_with_retry(gone, site="/sites/x", route="items")
    assert calls == [1]


def test_token_providers() -> None:
    token = StaticTokenProvider("abc")()
    assert token == {"access_token": "abc", "token_type": "Bearer", "expires_in": 3600}
    assert "abc" not in repr(StaticTokenProvider("abc"))
    with pytest.raises(TokenError, match="missing.pem"):
        MsalCertificateTokenProvider(
            tenant_id="t",
            client_id="c",
            thumbprint="AB",
            private_key_path="/nonexistent/missing.pem",
            resource="https://city.sharepoint.com",
        )
