"""A real, throw-away PostgreSQL server for the tests that need one (state store, scheduler).

Started once per test process: ``initdb`` into a private temporary folder, listening only on a
unix socket in that folder (no port to collide on), fsync off (the data dies with the test).
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user (made
by Debian's package) or ``nobody``, through util-linux ``runuser``; the folder is theirs.
Tests skip only when no PostgreSQL binary is installed; CI installs one and sets
``C3PO_REQUIRE_POSTGRES=1``, which turns that skip into a failure.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def pg_bin(name: str) -> str | None:
    """``name`` from PATH, else from the newest /usr/lib/postgresql/*/bin (Debian's layout)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def _runner() -> tuple[list[str], int, int]:
    """The command prefix that drops root, and the uid/gid the server runs as."""
    if os.geteuid() != 0:
        return [], os.getuid(), os.getgid()
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], user.pw_uid, user.pw_gid
    raise RuntimeError("running as root with neither a 'postgres' nor a 'nobody' user")


class PostgresServer:
    """One server; ``url(db)`` is a SQLAlchemy URL over its unix socket."""

    def __init__(self) -> None:
        initdb, self.pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not self.pg_ctl:
            raise FileNotFoundError("initdb/pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="c3po-pg-"))
        self.data = self.root / "data"
        self.prefix, uid, gid = _runner()
        os.chown(self.root, uid, gid)
        self._run([initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust",
                   "-E", "UTF8", "--no-sync"])  # fmt: skip
        options = f"-k {self.root} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run([self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"),
                   "-o", options, "-w", "-t", "60", "start"])  # fmt: skip

    def _run(self, cmd: list[str]) -> None:
        res = subprocess.run(self.prefix + cmd, capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            log = self.root / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{cmd[0]} failed: {res.stdout}{res.stderr}{tail}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.root}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=str(self.root), user="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError:
        if os.environ.get("C3PO_REQUIRE_POSTGRES") == "1":
            pytest.fail("C3PO_REQUIRE_POSTGRES=1 but no PostgreSQL binary (initdb, pg_ctl)")
        pytest.skip("no PostgreSQL binary installed (initdb, pg_ctl)")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh database on the session's server."""
    return postgres_server.create_database()
