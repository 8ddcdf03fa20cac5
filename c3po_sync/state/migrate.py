"""Brings a state database to this release's schema with Alembic, when the store opens.

The migration scripts ship inside the package (``state/migrations``), so an upgraded wheel
upgrades the database on its first run. A database made before Alembic (release 1: tables,
no ``alembic_version``) is upgraded from the start: the first revision creates only what is
missing. A database at a revision this release does not know was written by a newer release
and is refused rather than misread.
"""

from __future__ import annotations

import logging
from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.engine import Engine

from c3po_sync.errors import C3POError

logger = logging.getLogger(__name__)

SCRIPT_LOCATION = "c3po_sync.state:migrations"
# Any constant: PostgreSQL sessions opening the store at once take turns migrating.
_PG_LOCK_ID = 0x6333504F


class NewerSchemaError(C3POError, RuntimeError):
    """The database is at a revision this release does not know; the message says where
    (the store raises it as its StateStoreError)."""


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


@cache
def head() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "the package ships no migration"
    return head


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, where: str) -> None:
    """Upgrades the database to the head revision, in one transaction (all or nothing)."""
    with engine.connect() as conn:
        if current(conn) == head():  # the usual case: one small read, no lock
            return
    with engine.connect().execution_options(c3po_write=True) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK_ID})
        found = current(conn)
        if found == head():
            return
        if found is not None and found not in {s.revision for s in _scripts().walk_revisions()}:
            raise NewerSchemaError(
                f"{where}: schema revision {found} was written by a newer C3PO Sync "
                f"(this one knows up to {head()}); upgrade C3PO Sync or use another state_url"
            )
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        logger.info("%s: schema upgraded from %s to %s", where, found or "release 1", head())
