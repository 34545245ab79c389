"""Alembic's environment for the store: run programmatically by generator.store.db (no alembic.ini).

The caller hands over a connection already inside its transaction (and holding the store's write
lock), so a migration and the check before it are one transaction: two processes opening a new
database at once cannot both create it.
"""
from alembic import context

from generator.store.db import VERSION_TABLE
from generator.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE,
                  render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
