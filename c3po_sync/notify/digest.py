"""What each PPM is told: the findings opened, the projects due and overdue, not told before.

Pure: it reads the findings history and the projects table and returns digests; sending and
remembering what was sent belong to the notify step. Every item has a stable key that says
what was told (a finding opened on a given day, a project due on a given date), so an item is
in one digest only, and a re-opened finding or a moved target date is news again.

One fact is told once: a project past its target end that the schedule rule already flags
(an open ``SCHEDULE_RULES`` finding in the same PPM's items) is told by that finding, with its
advice, and not again as an "overdue" item with other advice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import pandas as pd

from c3po_sync.model import domain
from c3po_sync.model.domain import na_to_python as _clean

ItemKind = Literal["new", "due", "overdue"]
# Rules whose open finding on a project already says it is past its target end
# (rules/progress.py, "Behind schedule: ..."): that project gets no separate "overdue" item.
SCHEDULE_RULES: frozenset[str] = frozenset({"R6-schedule-overrun"})
KIND_HEADINGS: dict[ItemKind, str] = {
    "new": "New findings",
    "due": "Due within {days} days",
    "overdue": "Overdue",
}


@dataclass(frozen=True)
class DigestItem:
    """One line of a digest: what, on which project, where to fix it."""

    key: str
    kind: ItemKind
    project_key: str | None
    text: str
    link: str | None = None


@dataclass(frozen=True)
class Digest:
    """Everything one PPM has not been told yet; sent as one message or not at all."""

    ppm: str  # the PPM's e-mail, as the projects list gives it
    name: str | None
    items: tuple[DigestItem, ...]
    due_within_days: int = 30
    counts: dict[str, int] = field(default_factory=dict)
    # True when nothing was ever sent (or claimed) to this PPM: the message must not open with
    # "since your last digest".
    first: bool = False

    def of_kind(self, kind: ItemKind) -> list[DigestItem]:
        return [i for i in self.items if i.kind == kind]


def _day(v: Any) -> date | None:
    v = _clean(v)
    if v is None:
        return None
    return pd.Timestamp(v).date()


def _ppm_key(v: Any) -> str | None:
    v = _clean(v)
    return str(v).strip().lower() or None if v is not None else None


def _open(history: pd.DataFrame) -> list[dict[str, Any]]:
    if history.empty:
        return []
    return [f for f in history.to_dict("records") if _clean(f.get("status")) != "resolved"]


def without_ppm(history: pd.DataFrame) -> int:
    """Open findings that name no PPM: no digest can carry them (the run summary says so)."""
    return sum(1 for f in _open(history) if _ppm_key(f.get("ppm")) is None)


def _behind_schedule(history: pd.DataFrame) -> set[tuple[str, str]]:
    """(PPM, project key) pairs with an open schedule finding: their overdue item is that."""
    out: set[tuple[str, str]] = set()
    for f in _open(history):
        ppm, key = _ppm_key(f.get("ppm")), _clean(f.get("project_key"))
        if ppm is not None and key is not None and _clean(f.get("rule_id")) in SCHEDULE_RULES:
            out.add((ppm, str(key)))
    return out


def finding_items(history: pd.DataFrame) -> dict[str, list[DigestItem]]:
    """PPM -> one "new" item per open finding; keyed by the day it (re)opened."""
    out: dict[str, list[DigestItem]] = {}
    for f in _open(history):
        ppm = _ppm_key(f.get("ppm"))
        if ppm is None:
            continue
        opened = _day(f.get("reopened_at")) or _day(f.get("first_seen"))
        out.setdefault(ppm, []).append(
            DigestItem(
                key=f"finding:{f['finding_id']}:{opened}",
                kind="new",
                project_key=_clean(f.get("project_key")),
                text=str(_clean(f.get("message")) or f["finding_id"]),
                link=_clean(f.get("source_url")),
            )
        )
    return out


def project_items(
    projects: pd.DataFrame,
    today: date,
    *,
    due_within_days: int,
    phases: Sequence[str],
    inactive_phases: Sequence[str],
    halted_states: Iterable[str],
) -> dict[str, list[DigestItem]]:
    """PPM -> "due" (target end within the window) and "overdue" (past it) active projects:
    active as the rules count them, so a cancelled or on-hold project is never "due"."""
    out: dict[str, list[DigestItem]] = {}
    if projects.empty:
        return out
    active = domain.active_rows(projects, phases, inactive_phases, halted_states).tolist()
    horizon = today + timedelta(days=due_within_days)
    for is_active, p in zip(active, projects.to_dict("records"), strict=True):
        ppm = _ppm_key(p.get("ppm"))
        end = _day(p.get("target_end"))
        if not is_active or ppm is None or end is None or end > horizon:
            continue
        key = str(p["project_key"])
        title = _clean(p.get("title")) or key
        if end < today:
            kind: ItemKind = "overdue"
            text = (
                f"{title} passed its target end of {end.isoformat()} in phase {p['phase']}: "
                "close it, or set a new target end on its item."
            )
        else:
            kind = "due"
            text = (
                f"{title} is due to end on {end.isoformat()}: check the key documents its "
                "close needs are filed, or set a new target end on its item."
            )
        out.setdefault(ppm, []).append(
            DigestItem(
                f"{kind}:{key}:{end.isoformat()}", kind, key, text, _clean(p.get("source_url"))
            )
        )
    return out


def ppm_names(projects: pd.DataFrame) -> dict[str, str]:
    """PPM e-mail (lower-cased) -> display name, from the projects table."""
    names: dict[str, str] = {}
    if projects.empty or "ppm_name" not in projects:
        return names
    for ppm, name in zip(projects["ppm"], projects["ppm_name"], strict=True):
        k, n = _ppm_key(ppm), _clean(name)
        if k and n:
            names.setdefault(k, str(n))
    return names


def build_digests(
    history: pd.DataFrame,
    projects: pd.DataFrame,
    today: date,
    *,
    told: Mapping[str, set[str]],
    opted_out: set[str],
    due_within_days: int = 30,
    phases: Sequence[str],
    inactive_phases: Sequence[str],
    halted_states: Iterable[str],
) -> list[Digest]:
    """One digest per PPM with at least one item not in ``told[ppm]``; none for who opted out.

    ``told``: PPM (lower-cased e-mail) -> item keys already sent or claimed.
    """
    items = finding_items(history)
    flagged = _behind_schedule(history)
    for ppm, more in project_items(
        projects,
        today,
        due_within_days=due_within_days,
        phases=phases,
        inactive_phases=inactive_phases,
        halted_states=halted_states,
    ).items():
        items.setdefault(ppm, []).extend(
            i for i in more if not (i.kind == "overdue" and (ppm, i.project_key) in flagged)
        )
    names = ppm_names(projects)
    digests = []
    for ppm in sorted(items):
        if ppm in opted_out:
            continue
        fresh = [i for i in items[ppm] if i.key not in told.get(ppm, set())]
        if not fresh:
            continue
        order = {"overdue": 0, "new": 1, "due": 2}
        fresh.sort(key=lambda i: (order[i.kind], i.project_key or "", i.key))
        counts = {k: sum(1 for i in fresh if i.kind == k) for k in ("new", "due", "overdue")}
        first = not told.get(ppm)
        digests.append(
            Digest(ppm, names.get(ppm), tuple(fresh), due_within_days, counts, first=first)
        )
    return digests
