"""Alembic environment: always run from llmrelay.storage.migrate with a live connection."""

from __future__ import annotations

from alembic import context

from llmrelay.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through llmrelay.storage.migrate (or `llmrelay db upgrade`)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
