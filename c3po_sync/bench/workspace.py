"""A throwaway deployment for a generated tenant: mappings, settings, jobs and state."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import yaml

from c3po_sync.sandbox.generate import ITD_URL, site_style

ROOT = Path(__file__).resolve().parents[2]
MAPPINGS = ROOT / "mappings"
RULES = ROOT / "config" / "rules.yaml"

UNTHROTTLED_RU_PER_MINUTE = 10_000_000
# One job per benchmark row, so each row runs exactly the steps it measures.
BENCH_JOBS: dict[str, list[str]] = {
    "nightly": ["sync", "evaluate", "write_lists", "rollup"],
    "bench-sync": ["sync"],
    "bench-evaluate": ["evaluate"],
    "bench-write": ["write_lists"],
    "bench-rollup": ["rollup"],
    "bench-nightly-lists": ["sync", "evaluate", "write_lists"],
}


def write_mappings(tenant: dict[str, Any], out: Path) -> list[Path]:
    """Mapping files for every portfolio site of a generated tenant, copied from the demo's.

    Generated sites rotate the demo's three column styles, so the demo mapping of the same
    style with the site URL substituted maps them exactly.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for site in (tenant.get("generator") or {}).get("sites", []):
        style = site_style(tenant, site["url"])
        text = (MAPPINGS / f"ppm-{style}.yaml").read_text(encoding="utf-8")
        text = re.sub(r"/sites/ppm-" + style + r"\b", site["url"], text)
        path = out / f"{site['url'].rsplit('/', 1)[-1]}.yaml"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    assets = (MAPPINGS / "itd-assets.yaml").read_text(encoding="utf-8")
    (out / "itd-assets.yaml").write_text(assets.replace("/sites/itd", ITD_URL), encoding="utf-8")
    written.append(out / "itd-assets.yaml")
    return written


def write_jobs(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for job_id, steps in BENCH_JOBS.items():
        doc = {"id": job_id, "description": f"benchmark: {', '.join(steps)}", "steps": steps}
        (out / f"{job_id}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")


def write_settings(
    folder: Path,
    base_url: str,
    *,
    mappings_dir: Path | None = None,
    state_name: str = "state.db",
    concurrency: int = 4,
) -> Path:
    """A settings file pointing at `base_url`, with state and output inside `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        # The bench's sandbox does not throttle unless asked (``--ru-per-minute``), so the rows
        # measure the work, not the pacing to the smallest tier's 1,200 RU a minute.
        "tenant": {
            "base_url": base_url,
            "auth": {"mode": "sandbox"},
            "resource_units_per_minute": UNTHROTTLED_RU_PER_MINUTE,
        },
        "hub_site": "/sites/c3po",
        "rollups_library": "Rollups",
        "mappings_dir": str(mappings_dir or folder / "mappings"),
        "rules_file": str(RULES),
        "jobs_dir": str(folder / "jobs"),
        "state_url": f"sqlite:///{folder / state_name}",
        "output_dir": str(folder / "out"),
        "time_zone": "America/Los_Angeles",
        "read": {"page_size": 5000, "concurrency": concurrency},
    }
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def prepare_workspace(tenant: dict[str, Any], folder: Path, base_url: str) -> Path:
    """Mappings, jobs and settings for `tenant` served at `base_url`; returns the settings file."""
    write_mappings(tenant, folder / "mappings")
    write_jobs(folder / "jobs")
    return write_settings(folder, base_url)


def source_lists(tenant_dict: dict[str, Any]) -> list[tuple[str, str]]:
    """(site, list title) of every mapped source of a generated tenant."""
    out = []
    for s in tenant_dict["generator"]["sites"]:
        out += [(s["url"], s["projects_list"]), (s["url"], s["documents_library"])]
    out.append((ITD_URL, "IT Asset Inventory"))
    return out


def change_items(tenant: Any, lists: list[tuple[str, str]], share: float, seed: int) -> int:
    """Edits `share` of the items (files excluded: their metadata only) through the model.

    Each edit bumps the version and lands in the change log, as a human edit in SharePoint
    would. Returns how many items were changed.
    """
    rng = random.Random(seed)
    changed = 0
    with tenant.lock:
        for site_url, title in lists:
            site = tenant.site_for_path(site_url + "/_api/web")[0]
            lst = site.list_by_title(title)
            ids = [i.id for i in lst.items.values() if i.fs_obj_type == 0]
            for item_id in rng.sample(ids, max(1, round(len(ids) * share)) if ids else 0):
                title_now = lst.items[item_id].values.get("Title") or ""
                lst.update_item(item_id, {"Title": _edited(str(title_now))})
                changed += 1
    return changed


def _edited(title: str) -> str:
    base, _, n = title.partition(" (rev ")
    return f"{base} (rev {int(n.rstrip(')') or 0) + 1 if n else 1})"


def list_sizes(tenant: Any, lists: list[tuple[str, str]]) -> dict[str, int]:
    """Items per source list (folders included: a RecursiveAll read returns them too)."""
    sizes = {}
    for site_url, title in lists:
        site = tenant.site_for_path(site_url + "/_api/web")[0]
        sizes[f"{site_url}/{title}"] = len(site.list_by_title(title).items)
    return sizes
