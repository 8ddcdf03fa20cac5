"""The process heap kept to what a run holds, not to what it once parsed (glibc only).

Reading a tenant parses thousands of item pages on several threads. glibc gives each thread
its own malloc arena and raises its large-block threshold as big blocks are freed, so the
memory of every page ever parsed stayed with the process for the rest of the run: a first
nightly at twice the city size still held 160 MB of freed pages when normalize began
(measured, issue 16). While reading, one arena and a low large-block threshold (page buffers
come from and go back to the system); after it, a high threshold again for pandas' arrays;
and a trim once the pages are gone. Elsewhere (macOS, musl) these are no-ops.
"""

from __future__ import annotations

import ctypes
from typing import Any

# mallopt parameters (glibc malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_READING_THRESHOLD = 128 * 1024  # glibc's starting value: page buffers go back at once
# glibc's own ceiling for its dynamic threshold (64-bit): frame-sized arrays are reused from
# the heap instead of being mapped and faulted in afresh by every pandas operation.
_FRAMES_THRESHOLD = 32 * 1024 * 1024


def _libc() -> Any | None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - glibc has both; others have neither
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def tune_for_reading() -> None:
    """Before the reading threads start: one arena for all; big blocks (pages) not kept."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)
        libc.mallopt(_M_MMAP_THRESHOLD, _READING_THRESHOLD)


def tune_for_frames() -> None:
    """After reading: big blocks kept for reuse again, as glibc's dynamic threshold would
    (a threshold held at 128 KiB cost the rules' pandas work 15% more CPU in page faults)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _FRAMES_THRESHOLD)


def give_back_free_memory() -> None:
    """Returns the heap's free pages to the system (after the pages read are let go)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
