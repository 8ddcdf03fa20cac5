"""The process heap kept to what a run holds, not to what it once parsed (glibc only).

Reading a tenant parses thousands of item pages on several threads. glibc gives each thread
its own malloc arena and raises its large-block threshold as big blocks are freed, so the
memory of every page ever parsed stayed with the process for the rest of the run: a first
nightly at twice the city size still held 160 MB of freed pages when normalize began
(measured, issue 16). One arena, a fixed large-block threshold (big page buffers come from
and go back to the system) and a trim once the pages are gone keep the run's peak to what it
really holds. Elsewhere (macOS, musl) these are no-ops.
"""

from __future__ import annotations

import ctypes
from typing import Any

# mallopt parameters (glibc malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from rising

_tuned = False


def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - glibc has both; others have neither
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def tune_for_reading() -> None:
    """Before the reading threads start: one arena for all, big blocks not kept (once)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)


def give_back_free_memory() -> None:
    """Returns the heap's free pages to the system (after the pages read are let go)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
