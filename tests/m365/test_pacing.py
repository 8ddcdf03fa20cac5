"""The resource-unit pacer and estimate (m365/pacing.py, m365/resource_units.py)."""

from __future__ import annotations

from c3po_sync.m365.pacing import ResourcePacer
from c3po_sync.m365.resource_units import request_units


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_no_sixty_seconds_ever_hold_more_than_the_budget():
    clock = FakeClock()
    pacer = ResourcePacer(10, clock=clock, sleep=clock.sleep)
    sent: list[tuple[float, int]] = []
    for units in [2, 2, 2, 2, 2, 1, 2, 1, 2, 2, 2]:
        pacer.acquire(units)
        sent.append((clock.now, units))
        clock.now += 5
    for start, _ in sent:
        assert sum(u for t, u in sent if start <= t < start + 60) <= 10
    assert pacer.units == 20 and clock.slept


def test_server_rate_limit_headers_are_honoured():
    clock = FakeClock()
    pacer = ResourcePacer(1200, clock=clock, sleep=clock.sleep)
    pacer.observe({"RateLimit-Limit": "1200", "RateLimit-Remaining": "1", "RateLimit-Reset": "30"})
    pacer.acquire(1)  # the server's last unit: no wait
    pacer.acquire(2)  # more than the server says is left: wait for its reset
    assert clock.slept == [30.0]
    pacer.acquire(2)  # past the reset, the pacer's own window rules again
    assert clock.slept == [30.0]


def test_estimate_follows_the_published_table_and_counts_batch_operations():
    site = "https://t.sharepoint.com/sites/a/_api/"
    assert request_units("GET", site + "web/lists/GetByTitle('P')/items?$top=5000") == 2
    assert request_units("GET", site + "web/lists/GetByTitle('P')/items(4)") == 1
    assert request_units("POST", site + "site/getChanges") == 1
    assert request_units("POST", site + "web/lists/GetByTitle('P')/items") == 2
    assert request_units("POST", site + "web/lists/GetByTitle('P')/items(4)",
                         headers={"X-HTTP-Method": "MERGE"}) == 2  # fmt: skip
    body = (
        b"--b\r\nContent-Type: application/http\r\n\r\n"
        b"GET " + site.encode() + b"web/lists/GetByTitle('P')/fields HTTP/1.1\r\n\r\n"
        b"--b\r\nContent-Type: application/http\r\n\r\n"
        b"POST " + site.encode() + b"web/lists/GetByTitle('P')/items HTTP/1.1\r\n\r\n--b--"
    )
    assert request_units("POST", site + "$batch", body) == 4  # the envelope itself is free
