"""Crontab expressions as crontab means them (APScheduler 3 counts weekdays from Monday = 0)."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday_field(field: str) -> str:
    """Numeric crontab weekdays (0 or 7 = Sunday) as names, which APScheduler reads correctly."""
    if field == "*" or field.isalpha():
        return field
    parts: list[str] = []
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            if not (a.isdigit() and b.isdigit()):
                parts.append(part)  # names: APScheduler's own reading is crontab's
                continue
            lo, hi = int(a), int(b)
        elif rng.isdigit():
            lo = hi = int(rng)
            if step:
                hi = 6
        else:
            parts.append(part)
            continue
        if not (0 <= lo <= 7 and 0 <= hi <= 7 and lo <= hi):
            raise ValueError(f"day of week {part!r} is out of range 0-7")
        days = range(lo, hi + 1, int(step) if step else 1)
        parts.extend(_DAY_NAMES[d] for d in days)
    return ",".join(dict.fromkeys(parts))


def crontab_trigger(expr: str, timezone: str) -> CronTrigger:
    """A CronTrigger for a five-field crontab expression; raises ValueError if malformed."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"wrong number of fields; got {len(fields)}, expected 5")
    minute, hour, day, month, dow = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=_weekday_field(dow),
        timezone=timezone,
    )
