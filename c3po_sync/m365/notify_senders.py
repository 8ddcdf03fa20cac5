"""Sends a digest: Microsoft Graph ``sendMail`` (app-only ``Mail.Send``) or a Teams workflow.

Neither endpoint takes an idempotency key, so a request is retried only when the service said
it did not take it (429, 503, 504 with an HTTP answer). A request whose answer was lost may
have been delivered: it is reported as "unknown", never sent again (at most once).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests

from c3po_sync.m365.auth import TokenProvider
from c3po_sync.m365.errors import TRANSIENT_STATUSES, M365Error
from c3po_sync.m365.retry import DEFAULT_POLICY, RetryPolicy, call_with_retry

logger = logging.getLogger(__name__)

GRAPH_SCOPE_RESOURCE = "https://graph.microsoft.com"  # token scope: <resource>/.default
TIMEOUT = (10, 60)


class NotifyError(M365Error):
    """A digest was not delivered: which PPM, through what, and what the service said."""

    def __init__(self, channel: str, ppm: str, status: int | None, code: str, message: str) -> None:
        self.channel = channel
        self.ppm = ppm
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{channel} digest to {ppm}: HTTP {status} {code}: {message}".strip())

    @property
    def transient(self) -> bool:  # type: ignore[override]  # a property over the class flag
        return self.status in TRANSIENT_STATUSES


class DeliveryUnknown(M365Error):
    """The request went out and no answer came back: it may have been delivered."""


class DigestSender(Protocol):
    """Delivers one message to one PPM."""

    channel: str

    def send(self, to: str, name: str | None, subject: str, html: str, card: dict) -> None: ...


def _error_of(response: requests.Response) -> tuple[str, str]:
    """Graph's ``{"error": {"code", "message"}}``, or the start of any other body."""
    try:
        err = (response.json() or {}).get("error") or {}
        return str(err.get("code") or ""), str(err.get("message") or "")
    except ValueError:
        return "", response.text[:200]


class _Poster:
    def __init__(self, verify_tls: bool, policy: RetryPolicy) -> None:
        self.session = requests.Session()
        self.verify = verify_tls
        self.policy = policy
        self.requests_sent = 0

    def post(
        self, channel: str, ppm: str, url: str, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        where = urlsplit(url).netloc

        def once() -> None:
            self.requests_sent += 1
            try:
                r = self.session.post(
                    url, json=body, headers=headers, timeout=TIMEOUT, verify=self.verify
                )
            except requests.RequestException as exc:
                raise DeliveryUnknown(
                    f"{channel} digest to {ppm}: no answer from {where} "
                    f"({type(exc).__name__}); it may have been delivered, so it is not re-sent"
                ) from None
            if r.status_code >= 400:
                code, message = _error_of(r)
                raise NotifyError(channel, ppm, r.status_code, code, message)

        call_with_retry(once, site=where, route=f"{channel} digest", policy=self.policy)


class GraphMailSender:
    """``POST {graph}/v1.0/users/{sender}/sendMail`` with an app-only token (``Mail.Send``).

    The sending mailbox is named in the URL; an application access policy
    (``New-ApplicationAccessPolicy``) limits which mailboxes the app may send as.
    """

    channel = "mail"

    def __init__(
        self,
        graph_url: str,
        tokens: TokenProvider,
        sender: str,
        *,
        verify_tls: bool = True,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.url = f"{graph_url.rstrip('/')}/v1.0/users/{quote(sender, safe='@.')}/sendMail"
        self.tokens = tokens
        self.sender = sender
        self._poster = _Poster(verify_tls, policy)

    @property
    def requests_sent(self) -> int:
        return self._poster.requests_sent

    def send(self, to: str, name: str | None, subject: str, html: str, card: dict) -> None:
        recipient: dict[str, Any] = {"address": to}
        if name:
            recipient["name"] = name
        body = {
            "message": {
                "subject": subject,
                "body": {"contentType": "HTML", "content": html},
                "toRecipients": [{"emailAddress": recipient}],
            },
            "saveToSentItems": True,
        }
        token = self.tokens()["access_token"]
        self._poster.post("mail", to, self.url, body, {"Authorization": f"Bearer {token}"})


class TeamsWorkflowSender:
    """Posts the digest's Adaptive Card to a Teams workflow webhook URL.

    The URL carries its own signature (``sig=``): it is a secret, never logged or printed.
    """

    channel = "teams"

    def __init__(
        self, webhook_url: str, *, verify_tls: bool = True, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self.url = webhook_url
        self._poster = _Poster(verify_tls, policy)

    @property
    def requests_sent(self) -> int:
        return self._poster.requests_sent

    def send(self, to: str, name: str | None, subject: str, html: str, card: dict) -> None:
        self._poster.post("teams", to, self.url, card, {})

    def __repr__(self) -> str:
        return f"TeamsWorkflowSender(url={urlsplit(self.url).netloc}/***)"
