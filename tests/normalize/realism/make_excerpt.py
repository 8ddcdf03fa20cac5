"""Writes the realism excerpt: ``itdashboard_projects.csv`` and what each value means.

Run once (``python -m tests.normalize.realism.make_excerpt``); the output is committed. The
columns are those of the U.S. Federal IT Dashboard "Projects" data feed (itdashboard.gov); the
rows are synthesized here (see README.md): no network was available to fetch the real feed.
Values are written the way the feed and its re-exports write them (month-first dates, ISO
timestamps, costs in $ millions or with units) so that the expected meaning of every cell is
known exactly and a test can check that normalization keeps it or quarantines it.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROWS = 120

HEADER = [
    "Unique Investment Identifier",
    "Business Case ID",
    "Agency Code",
    "Agency Name",
    "Investment Title",
    "Project ID",
    "Agency Project ID",
    "Project Name",
    "Project Description",
    "Start Date",
    "Completion Date (B1)",
    "Planned Project Completion Date (B2)",
    "Projected/Actual Project Completion Date (B2)",
    "Lifecycle Cost",
    "Schedule Variance (in days)",
    "Schedule Variance (%)",
    "Cost Variance ($ M)",
    "Cost Variance (%)",
    "Planned Cost ($ M)",
    "Projected/Actual Cost ($ M)",
    "Updated Date",
    "Updated Time",
    "Unique Project ID",
    "Project Status",
    "Project Phase",
]

AGENCIES = [
    ("005", "Department of Agriculture"),
    ("006", "Department of Commerce"),
    ("009", "Department of Health and Human Services"),
    ("010", "Department of the Interior"),
    ("012", "Department of Labor"),
    ("015", "Department of the Treasury"),
    ("016", "Social Security Administration"),
    ("024", "Department of Homeland Security"),
    ("029", "Department of Veterans Affairs"),
]
WORDS = ["Case Management", "Grants", "Payroll", "Identity", "Data Center", "Claims", "Portal",
         "Financial Systems", "Records", "Benefits", "Network", "Analytics"]  # fmt: skip
STEPS = ["Modernization", "Migration", "Phase 2", "Release 3", "Cloud Move", "Upgrade"]
PHASE = {  # as typed -> canonical phase; None: unknown (kept, reported)
    "Planning": "Chartering", "Acquisition": "Procurement", "Development": "Execution",
    "Execution": "Execution", "Deployment": "Release", "O&M": "Sustain", "Closeout": "Closed",
    "On Hold": None,
}  # fmt: skip
STATUS = {  # as typed -> what it means (canonical), None: no mapping knows it (kept, reported)
    "On Track": "Green", "on track": "Green", "Green": "Green", "Ahead of Schedule": "Green",
    "At Risk": "Yellow", "Minor Delays": "Yellow", "yellow": "Yellow",
    "Behind Schedule": "Red", "RED": "Red", "Critical": "Red",
    "Complete": None, "Not Reported": None,
}  # fmt: skip


def _mdy(d: date) -> str:
    return d.strftime("%m/%d/%Y")


def _start(rng: random.Random, d: date) -> tuple[str, str]:
    """Start Date as typed: the feed's MM/DD/YYYY, or a re-export's ISO forms (issue 12)."""
    form = rng.choices(["mdy", "ts", "t", "basic", "iso", "blank"], [10, 3, 2, 2, 2, 1])[0]
    text = {
        "mdy": _mdy(d),
        "ts": f"{d.isoformat()} 00:00:00",
        "t": f"{d.isoformat()}T00:00:00",
        "basic": d.strftime("%Y%m%d"),
        "iso": d.isoformat(),
        "blank": "",
    }[form]
    return text, "" if form == "blank" else d.isoformat()


def _planned(rng: random.Random, d: date) -> tuple[str, str]:
    """Planned completion: MM/DD/YYYY, an Excel serial (a sheet round trip), or TBD."""
    form = rng.choices(["mdy", "serial", "tbd"], [12, 3, 1])[0]
    if form == "serial":
        return str((d - date(1899, 12, 30)).days), d.isoformat()
    if form == "tbd":
        return "TBD", "QUARANTINE:invalid"
    return _mdy(d), d.isoformat()


def _completed(rng: random.Random, d: date | None) -> tuple[str, str]:
    """Completion Date (B1) from a merged re-export: day-first and month-first rows mixed."""
    if d is None:
        return "", ""
    if d.day == d.month or d.day > 12:  # unambiguous whichever order is written
        text = d.strftime("%d/%m/%Y") if rng.random() < 0.5 else _mdy(d)
        return text, d.isoformat()
    text = d.strftime("%d/%m/%Y") if rng.random() < 0.5 else _mdy(d)
    return text, "QUARANTINE:ambiguous"


def _cost(rng: random.Random) -> tuple[str, str]:
    """Lifecycle Cost as people type it: units, words, exponent, accounting negatives."""
    millions = round(rng.uniform(0.3, 900), 1)
    usd = round(millions * 1_000_000)
    form = rng.choices(["m", "million", "plain", "exp", "k", "neg", "na", "blank"],
                       [6, 4, 4, 2, 1, 1, 1, 1])[0]  # fmt: skip
    if form == "m":
        return f"{millions}M", str(float(usd))
    if form == "million":
        return f"${millions} million", str(float(usd))
    if form == "plain":
        return f"${usd:,}", str(float(usd))
    if form == "exp":
        return f"{usd:.4E}", str(float(f"{usd:.4E}"))
    if form == "k":
        k = round(usd / 1000)
        return f"${k}K", str(float(k * 1000))
    if form == "neg":
        return f"({usd:,})", "QUARANTINE:out_of_range"
    if form == "na":
        return "n/a", "QUARANTINE:invalid"
    return "", ""


def _updated(rng: random.Random, d: date) -> tuple[str, str]:
    """Updated Date: the feed's ISO date, sometimes with its time in the same cell."""
    if rng.random() < 0.3:
        clock = f"{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00"
        return f"{d.isoformat()} {clock}", d.isoformat()
    return d.isoformat(), d.isoformat()


def rows(seed: int = 2012) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    rng = random.Random(seed)
    out, meant = [], []
    for i in range(1, ROWS + 1):
        code, agency = rng.choice(AGENCIES)
        inv = f"{code}-{rng.randint(1, 99999):09d}"
        name = f"{rng.choice(WORDS)} {rng.choice(STEPS)}"
        start = date(2009, 1, 1) + timedelta(days=rng.randint(0, 1400))
        planned = start + timedelta(days=rng.randint(120, 900))
        done = planned + timedelta(days=rng.randint(-60, 200)) if rng.random() < 0.4 else None
        updated = date(2012, 1, 2) + timedelta(days=rng.randint(0, 300))
        status = rng.choice(list(STATUS))
        phase = rng.choice(list(PHASE))
        upid = f"{inv}-{1000 + i}"
        cells = {
            "Unique Investment Identifier": inv,
            "Business Case ID": str(rng.randint(100, 1500)),
            "Agency Code": code,
            "Agency Name": agency,
            "Investment Title": f"{rng.choice(WORDS)} Program",
            "Project ID": str(20000 + i),
            "Agency Project ID": "",
            "Project Name": name,
            "Project Description": f"Deliver {name.lower()} for {agency}.",
            "Schedule Variance (in days)": str(rng.randint(-30, 120)),
            "Schedule Variance (%)": f"{rng.uniform(-5, 40):.2f}",
            "Cost Variance ($ M)": f"{rng.uniform(-2, 8):.3f}",
            "Cost Variance (%)": f"{rng.uniform(-3, 25):.2f}",
            "Planned Cost ($ M)": f"{rng.uniform(0.2, 300):.3f}",
            "Projected/Actual Cost ($ M)": f"{rng.uniform(0.2, 320):.3f}",
            "Projected/Actual Project Completion Date (B2)": _mdy(done or planned),
            "Updated Time": f"{rng.randint(7, 18):02d}:{rng.randint(0, 59):02d}:00",
            "Unique Project ID": upid,
            "Project Status": status,
            "Project Phase": phase,
        }
        want = {"project_key": upid, "title": name, "portfolio": agency}
        cells["Start Date"], want["start_date"] = _start(rng, start)
        cells["Completion Date (B1)"], want["actual_end"] = _completed(rng, done)
        cells["Planned Project Completion Date (B2)"], want["target_end"] = _planned(rng, planned)
        cells["Lifecycle Cost"], want["budget"] = _cost(rng)
        cells["Updated Date"], want["status_date"] = _updated(rng, updated)
        canon = STATUS[status]
        want["status"] = canon if canon else f"KEPT:{status}"
        want["phase"] = PHASE[phase] or f"KEPT:{phase}"
        out.append({h: cells[h] for h in HEADER})
        meant += [{"item_id": str(i), "field": f, "meant": v} for f, v in want.items()]
    return out, meant


def main() -> None:
    data, meant = rows()
    with (HERE / "itdashboard_projects.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, HEADER)
        w.writeheader()
        w.writerows(data)
    with (HERE / "expected.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, ["item_id", "field", "meant"])
        w.writeheader()
        w.writerows(meant)


if __name__ == "__main__":
    main()
