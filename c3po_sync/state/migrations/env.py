"""Alembic's entry point for the state store: runs on the connection ``state.migrate`` passes.

No ``alembic.ini``: the store upgrades itself when opened (``state.migrate.upgrade``), so a
wheel install upgrades with nothing but the package. To write a new revision, from a checkout:
``alembic -x url=sqlite:///var/state.db revision -m "..."`` with ``script_location`` set to
``c3po_sync.state:migrations`` (see docs/scaling.md, "Schema changes").
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from c3po_sync.state import tables

connection = context.config.attributes.get("connection")
if connection is None:  # the alembic command line, for writing revisions
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///c3po-state.db")
    with create_engine(url).connect() as connection:
        context.configure(connection=connection, target_metadata=tables.metadata)
        with context.begin_transaction():
            context.run_migrations()
else:
    # render_as_batch: SQLite alters tables by copy-and-move (Alembic's batch mode).
    context.configure(connection=connection, target_metadata=tables.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
