"""The one retry policy for every SharePoint request: transient errors only, server pacing first."""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from c3po_sync.m365.errors import TRANSIENT_STATUSES, M365Error

logger = logging.getLogger(__name__)

T = TypeVar("T")

_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.ReadTimeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts, the cap on total waiting, and the jittered backoff bounds."""

    max_attempts: int = 6
    max_total_wait: float = 300.0
    base_delay: float = 1.0
    max_delay: float = 60.0


DEFAULT_POLICY = RetryPolicy()


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def is_transient(exc: BaseException) -> bool:
    """429, 503, 504 and dropped connections are worth retrying; 400/401/403/404/412 never are."""
    if isinstance(exc, M365Error):
        return bool(exc.transient)
    if isinstance(exc, _TRANSPORT_ERRORS):
        return True
    return _status(exc) in TRANSIENT_STATUSES


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def server_delay(exc: object) -> float | None:
    """The wait the server asked for (``Retry-After``, else ``RateLimit-Reset``), if any.

    ``exc`` is an exception, or anything else with a ``retry_after`` or a ``response``."""
    explicit = getattr(exc, "retry_after", None)
    if isinstance(explicit, (int, float)):
        return float(explicit)
    response = getattr(exc, "response", None)
    headers: Any = getattr(response, "headers", None) or {}
    delay = parse_retry_after(headers.get("Retry-After"))
    if delay is None:
        delay = parse_retry_after(headers.get("RateLimit-Reset"))
    return delay


def _make_wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = server_delay(exc) if exc is not None else None
        if delay is not None:
            return delay
        ceiling = min(policy.max_delay, policy.base_delay * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)  # full jitter

    return wait


def call_with_retry(
    fn: Callable[[], T],
    *,
    site: str,
    route: str,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> T:
    """Runs ``fn`` under the policy and returns its result, or raises the last error.

    ``fn`` must rebuild its request each time: the office365 client drops a failed query
    from its queue, so re-running ``execute_query`` would silently do nothing.
    """

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s %s: %s (HTTP %s); retry %d/%d in %.1fs",
            site,
            route,
            type(exc).__name__,
            _status(exc) if exc is not None else None,
            state.attempt_number,
            policy.max_attempts - 1,
            state.upcoming_sleep,
        )

    retrying = Retrying(
        retry=retry_if_exception(is_transient),
        wait=_make_wait(policy),
        stop=stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_total_wait),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(fn)
