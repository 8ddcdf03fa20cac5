"""State store: runs, snapshots, findings history and change tokens (SQLAlchemy)."""
