"""Alembic environment: migrations run on the connection the store hands over (`lib/store/db.py`, `migrate`), at
start-up of every process that opens the store."""

from alembic import context

from lib.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
