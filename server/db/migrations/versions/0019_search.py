"""Search: a full-text index of what is public (PostgreSQL French configuration, SQLite FTS5)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07

Reserved for this change; filled in by the work that needs it (empty until then).
"""

from __future__ import annotations

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
