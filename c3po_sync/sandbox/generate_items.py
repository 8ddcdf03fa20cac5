"""Renders generated projects as list items in each site style; builds the ITD inventory."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from c3po_sync.sandbox.generate_governance import GOVERNANCE_FIELDS, governance_columns
from c3po_sync.sandbox.generate_model import GenContext, Project
from c3po_sync.sandbox.generate_styles import (
    ACTUAL_END_FIELD,
    ASSET_NOUNS,
    ASSET_TYPES,
    DEPARTMENTS,
    FINANCE_STAGES,
    HEALTH_FIELD,
    LIFECYCLE,
    PHASES,
    RELEASE,
    STATUS_BY_STYLE,
    TAXONOMY_AREAS,
    VENDORS,
)


def _money_text(ctx: GenContext, budget: float, messy: bool) -> str:
    """Finance's hand-typed Cost: `$1,200,000` normally, `1.2M`-like shorthands when messy."""
    if not messy:
        return f"${budget:,.0f}"
    forms = [
        f"{budget / 1_000_000:.1f}M" if budget >= 1_000_000 else f"{budget / 1000:.0f}K",
        f"USD {budget:,.0f}",
        f"approx ${budget / 1_000_000:.1f}M",
        f"{budget:.0f}",
        "TBD",
    ]
    return ctx.rng.choice(forms)


def _methodology(style: str, value: str | None) -> str | None:
    if style == "finance" and value == "Hybrid":
        return "Agile"  # the finance site's Approach column has no Hybrid
    return value


def render_project(
    ctx: GenContext, p: Project, style: str, site_url: str, list_title: str
) -> dict[str, Any]:
    """The list item for `p` in `style`'s internal names, mess applied and recorded."""
    rng = ctx.rng
    status = STATUS_BY_STYLE[style][p.health]
    phase = FINANCE_STAGES[p.phase] if style == "finance" else PHASES[p.phase]
    if style == "community":
        area = TAXONOMY_AREAS[p.site % len(TAXONOMY_AREAS)]
        site = None
        if rng.random() < 0.6:
            site = {
                "url": f"https://sanjoseca.sharepoint.com/sites/{p.key.lower()}",
                "description": f"{p.title} site",
            }
        item: dict[str, Any] = {
            "id": p.item_id,
            "Title": p.title,
            "Project_x0020_Key": p.key,
            "Project_x0020_Manager": p.ppm,
            "PPM_x0020_Is_x0020_Contract": p.contract,
            "Supervising_x0020_PPM": p.supervisor,
            "Product_x0020_Owner": p.owner,
            "Sponsor": p.sponsor,
            "Departments": list(p.departments),
            "Budget": p.budget,
            "Start_x0020_Date": p.start,
            "Target_x0020_End": p.end,
            "Phase": phase,
            "Status": status,
            "Status_x0020_Date": p.status_date,
            "Methodology": p.methodology,
            "ITD_x0020_Liaison": p.liaison,
            "High_x0020_Profile": p.high_profile,
            "Custom_x0020_Software": p.custom,
            "Vendor": p.vendor,
            "Project_x0020_Site": site,
            "Portfolio_x0020_Area": {"label": area[0], "term_guid": area[1]},
        }
        roles = {
            "ppm": "Project_x0020_Manager",
            "supervisor": "Supervising_x0020_PPM",
            "owner": "Product_x0020_Owner",
            "sponsor": "Sponsor",
            "liaison": "ITD_x0020_Liaison",
            "status_date": "Status_x0020_Date",
            "phase": "Phase",
            "key": "Project_x0020_Key",
        }
    elif style == "finance":
        messy_cost = "currency_string" in p.mess
        status_ts = ctx.stamp(p.status_date)
        item = {
            "id": p.item_id,
            "Title": p.title,
            "ProjectCode": p.key,
            "PPM": p.ppm,
            "ContractPPM": p.contract,
            "PPMSupervisor": p.supervisor,
            "BusinessOwner": p.owner,
            "ExecSponsor": p.sponsor,
            "Depts": "; ".join(p.departments),
            "Cost": _money_text(ctx, p.budget, messy_cost),
            "Kickoff": p.start,
            "GoLive": p.end,
            "Stage": phase,
            "Health": status,
            "LastStatusUpdate": status_ts,
            "Approach": _methodology(style, p.methodology),
            "Liaison": p.liaison,
            "Sensitive": p.high_profile,
            "Customized": p.custom,
            "VendorName": p.vendor,
            "OData__Comments": rng.choice(
                [None, None, "Weekly sync with vendor.", "Awaiting PPB prioritization."]
            ),
        }
        if messy_cost:
            ctx.mark(
                "currency_string",
                site_url,
                list_title,
                item=p.item_id,
                field_name="Cost",
                key=p.key,
                value=item["Cost"],
            )
        roles = {
            "ppm": "PPM",
            "supervisor": "PPMSupervisor",
            "owner": "BusinessOwner",
            "sponsor": "ExecSponsor",
            "liaison": "Liaison",
            "status_date": "LastStatusUpdate",
            "phase": "Stage",
            "key": "ProjectCode",
        }
    else:
        item = {
            "id": p.item_id,
            "Title": p.title,
            "Key": p.key,
            "ProjectManager": p.ppm,
            "Contractor": p.contract,
            "Supervisor": p.supervisor,
            "Owner": p.owner,
            "Sponsor": p.sponsor,
            "Departments": list(p.departments),
            "EstimatedCost": p.budget,
            "StartDate": p.start,
            "EndDate": p.end,
            "Phase": phase,
            "RAG": status,
            "StatusAsOf": p.status_date,
            "Methodology": p.methodology,
            "ITDLiaison": p.liaison,
            "HighProfile": p.high_profile,
            "CustomSoftware": p.custom,
            "Vendor": p.vendor,
        }
        roles = {
            "ppm": "ProjectManager",
            "supervisor": "Supervisor",
            "owner": "Owner",
            "sponsor": "Sponsor",
            "liaison": "ITDLiaison",
            "status_date": "StatusAsOf",
            "phase": "Phase",
            "key": "Key",
        }
    item.update(governance_columns(p, style))
    if style in ACTUAL_END_FIELD and phase == "Closed":
        item[ACTUAL_END_FIELD[style]] = p.end  # closed on its target end (policy dates)
    roles.update(GOVERNANCE_FIELDS[style])
    roles["health"] = HEALTH_FIELD[style]
    roles["title"] = "Title"
    _apply_mess(ctx, p, item, roles, site_url, list_title)
    modified = min(p.status_date, ctx.anchor - timedelta(days=1))
    created = min(p.start - timedelta(days=rng.randint(7, 60)), ctx.anchor - timedelta(days=2))
    created_ts, modified_ts = ctx.stamps(created, modified)
    item.update(
        {
            "created": created_ts,
            "modified": modified_ts,
            "author": p.author,
            "editor": p.ppm or p.author,
            "version": rng.randint(1, 40),
        }
    )
    return item


def _apply_mess(
    ctx: GenContext, p: Project, item: dict, roles: dict[str, str], site: str, lst: str
) -> None:
    for kind, detail in p.mess.items():
        if kind in ("currency_string", "missing_document"):
            continue  # recorded where they happen
        fname = roles.get(detail["role"]) if isinstance(detail, dict) and "role" in detail else None
        if kind == "unknown_choice":
            item[fname] = detail["value"]
        elif kind == "null_person":
            item[fname] = None
        elif kind == "formula_title":
            item["Title"] = detail["value"]
        ctx.mark(
            kind,
            site,
            lst,
            item=p.item_id,
            field_name=fname,
            key=p.key,
            value=detail.get("value") if isinstance(detail, dict) else None,
        )


def build_assets(
    ctx: GenContext,
    n: int,
    projects: list[Project],
    owners: dict[str, list[str]],
    itd_staff: list[str],
    site_url: str,
    list_title: str,
) -> list[dict[str, Any]]:
    """`n` inventory items: one per released project first (bar seeded gaps), then the rest."""
    rng = ctx.rng
    released = [p for p in projects if p.phase >= RELEASE and "no_inventory" not in p.mess]
    related: list[Project | None] = list(released[:n])
    for p in released[n:]:  # fewer assets than released projects: say which went without
        ctx.mark("no_inventory", p.site_url, p.list_title, item=p.item_id, key=p.key)
    # random links never point at a project seeded as released-without-inventory
    linkable = [p for p in projects if "no_inventory" not in p.mess]
    related += [
        rng.choice(linkable) if linkable and rng.random() < 0.5 else None
        for _ in range(n - len(related))
    ]
    items = [_asset(ctx, i + 1, proj, owners, itd_staff) for i, proj in enumerate(related)]
    idx = list(range(n))
    in_service = [i for i in idx if items[i]["LifecycleStage"] == "In Service"]
    for i in ctx.pick_indices(in_service, 0.02):
        items[i]["EndOfSupport"] = ctx.days_ago(30, 1500)
        ctx.mark("past_end_of_support", site_url, list_title, item=i + 1, field_name="EndOfSupport")
    for i in ctx.pick_indices(idx, 0.02):
        items[i]["AssetOwner"] = None
        ctx.mark("asset_no_owner", site_url, list_title, item=i + 1, field_name="AssetOwner")
    for i in ctx.pick_indices(idx, 0.03):
        items[i]["LastReviewed"] = ctx.days_ago(400, 1200)
        ctx.mark("stale_review", site_url, list_title, item=i + 1, field_name="LastReviewed")
    for i in ctx.pick_indices(idx, 0.005):
        items[i]["LifecycleStage"] = rng.choice(["Decommissioned", "in service", "Active"])
        ctx.mark(
            "unknown_choice",
            site_url,
            list_title,
            item=i + 1,
            field_name="LifecycleStage",
            value=items[i]["LifecycleStage"],
        )
    return items


def _asset(
    ctx: GenContext,
    item_id: int,
    proj: Project | None,
    owners: dict[str, list[str]],
    itd_staff: list[str],
) -> dict[str, Any]:
    rng = ctx.rng
    kind = rng.choice(ASSET_TYPES)
    vendor = proj.vendor if proj and proj.vendor else rng.choice(VENDORS)
    dept = proj.departments[0] if proj else rng.choice(DEPARTMENTS)
    stage = (
        "In Service" if proj and proj.phase >= RELEASE else rng.choices(LIFECYCLE, [1, 8, 2, 1])[0]
    )
    acquired = (
        proj.end
        if proj and proj.phase >= RELEASE and proj.end < ctx.anchor
        else ctx.days_ago(60, 4000)
    )
    if stage == "Planned":
        acquired = ctx.anchor + timedelta(days=rng.randint(10, 300))
    eos = ctx.anchor + timedelta(days=rng.randint(120, 2500))
    if stage == "Retired":
        eos = ctx.days_ago(30, 900)
    name = f"{vendor.split()[0]} {rng.choice(ASSET_NOUNS[kind])}"
    if proj:
        name = f"{proj.title} {rng.choice(ASSET_NOUNS[kind])}"
    owner_pool = owners.get(dept) or itd_staff
    created = min(acquired, ctx.anchor - timedelta(days=2))
    touched = created + timedelta(days=rng.randint(0, (ctx.anchor - created).days - 1))
    stamps = ctx.stamps(created, touched)
    return {
        "id": item_id,
        "Title": name,
        "AssetType": kind,
        "Vendor": vendor,
        "OwnerDepartment": dept,
        "AssetOwner": rng.choice(owner_pool),
        "LifecycleStage": stage,
        "Acquired": acquired,
        "RenewalDate": ctx.anchor + timedelta(days=rng.randint(30, 900)),
        "EndOfSupport": eos,
        "AnnualCost": float(rng.randrange(5_000, 1_500_000, 500)),
        "LastReviewed": ctx.days_ago(1, 330),
        "RelatedProject": proj.key if proj else None,
        "created": stamps[0],
        "modified": stamps[1],
        "author": rng.choice(itd_staff),
        "editor": rng.choice(itd_staff),
        "version": rng.randint(1, 12),
    }
