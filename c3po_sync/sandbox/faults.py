"""Fault injection for the sandbox server: throttling, outages, drops, truncation and latency."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

# Outcomes a request can be given instead of (or on top of) its normal response.
PASS = "pass"
THROTTLE = "429"
UNAVAILABLE = "503"
DROP = "drop"
TRUNCATE = "truncate"


@dataclass
class FaultConfig:
    """What the server injects; everything is off by default.

    Probabilities are drawn per request from one seeded generator, so a run with a `seed` and a
    single client thread is reproducible. `routes` limits the faults to those route names (as
    counted in `SandboxServer.stats`), e.g. `{"items", "batch"}`; `None` means every route.
    `retry_after_s` goes verbatim into `Retry-After`: an int of seconds or an HTTP date string.
    `in_batch` also applies 429/503 to single operations inside a `$batch`, which the 3.3.0
    client retries alone. `throttle_first` deterministically throttles the next N matching
    requests (for tests that must see exactly one retry). `sites` limits the faults to requests
    under those server-relative site paths (e.g. `{"/sites/ppm-finance"}`): one site down while
    the rest of the tenant answers, as SharePoint does when one site collection is unavailable.
    """

    latency_s: float = 0.0
    p429: float = 0.0
    retry_after_s: int | float | str = 1
    p503: float = 0.0
    p_drop: float = 0.0
    p_truncate: float = 0.0
    seed: int | None = None
    routes: frozenset[str] | set[str] | None = None
    ratelimit_headers: bool = False
    in_batch: bool = False
    health_score: int | None = None
    throttle_first: int = 0
    sites: frozenset[str] | set[str] | None = None
    _rng: random.Random = field(init=False, repr=False, compare=False)
    _lock: threading.Lock = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """True if anything at all may be injected (cheap check on the hot path)."""
        return bool(
            self.latency_s
            or self.p429
            or self.p503
            or self.p_drop
            or self.p_truncate
            or self.throttle_first
        ) or (self.health_score is not None)

    def applies_to(self, route: str, path: str = "") -> bool:
        if self.sites is not None:
            low = path.casefold()
            if not any(low == s.casefold() or low.startswith(s.casefold().rstrip("/") + "/")
                       for s in self.sites):  # fmt: skip
                return False
        return self.routes is None or route in self.routes

    def decide(self, route: str, *, inner: bool = False, path: str = "") -> str:
        """Pick the outcome of one request; sleeps for the configured latency first."""
        if not self.applies_to(route, path):
            return PASS
        if self.latency_s and not inner:
            time.sleep(self.latency_s)
        if inner and not self.in_batch:
            return PASS
        with self._lock:
            if self.throttle_first > 0:
                self.throttle_first -= 1
                return THROTTLE
            roll = self._rng.random()
        for outcome, p in (
            (THROTTLE, self.p429),
            (UNAVAILABLE, self.p503),
            (DROP, 0.0 if inner else self.p_drop),
            (TRUNCATE, 0.0 if inner else self.p_truncate),
        ):
            if roll < p:
                return outcome
            roll -= p
        return PASS

    def fault_headers(self, outcome: str) -> dict[str, str]:
        """Headers SharePoint sends with a throttled or unavailable response."""
        headers = {"Retry-After": str(self.retry_after_s)}
        if self.ratelimit_headers and outcome == THROTTLE:
            reset = self.retry_after_s if isinstance(self.retry_after_s, int | float) else 60
            headers.update(
                {
                    "RateLimit-Limit": "1200",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(reset),
                }
            )
        if self.health_score is not None:
            headers["X-SharePointHealthScore"] = str(self.health_score)
        return headers


def fault_body(outcome: str) -> dict:
    """The error body of an injected 429/503, in SharePoint's verbose error shape."""
    if outcome == THROTTLE:
        code, text = (
            "-2147024860, Microsoft.SharePoint.SPRequestThrottledException",
            "The request has been throttled. Please retry after the time in Retry-After.",
        )
    else:
        code, text = (
            "-2147467259, Microsoft.SharePoint.SPServerBusyException",
            "The server is busy. Please try again later.",
        )
    return {"error": {"code": code, "message": {"lang": "en-US", "value": text}}}
