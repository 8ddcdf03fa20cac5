"""Document-library contents of generated projects: what each phase requires, then filler."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from c3po_sync.sandbox.generate_model import GenContext, Project
from c3po_sync.sandbox.generate_styles import CLOSED, EXECUTION, OTHER_DOC_NAMES

_EXT_SIZES: dict[str, tuple[int, int]] = {
    ".docx": (18_000, 140_000),
    ".pdf": (120_000, 1_600_000),
    ".xlsx": (12_000, 90_000),
    ".mpp": (200_000, 700_000),
}


def required_documents(p: Project) -> list[str]:
    """Document types a compliant project keeps in the library for its phase."""
    docs: list[str] = []
    if p.phase == 0:
        return ["Other"]
    docs.append("Charter")
    if p.phase >= EXECUTION:
        docs += ["Commitment Sign-off", "Status Report"]
        if p.vendor:
            docs += ["Vendor Contract", "Key Vendor Staff"]
    if p.phase == CLOSED:
        docs += ["Acceptance Sign-off", "Lessons Learned"]
    return docs


class DocumentPlanner:
    """Chooses each project's documents so the whole tenant has exactly the requested number."""

    def __init__(
        self,
        ctx: GenContext,
        projects: list[Project],
        where: dict[int, tuple[str, str]],
        max_file_size: int | None = None,
    ) -> None:
        self.max_file_size = max_file_size
        self.ctx = ctx
        self.projects = projects
        self.where = where  # project index -> (site url, project list title), for the ledger
        self.counters: dict[tuple[int, str], int] = defaultdict(int)

    def plan(self, total: int) -> list[list[str]]:
        """Per project, its document types: required ones first; gaps go to the ledger."""
        rng = self.ctx.rng
        plans: list[list[str]] = []
        for i, p in enumerate(self.projects):
            docs = required_documents(p)
            missing = p.mess.get("missing_document")
            if missing and missing["value"] in docs:
                docs.remove(missing["value"])
                self._mark_missing(i, missing["value"])
            if "no_key_vendor_staff" in p.mess and "Key Vendor Staff" in docs:
                docs.remove("Key Vendor Staff")  # recorded as no_key_vendor_staff, not here
            plans.append(docs)
        count = sum(len(d) for d in plans)
        if count > total:  # fewer documents asked for than the phases require: drop and record
            slots = [(i, j) for i, d in enumerate(plans) for j in range(len(d))]
            drop = sorted(rng.sample(slots, count - total), reverse=True)
            for i, j in drop:
                doc = plans[i].pop(j)
                if doc in required_documents(self.projects[i]) and doc not in plans[i]:
                    self._mark_missing(i, doc)
        n = len(self.projects)
        for _ in range(max(0, total - count)):
            i = rng.randrange(n)
            plans[i].append(self._extra_type(i, plans[i]))
        return plans

    def _mark_missing(self, i: int, doc_type: str) -> None:
        site, lst = self.where[i]
        p = self.projects[i]
        self.ctx.mark("missing_document", site, lst, item=p.item_id, key=p.key, value=doc_type)

    def _extra_type(self, i: int, have: list[str]) -> str:
        p = self.projects[i]
        if p.phase == 0:
            return "Other"
        kinds = ["Status Report", "Project Plan", "Other", "Charter Amendment"]
        doc = self.ctx.rng.choices(kinds, [6, 1, 2, 0.5])[0]
        if doc == "Charter Amendment" and "Charter" not in have:
            return "Status Report"
        return doc

    def files(self, i: int, doc_types: list[str]) -> list[dict[str, Any]]:
        """One project's file entries (name, type, size, modified, author), style-neutral."""
        p = self.projects[i]
        rng = self.ctx.rng
        out = []
        for doc in doc_types:
            n = self.counters[(i, doc)] = self.counters[(i, doc)] + 1
            name, day = self._name_and_day(p, doc, n)
            ext = name[name.rfind(".") :]
            lo, hi = _EXT_SIZES[ext]
            if self.max_file_size is not None:
                lo, hi = min(lo, self.max_file_size), min(hi, self.max_file_size)
            last = self.ctx.anchor - timedelta(days=1)
            day = min(max(day, p.start - timedelta(days=30)), last)
            out.append(
                {
                    "name": name,
                    "type": doc,
                    "size": rng.randint(lo, hi),
                    "modified": self.ctx.stamp(day),
                    "author": p.ppm or p.author,
                }
            )
        return out

    def _name_and_day(self, p: Project, doc: str, n: int) -> tuple[str, date]:
        rng = self.ctx.rng
        k = p.key
        if doc == "Charter":
            draft = " DRAFT" if p.phase < EXECUTION and n == 1 else ""
            suffix = f" ({n})" if n > 1 else ""
            return (
                f"{k} Project Charter v{rng.randint(1, 4)}{draft}{suffix}.docx",
                p.start + timedelta(days=30),
            )
        if doc == "Charter Amendment":
            return f"{k} Charter Amendment {n}.docx", p.start + timedelta(days=90 + 60 * n)
        if doc == "Status Report":
            day = p.status_date - timedelta(days=14 * (n - 1))
            return f"{k} Status Report {day:%Y-%m-%d}.docx", day
        if doc == "Project Plan":
            return f"{k} Project Plan v{n}.{rng.choice(['mpp', 'xlsx'])}", p.start + timedelta(
                days=40 * n
            )
        if doc == "Vendor Contract":
            vendor = (p.vendor or "Vendor").split()[0]
            return f"{k} {vendor} Vendor Contract{_nth(n)}.pdf", p.start + timedelta(days=60)
        if doc == "Other":
            day = p.start + timedelta(days=rng.randint(0, max(1, (self.ctx.anchor - p.start).days)))
            return f"{k} {rng.choice(OTHER_DOC_NAMES)} {n}.docx", day
        ext = ".xlsx" if doc == "Key Vendor Staff" else ".pdf" if "Sign-off" in doc else ".docx"
        day = (
            p.end + timedelta(days=20)
            if doc in ("Acceptance Sign-off", "Lessons Learned")
            else p.start
        )
        return f"{k} {doc}{_nth(n)}{ext}", day + timedelta(days=45)


def _nth(n: int) -> str:
    return f" ({n})" if n > 1 else ""
