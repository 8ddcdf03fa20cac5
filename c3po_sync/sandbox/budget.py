"""Opt-in throttling by resource units: a per-app budget per minute, 429 + Retry-After when spent.

SharePoint Online limits each application by resource units (RU) per minute (Microsoft, "Avoid
getting throttled or blocked in SharePoint Online", learn.microsoft.com/sharepoint/dev/
general-development/how-to-avoid-getting-throttled-or-blocked-in-sharepoint-online): a single
item query costs 1 RU, a multi-item query 2, a create/update/delete/upload 2, a permission
resource 5; the requests in a
`$batch` are counted one by one; a spent budget answers 429 with `Retry-After`. The budget grows
with the tenant's licences; the smallest tier is used as the default here (1,200 RU/min).
REST calls have no published fixed cost, so Graph's costs stand in for them: the change log read
with a token (`getChanges`, what Graph calls a delta with a token) costs 1 RU. Once an app has
used 80% of its minute, every response carries `RateLimit-Limit/Remaining/Reset` (the same page,
"RateLimit headers"), so a client can slow down before it is refused.

Off by default: `SandboxServer(budget=ResourceBudget(...))`, `server.budget = …` at runtime, or
`c3po-sync sandbox serve --ru-per-minute N`.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RU_PER_MINUTE = 1200
WINDOW_S = 60.0

RATE_LIMIT_HEADERS_FROM = (4, 5)  # share of the minute's budget used from which they are sent

#: Routes that read many objects at once (2 RU); other reads are single-object (1 RU).
MULTI_ITEM_ROUTES = frozenset(
    {
        "items",
        "get_items",
        "lists",
        "fields",
        "folder_files",
        "folder_folders",
        "site_users",
        "user_info_items",
        "views",
        "view_fields",
    }
)
#: Permission reads: Graph's "permission resources" cost 5 RU, and a site's or list's effective
#: permissions are the REST stand-in for them.
PERMISSION_ROUTES = frozenset({"web_permissions", "list_permissions"})
#: The change log read from a token: Graph's "delta with a token", 1 RU.
DELTA_ROUTES = frozenset({"list_changes", "web_changes"})
#: POSTs that are reads (queries), priced as reads.
QUERY_POSTS = frozenset({"get_items", "list_changes", "web_changes", "contextinfo"})


def request_cost(method: str, route: str) -> int:
    """Resource units one request (or one `$batch` operation) costs; the `$batch` envelope is 0."""
    if route == "batch":
        return 0
    if route in DELTA_ROUTES:
        return 1
    if route in PERMISSION_ROUTES:
        return 5
    if method.upper() != "GET" and route not in QUERY_POSTS:
        return 2
    return 2 if route in MULTI_ITEM_ROUTES else 1


@dataclass
class ResourceBudget:
    """Per-app budget over fixed one-minute windows; the app is the bearer token it presents."""

    units_per_minute: int = DEFAULT_RU_PER_MINUTE
    clock: Callable[[], float] = time.monotonic
    spent: int = 0  # units charged so far, all apps (the benchmark's measured RU)
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def spend(self, app: str, cost: int) -> float | None:
        """Charge `cost` to `app`; None when it fits, else the seconds until the window resets."""
        key = hashlib.sha256(app.encode()).hexdigest()[:16]
        now = self.clock()
        with self._lock:
            start, used = self._windows.get(key, (now, 0))
            if now - start >= WINDOW_S:
                start, used = now, 0
            if used + cost > self.units_per_minute:
                self._windows[key] = (start, used)
                return max(0.0, WINDOW_S - (now - start))
            self._windows[key] = (start, used + cost)
            self.spent += cost
            return None

    def reset_in(self, app: str) -> float:
        """Seconds until the app's current window ends."""
        key = hashlib.sha256(app.encode()).hexdigest()[:16]
        with self._lock:
            start, _used = self._windows.get(key, (self.clock(), 0))
            return max(0.0, WINDOW_S - (self.clock() - start))

    def remaining(self, app: str) -> int:
        key = hashlib.sha256(app.encode()).hexdigest()[:16]
        with self._lock:
            start, used = self._windows.get(key, (self.clock(), 0))
            if self.clock() - start >= WINDOW_S:
                return self.units_per_minute
            return self.units_per_minute - used


def throttle_headers(budget: ResourceBudget, app: str, wait_s: float) -> dict[str, str]:
    """`Retry-After` (whole seconds, at least 1) and SPO's RateLimit headers for a spent budget."""
    seconds = str(max(1, math.ceil(wait_s)))
    return {
        "Retry-After": seconds,
        "RateLimit-Limit": str(budget.units_per_minute),
        "RateLimit-Remaining": str(max(0, budget.remaining(app))),
        "RateLimit-Reset": seconds,
    }


def rate_limit_headers(budget: ResourceBudget, app: str) -> dict[str, str]:
    """SPO's RateLimit headers once the app has used 80% of its minute; none before that."""
    left = budget.remaining(app)
    num, den = RATE_LIMIT_HEADERS_FROM
    if (budget.units_per_minute - left) * den < budget.units_per_minute * num:
        return {}
    return {
        "RateLimit-Limit": str(budget.units_per_minute),
        "RateLimit-Remaining": str(max(0, left)),
        "RateLimit-Reset": str(max(1, math.ceil(budget.reset_in(app)))),
    }
