"""Alembic environment: runs on the connection handed over by storage.migrate.

There is no alembic.ini: storage.migrate builds the Config in code, so `policywatch db upgrade`
works from any directory and installed packages carry their migrations.
"""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.search_index import include_name

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through storage.migrate
    raise RuntimeError("run migrations through storage.migrate (policywatch db upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead (docs/engineering.md, "Alembic on SQLite").
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,  # the search index is made by migration 0006, not the models
)
with context.begin_transaction():
    context.run_migrations()
