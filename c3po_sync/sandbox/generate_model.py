"""Style-neutral project and context records the tenant generator builds before rendering sites."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any


@dataclass
class Project:
    """One generated project before it is written in a site's column-naming style."""

    key: str
    title: str
    site: int  # index into the portfolio sites
    phase: int  # index into generate_styles.PHASES
    health: int  # 0 green, 1 yellow, 2 red
    status_date: date
    ppm: str | None
    contract: bool
    supervisor: str | None
    owner: str | None
    sponsor: str | None
    departments: list[str]
    budget: float
    start: date
    end: date
    methodology: str | None
    liaison: str | None
    high_profile: bool
    custom: bool
    vendor: str | None
    author: str
    item_id: int = 0
    site_url: str = ""
    list_title: str = ""
    # Governance columns (generate_governance.py): canonical values, rendered per style.
    governance: str | None = None
    metrics: str | None = None
    ppb: str | None = None  # High, Medium or Low
    key_staff: list[str] = field(default_factory=list)
    # Deliberate mess and compliance problems, by kind; values say what was done (see generate.py).
    mess: dict[str, Any] = field(default_factory=dict)

    def meets_engagement_criteria(self) -> bool:
        """C3PO engagement criteria from the council report (over $500k, multi-department, ...)."""
        long = (self.end - self.start).days > 365
        return (
            self.budget > 500_000
            or len(self.departments) > 1
            or long
            or self.high_profile
            or self.custom
        )


@dataclass
class GenContext:
    """Random source, anchor and the ledger of deliberate problems, shared by generator parts."""

    rng: random.Random
    anchor: date
    ledger: list[dict[str, Any]] = field(default_factory=list)

    def mark(
        self,
        kind: str,
        site: str,
        lst: str,
        *,
        item: int | None = None,
        path: str | None = None,
        field_name: str | None = None,
        key: str | None = None,
        value: Any = None,
    ) -> None:
        """Records a deliberate problem so tests and the lead can tell mess from generator bugs."""
        entry: dict[str, Any] = {"kind": kind, "site": site, "list": lst}
        if item is not None:
            entry["item"] = item
        if path is not None:
            entry["path"] = path
        if field_name is not None:
            entry["field"] = field_name
        if key is not None:
            entry["key"] = key
        if value is not None:
            entry["value"] = value
        self.ledger.append(entry)

    def days_ago(self, lo: int, hi: int) -> date:
        return self.anchor - timedelta(days=self.rng.randint(lo, hi))

    def stamp(self, day: date) -> datetime:
        """A UTC timestamp during Pacific business hours on `day` (16:00-01:00 UTC)."""
        minutes = self.rng.randint(16 * 60, 24 * 60 + 59)
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)

    def stamps(self, created: date, modified: date) -> tuple[datetime, datetime]:
        """Created and modified timestamps for two days, modified never before created."""
        first = self.stamp(created)
        last = self.stamp(max(created, modified))
        if last <= first:
            last = first + timedelta(minutes=self.rng.randint(5, 240))
        return first, last

    def pick_indices(self, eligible: list[int], rate: float, minimum: int = 1) -> list[int]:
        """A deterministic sample of `eligible` at `rate`, at least `minimum` if possible."""
        if not eligible:
            return []
        k = min(len(eligible), max(minimum, round(rate * len(eligible))))
        return sorted(self.rng.sample(eligible, k))
