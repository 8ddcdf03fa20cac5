"""Files only their owner may read: the state database, logs and the token cache (issue 11).

They hold project data, findings and tokens; on a shared server the default umask (0022)
would make them world-readable. A file is created 0600 and any folder created for it 0700;
an existing file or folder keeps the mode its owner gave it.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """Creates ``path`` and any missing parents with mode 0700 (existing ones are left)."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(d, DIR_MODE)  # mkdir's mode is filtered by the umask
    return path


def private_file(path: Path) -> Path:
    """Creates ``path`` empty with mode 0600 (and its folders 0700) unless it exists."""
    path = Path(path)
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return path


def private_sqlite(url: str) -> str:
    """Creates a SQLite URL's database file owner-only (and its folders) before an engine opens
    it: SQLite itself creates no folder ("unable to open database file" on a fresh install).
    Any other URL (PostgreSQL, in-memory SQLite) is returned untouched."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        private_file(Path(parsed.database))
    return url
