"""Is the process behind a run or a lock still alive? One answer for the lock and run history.

A run killed by SIGKILL, the OOM killer or a power cut never records its end; the next run
asks whether the process that started it still exists before calling it dead (issue 11).
Only a process on this host can be probed; elsewhere the answer is "unknown", never "dead".
"""

from __future__ import annotations

import os
import socket


def this_process() -> str:
    """``host:pid:run`` of the current process, as recorded beside a run it starts (the
    lock's holder shape, so :func:`parse_holder` reads both)."""
    return f"{socket.gethostname()}:{os.getpid()}:run"


def parse_holder(holder: str) -> tuple[str, int] | None:
    """``(host, pid)`` from a holder id ``host:pid:nonce``; None if it is not in that shape."""
    host, sep, rest = holder.rpartition(":")  # the nonce
    host, sep2, pid = host.rpartition(":")
    if not (sep and sep2 and host and pid.isdigit()):
        return None
    return host, int(pid)


def pid_is_dead(pid: int) -> bool:
    """True only if no process ``pid`` exists here (or it is a zombie nobody reaped yet).

    A process of another user answers ``PermissionError``: alive. A recycled pid looks alive,
    which only means waiting for the lease to expire, as before.
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # Linux: a killed child its parent has not waited for yet is state Z
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def process_is_gone(holder: str) -> bool:
    """True only when ``holder`` (``host:pid:nonce``) names a process on this host that no
    longer exists; a process elsewhere or still alive is never called gone."""
    parsed = parse_holder(holder)
    if parsed is None:
        return False
    host, pid = parsed
    if host != socket.gethostname() or pid == os.getpid():
        return False
    return pid_is_dead(pid)
