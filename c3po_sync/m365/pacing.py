"""Paces one app's requests to its resource-unit budget, so SharePoint never has to refuse one.

SharePoint Online throttles an app per tenant by resource units per minute (``resource_units``)
and answers a spent budget with 429 + ``Retry-After``; throttled requests count too, so a
client that only backs off after the 429 pays twice. The pacer is shared by every connection
of a run (the budget is the app's, not a site's) and keeps the units sent in any 60 seconds
within the configured budget: a sliding window, so whatever window the server counts in, no
minute of it is over. When SharePoint sends ``RateLimit-Limit/Remaining/Reset`` (it does once
an app has used 80% of its minute; same Microsoft page), the pacer also waits out the reset
whenever the server says fewer units remain than the next request needs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from c3po_sync.m365.retry import parse_retry_after

WINDOW_S = 60.0
DEFAULT_UNITS_PER_MINUTE = 1200


class ResourcePacer:
    """A sliding one-minute window of resource units, shared by threads."""

    def __init__(
        self,
        units_per_minute: int = DEFAULT_UNITS_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if units_per_minute < 1:
            raise ValueError("units_per_minute must be at least 1")
        self.units_per_minute = units_per_minute
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: deque[tuple[float, int]] = deque()
        self._in_window = 0
        self._server_wait_until = 0.0
        self._server_remaining: int | None = None
        self.units = 0  # all units sent through the pacer (the run's RU estimate)
        self.waited_s = 0.0  # time spent waiting for the budget

    def acquire(self, units: int) -> None:
        """Blocks until ``units`` fit in the window (and the server's reset, if it asked)."""
        units = min(max(units, 0), self.units_per_minute)  # one oversized batch still goes
        while True:
            with self._lock:
                now = self._clock()
                self._expire(now)
                wait = 0.0
                if self._server_remaining is not None and self._server_remaining < units:
                    wait = max(wait, self._server_wait_until - now)
                if self._in_window + units > self.units_per_minute:
                    need = self._in_window + units - self.units_per_minute
                    wait = max(wait, self._time_until_freed(need) - now)
                if wait <= 0:
                    self._server_remaining = (
                        None if self._server_remaining is None else self._server_remaining - units
                    )
                    self._sent.append((now, units))
                    self._in_window += units
                    self.units += units
                    return
            self.waited_s += wait
            self._sleep(wait)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Takes the server's ``RateLimit-Remaining``/``RateLimit-Reset`` into account."""
        remaining = headers.get("RateLimit-Remaining")
        reset = parse_retry_after(headers.get("RateLimit-Reset"))
        if remaining is None or reset is None:
            return
        try:
            left = int(remaining)
        except ValueError:
            return
        with self._lock:
            self._server_remaining = left
            self._server_wait_until = self._clock() + reset

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0][0] >= WINDOW_S:
            self._in_window -= self._sent.popleft()[1]
        if self._server_remaining is not None and now >= self._server_wait_until:
            self._server_remaining = None

    def _time_until_freed(self, need: int) -> float:
        freed = 0
        for at, units in self._sent:
            freed += units
            if freed >= need:
                return at + WINDOW_S
        return self._clock()
