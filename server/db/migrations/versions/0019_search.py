"""Search: a full-text index of what is public (PostgreSQL French configuration, SQLite FTS5)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

One table, ``search_entries`` (``server.db.models.SearchEntryRow``): one row per public thing
(a listed atelier, a published proposal, subject or project) with its title, text, tags,
quartier and page. Beside it, each engine's own index, which no model describes
(``server.db.models.in_models``):

* PostgreSQL: a text search configuration ``atelier_fr`` — the ``french`` one with accents
  folded first (``unaccent``, then the French Snowball stemmer) — a ``document`` column
  (``tsvector``: title weighted A, text B, tags C) and a GIN index on it. Where the
  ``unaccent`` extension cannot be created (not installed, or a role that may not), the
  configuration is the plain ``french`` one and a warning says that accents then count.
* SQLite: an FTS5 table ``search_fts`` (``unicode61 remove_diacritics 2``) whose rowid is the
  entry's id, holding the entries' words as French stems (``server.search_index``).

The index starts empty: the server fills it at start when it is (``atelier search reindex``
does it on demand).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.create_table(
        "search_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=True),
        sa.Column("atelier_title", sa.String(length=200), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("quartier", sa.String(length=200), nullable=True),
        sa.Column("quartier_key", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_entries")),
        sa.UniqueConstraint("kind", "ref", name="uq_search_entries_kind_ref"),
    )
    op.create_index(
        op.f("ix_search_entries_atelier_id"), "search_entries", ["atelier_id"], unique=False
    )
    op.create_index(
        op.f("ix_search_entries_quartier_key"), "search_entries", ["quartier_key"], unique=False
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        _postgresql(bind)
    elif bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "title, body, tags, tokenize = 'unicode61 remove_diacritics 2')"
        )


def _postgresql(bind: sa.engine.Connection) -> None:
    folded = True
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS unaccent")
    except sa.exc.DBAPIError as exc:
        folded = False
        log.warning(
            "search: the unaccent extension cannot be created (%s); accents will count in "
            "searches on this database until it is and `atelier db downgrade 0018` then "
            "`atelier db upgrade` are run",
            str(exc.orig or exc).strip().splitlines()[0],
        )
    op.execute("CREATE TEXT SEARCH CONFIGURATION atelier_fr (COPY = pg_catalog.french)")
    if folded:
        op.execute(
            "ALTER TEXT SEARCH CONFIGURATION atelier_fr "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem"
        )
    op.execute("ALTER TABLE search_entries ADD COLUMN document tsvector")
    op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index(op.f("ix_search_entries_quartier_key"), table_name="search_entries")
    op.drop_index(op.f("ix_search_entries_atelier_id"), table_name="search_entries")
    op.drop_table("search_entries")
    if bind.dialect.name == "postgresql":
        # The extension stays: other things may use it, and creating it may need rights.
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS atelier_fr")
