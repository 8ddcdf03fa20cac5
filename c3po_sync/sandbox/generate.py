"""Synthetic City tenants in the `c3po-tenant/1` format, deterministic per seed, at any size.

`generate_tenant(seed, *, sites=4, projects=200, documents_per_project=8, assets=500,
anchor=date(2026, 11, 1), max_file_size=None)` returns the dict `Tenant.from_dict` loads
(docs/tenant-format.md); `write_tenant(d, path)` saves it as YAML.

Options:
    seed: everything comes from `random.Random(seed)`; the same arguments give the same dict.
    sites: number of *portfolio* (PPM) sites. They rotate through the three column-naming styles
        of docs/demo-tenant.md (community, finance, planning), so the first three have the demo's
        URLs and columns (`/sites/ppm-community`, `/sites/ppm-finance`, `/sites/ppm-planning`).
        The hub (`/sites/c3po`, empty "Rollups" library) and the ITD site (`/sites/itd`,
        "IT Asset Inventory") come on top.
    projects: exact number of project items, spread round-robin over the portfolio sites.
    documents_per_project: average; the tenant gets exactly
        `round(projects * documents_per_project)` files. Each project first gets what its phase
        requires (charter; commitment sign-off and a status report from Execution on; vendor
        contract and key vendor staff when it has a vendor; acceptance sign-off and lessons
        learned once Closed), the rest are status reports, plans and other files.
    assets: exact number of inventory items; projects in Release or later get one each first.
    anchor: "today" for the dates; fresh statuses are 1-55 days old, stale ones 91+ days.
    max_file_size: caps the declared file sizes (bytes). Sizes are realistic by default (PDFs up
        to 1.6 MB); a loader that materialises content needs the cap for big tenants.

Realistic mess at low rates, each kind at least once when it has a candidate: missing
documents, stale and future status dates, hand-typed currency strings in the finance `Cost`
column, unknown choice values, null people, a project without a PPM, a contract PPM without a
supervisor, a duplicate project key across two sites, unicode and formula-like titles, a
formula-like file name, projects released with no inventory entry, assets past end of support,
without owner or not reviewed for a year, and gaps in the governance columns (no governance body,
no metric goals once released, no PPB priority for a vendor project, no key vendor staff on the
item nor in the library); compliant projects fill those columns for their phase, each site in its
own naming and value style (generate_governance.py). Every deliberate problem is listed in the
top-level `generator` block (`generator.mess`: kind, site, list, item or path, field, key, value)
beside each portfolio site's style (`generator.sites`), so tests can tell mess from bugs and
mappings can be chosen per style (`site_style`). The loader ignores the `generator` block.
"""

from __future__ import annotations

import math
import random
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from c3po_sync.sandbox.generate_docs import DocumentPlanner
from c3po_sync.sandbox.generate_governance import assign_governance, seed_governance_mess
from c3po_sync.sandbox.generate_items import build_assets, render_project
from c3po_sync.sandbox.generate_model import GenContext, Project
from c3po_sync.sandbox.generate_styles import (
    CLOSED,
    DEPARTMENTS,
    FIRST_NAMES,
    FORMULA_TITLES,
    KEY_FIELD,
    LAST_NAMES,
    METHODOLOGIES,
    PORTFOLIO_AREAS,
    PROJECT_LIST_TITLE,
    RELEASE,
    STYLES,
    SYSTEMS,
    UNICODE_TITLES,
    VENDORS,
    VERBS,
    asset_fields,
    library_spec,
    project_fields,
)

HUB_URL = "/sites/c3po"
ITD_URL = "/sites/itd"
ITD_TITLE = "Information Technology Department"
ASSET_LIST = "IT Asset Inventory"
TIME_ZONE = "America/Los_Angeles"
MAX_ACTIVE = 4  # active projects per PPM; more is the R6 overload finding, not seeded here
_PHASE_WEIGHTS = [8, 10, 10, 35, 10, 12, 15]
_FOLD = str.maketrans(
    {"Đ": "D", "đ": "d", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "ł": "l", "'": ""}
)


def site_style(tenant: dict, site_url: str) -> str:
    """A portfolio site's naming style (community, finance or planning), for choosing its mappings.

    Reads the `generator` block when present, otherwise recognises the project list's key column,
    so it works for the demo tenant too. KeyError names the site when it is not a portfolio site.
    """
    for s in (tenant.get("generator") or {}).get("sites", []):
        if s["url"].lower() == site_url.lower():
            return s["style"]
    by_key = {v: k for k, v in KEY_FIELD.items()}
    for site in tenant.get("sites") or []:
        if site["url"].lower() != site_url.lower():
            continue
        for lst in site.get("lists") or []:
            for f in lst.get("fields") or []:
                if (
                    f.get("name") in by_key
                    and lst.get("title") == PROJECT_LIST_TITLE[by_key[f["name"]]]
                ):
                    return by_key[f["name"]]
    raise KeyError(f"{site_url} is not a portfolio site (no project list with a known key column)")


def write_tenant(d: dict, path: str | Path) -> None:
    """Saves a tenant dict as YAML; libyaml when available, pure Python is slow for big tenants."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with Path(path).open("w", encoding="utf-8") as fh:
        yaml.dump(d, fh, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)


def generate_tenant(
    seed: int,
    *,
    sites: int = 4,
    projects: int = 200,
    documents_per_project: float = 8,
    assets: int = 500,
    anchor: date = date(2026, 11, 1),
    max_file_size: int | None = None,
) -> dict[str, Any]:
    """A tenant dict in the `c3po-tenant/1` format; see the module docstring for the options."""
    if sites < 1 or min(projects, assets, documents_per_project, max_file_size or 0) < 0:
        raise ValueError(
            "generate_tenant: sites must be >= 1 and projects, assets, documents_per_project and "
            f"max_file_size non-negative; got sites={sites} projects={projects} assets={assets} "
            f"documents_per_project={documents_per_project} max_file_size={max_file_size}"
        )
    ctx = GenContext(random.Random(seed), anchor)
    people = _People(ctx, projects)
    portfolio = _portfolio_sites(sites)
    plist = [_project(ctx, people, i, i % sites) for i in range(projects)]
    _seed_mess(ctx, plist, sites)
    seed_governance_mess(ctx, plist)
    where: dict[int, tuple[str, str]] = {}
    per_site: list[list[int]] = [[] for _ in range(sites)]
    for i, p in enumerate(plist):
        per_site[p.site].append(i)
        p.item_id = len(per_site[p.site])
        url, style = portfolio[p.site]
        where[i] = (url, PROJECT_LIST_TITLE[style])
        p.site_url, p.list_title = where[i]
    planner = DocumentPlanner(ctx, plist, where, max_file_size)
    plans = planner.plan(round(projects * documents_per_project))
    site_dicts = [_hub_site()]
    for s, (url, style) in enumerate(portfolio):
        plist_title = PROJECT_LIST_TITLE[style]
        items = [render_project(ctx, plist[i], style, url, plist_title) for i in per_site[s]]
        projects_list = {"title": plist_title, "template": 100, "fields": project_fields(style)}
        library = _library(ctx, planner, plans, per_site[s], style, url)
        lists = [{**projects_list, "items": items}, library]
        site_dicts.append(
            {"url": url, "title": _site_title(s), "time_zone": TIME_ZONE, "lists": lists}
        )
    inventory = build_assets(ctx, assets, plist, people.owners, people.itd, ITD_URL, ASSET_LIST)
    itd_list = {"title": ASSET_LIST, "template": 100, "fields": asset_fields(), "items": inventory}
    site_dicts.append(
        {"url": ITD_URL, "title": ITD_TITLE, "time_zone": TIME_ZONE, "lists": [itd_list]}
    )
    options = {
        "sites": sites,
        "projects": projects,
        "documents_per_project": documents_per_project,
        "assets": assets,
        "max_file_size": max_file_size,
    }
    styles = [
        {"url": u, "style": st, "projects_list": PROJECT_LIST_TITLE[st],
         "documents_library": library_spec(st)["title"]}
        for u, st in portfolio
    ]  # fmt: skip
    return {
        "format": "c3po-tenant/1",
        "tenant": {"name": f"generated-{seed}", "time_zone": TIME_ZONE},
        "generator": {
            "seed": seed,
            "anchor": anchor,
            "options": options,
            "hub_site": HUB_URL,
            "itd_site": ITD_URL,
            "sites": styles,
            "mess": ctx.ledger,
        },
        "users": people.users,
        "sites": site_dicts,
    }


def _site_title(s: int) -> str:
    n = len(PORTFOLIO_AREAS)
    return PORTFOLIO_AREAS[s % n][1] + (f" {s // n + 1}" if s >= n else "")


def _portfolio_sites(n: int) -> list[tuple[str, str]]:
    out = []
    for s in range(n):
        slug = PORTFOLIO_AREAS[s % len(PORTFOLIO_AREAS)][0]
        if s >= len(PORTFOLIO_AREAS):
            slug += f"-{s // len(PORTFOLIO_AREAS) + 1}"
        out.append((f"/sites/ppm-{slug}", STYLES[s % len(STYLES)]))
    return out


def _hub_site() -> dict[str, Any]:
    return {
        "url": HUB_URL,
        "title": "C3PO Hub",
        "time_zone": TIME_ZONE,
        "lists": [{"title": "Rollups", "template": 101, "fields": [], "folders": [], "files": []}],
    }


def _library(
    ctx: GenContext,
    planner: DocumentPlanner,
    plans: list[list[str]],
    idx: list[int],
    style: str,
    url: str,
) -> dict[str, Any]:
    spec = library_spec(style)
    folders: list[str] = []
    files: list[dict[str, Any]] = []
    for i in idx:
        p = planner.projects[i]
        entries = planner.files(i, plans[i])
        if style != "planning" and entries:
            folders.append(p.key)
        sub = style == "community" and ctx.rng.random() < 0.4
        if sub and any(e["type"] == "Status Report" for e in entries):
            folders.append(f"{p.key}/Status Reports")
        for e in entries:
            if style == "planning":
                path, values = e["name"], {"ProjectKey": p.key, "DocType": e["type"]}
            elif style == "community":
                folder = (
                    f"{p.key}/Status Reports" if sub and e["type"] == "Status Report" else p.key
                )
                path, values = f"{folder}/{e['name']}", {"Document_x0020_Type": e["type"]}
            else:
                path, values = f"{p.key}/{e['name']}", None
            f = {"path": path, "size": e["size"], "modified": e["modified"], "author": e["author"]}
            if values:
                f["values"] = values
            files.append(f)
    for j in ctx.pick_indices(list(range(len(files))), 0.0005):
        head, _, name = files[j]["path"].rpartition("/")
        files[j]["path"] = (head + "/" if head else "") + f'=HYPERLINK("x") {name}'
        ctx.mark("formula_name", url, spec["title"], path=files[j]["path"])
    return {**spec, "folders": list(dict.fromkeys(folders)), "files": files}


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


class _People:
    """The tenant's users by role: City and contract PPMs, ITD staff, department staff."""

    def __init__(self, ctx: GenContext, projects: int) -> None:
        self.ctx = ctx
        self.users: list[dict[str, str]] = []
        self._emails: set[str] = set()
        self.load: dict[str, int] = {}
        self.ppms = [self._add("sanjoseca.gov") for _ in range(max(3, math.ceil(projects / 3.5)))]
        self.contract = [
            self._add("contractor.example") for _ in range(max(1, math.ceil(len(self.ppms) / 5)))
        ]
        self.itd = [self._add("sanjoseca.gov") for _ in range(max(2, math.ceil(projects / 40)))]
        per_dept = max(2, math.ceil(projects / (len(DEPARTMENTS) * 3)))
        self.owners = {
            d: [self._add("sanjoseca.gov") for _ in range(per_dept)] for d in DEPARTMENTS
        }
        self.sponsors = {
            d: [self._add("sanjoseca.gov") for _ in range(max(1, per_dept // 4))]
            for d in DEPARTMENTS
        }

    def assign(self, pool: list[str], *, active: bool) -> str:
        """A PPM from `pool` with room for one more active project (the roadmap says 3 to 4)."""
        rng = self.ctx.rng
        ppm = rng.choice(pool)
        if active and self.load.get(ppm, 0) >= MAX_ACTIVE:
            ppm = min(pool, key=lambda e: self.load.get(e, 0))  # least loaded; ties in pool order
        if active:
            self.load[ppm] = self.load.get(ppm, 0) + 1
        return ppm

    def _add(self, domain: str) -> str:
        rng = self.ctx.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = f"{_ascii(first)}.{_ascii(last)}"
        email, n = f"{base}@{domain}", 1
        while email in self._emails:
            n += 1
            email = f"{base}{n}@{domain}"
        self._emails.add(email)
        self.users.append({"email": email, "title": f"{first} {last}"})
        return email


def _project(ctx: GenContext, people: _People, i: int, site: int) -> Project:
    rng = ctx.rng
    phase = rng.choices(range(7), _PHASE_WEIGHTS)[0]
    system = rng.choice(SYSTEMS)
    title = f"{system} {rng.choice(VERBS)}"
    acronym = "".join(w[0] for w in system.replace("-", " ").split() if w[0].isalnum()).upper()
    key = f"{acronym[:5]}{i + 1:04d}" if len(acronym) > 1 else f"{system[:4].upper()}{i + 1:04d}"
    depts = [rng.choice(DEPARTMENTS)]
    for d in rng.sample(DEPARTMENTS, rng.choice([0, 0, 1, 1, 2, 3])):
        if d not in depts:
            depts.append(d)
    start = {0: ctx.days_ago(-30, 60), 1: ctx.days_ago(30, 180), 2: ctx.days_ago(90, 365)}.get(
        phase
    )
    if start is None:
        start = ctx.days_ago(120 + 150 * (phase - 3), 700 + 300 * (phase - 3))
    end = start + timedelta(days=rng.randint(270, 1100))
    if phase == CLOSED:
        end = min(end, ctx.anchor - timedelta(days=rng.randint(60, 400)))
    elif phase >= RELEASE:
        end = max(end, ctx.anchor - timedelta(days=rng.randint(0, 200)))
    contract = rng.random() < 0.12
    ppm = people.assign(people.contract if contract else people.ppms, active=phase != CLOSED)
    vendor = rng.choice(VENDORS) if phase >= 2 and rng.random() < 0.85 else None
    project = Project(
        key=key,
        title=title,
        site=site,
        phase=phase,
        health=rng.choices([0, 1, 2], [70, 22, 8])[0],
        status_date=ctx.days_ago(1, 55),
        ppm=ppm,
        contract=contract,
        supervisor=rng.choice(people.ppms) if contract else None,
        owner=rng.choice(people.owners[depts[0]]),
        sponsor=rng.choice(people.sponsors[depts[0]]),
        departments=depts,
        budget=float(rng.randrange(50_000, 9_000_000, 5_000)),
        start=start,
        end=end,
        methodology=rng.choice(METHODOLOGIES) if phase >= 2 or rng.random() < 0.5 else None,
        liaison=rng.choice(people.itd),
        high_profile=rng.random() < 0.25,
        custom=rng.random() < 0.35,
        vendor=vendor,
        author=ppm,
    )
    assign_governance(ctx, project, system)
    return project


def _seed_mess(ctx: GenContext, plist: list[Project], sites: int) -> None:
    """Decides which projects carry which deliberate problem; renderers apply and record them."""
    rng = ctx.rng
    idx = list(range(len(plist)))
    executing = [i for i in idx if plist[i].phase >= 3]
    for i in ctx.pick_indices(executing, 0.04):
        p = plist[i]
        choices = ["Charter", "Commitment Sign-off"] + (
            ["Acceptance Sign-off", "Lessons Learned"] if p.phase == CLOSED else []
        )
        p.mess["missing_document"] = {"value": rng.choice(choices)}
    for i in ctx.pick_indices(idx, 0.05):
        plist[i].status_date = ctx.days_ago(91, 400)
        plist[i].mess["stale_status"] = {"role": "status_date"}
    for i in ctx.pick_indices([i for i in idx if "stale_status" not in plist[i].mess], 0.01):
        plist[i].status_date = ctx.anchor + timedelta(days=rng.randint(5, 60))
        plist[i].mess["future_date"] = {"role": "status_date"}
    finance = [i for i in idx if plist[i].site % 3 == 1]
    for i in ctx.pick_indices(finance, 0.08):
        plist[i].mess["currency_string"] = {}
    for i in ctx.pick_indices(idx, 0.015):
        role = rng.choice(["phase", "health"])
        bad = (
            rng.choice(["On Hold", "Cancelled", "Planning"])
            if role == "phase"
            else rng.choice(["Blue", "Amber", "Green "])
        )
        plist[i].mess["unknown_choice"] = {"role": role, "value": bad}
    for i in ctx.pick_indices(idx, 0.02):
        plist[i].mess["null_person"] = {"role": rng.choice(["owner", "sponsor", "liaison"])}
    engaged = [i for i in idx if plist[i].meets_engagement_criteria() and not plist[i].contract]
    for i in ctx.pick_indices(engaged, 0.015):
        plist[i].ppm = None
        plist[i].mess["no_ppm"] = {"role": "ppm"}
    for i in ctx.pick_indices([i for i in idx if plist[i].contract], 0.15):
        plist[i].supervisor = None
        plist[i].mess["unsupervised_contract_ppm"] = {"role": "supervisor"}
    if sites > 1 and len(plist) > 1:
        taken = {(p.site, p.key) for p in plist}
        for i in ctx.pick_indices(idx, 0.005):
            donors = [j for j in idx if (plist[i].site, plist[j].key) not in taken]
            if donors:
                plist[i].key = plist[rng.choice(donors)].key
                taken.add((plist[i].site, plist[i].key))
                plist[i].mess["duplicate_key"] = {"role": "key", "value": plist[i].key}
    for i in ctx.pick_indices(idx, 0.02):
        plist[i].title = rng.choice(UNICODE_TITLES)
        plist[i].mess["unicode_title"] = {"role": "title", "value": plist[i].title}
    for i in ctx.pick_indices(idx, 0.002):
        plist[i].mess["formula_title"] = {"role": "title", "value": rng.choice(FORMULA_TITLES)}
    released = [i for i in idx if plist[i].phase >= RELEASE]
    for i in ctx.pick_indices(released, 0.03):
        plist[i].mess["no_inventory"] = {}
