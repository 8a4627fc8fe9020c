"""Proposals: who locked the live text (a freeze, or the facilitator's switch), and archiving

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

``proposals.locked_by``: ``freeze`` (locked by a freeze with ``lock``) or ``animation`` (the
facilitator's switch), null while unlocked; the editor says which (« figée », « verrouillée par
l'animation »). Proposals locked before this revision were locked by a freeze: they say so.
``proposals.archived_at``: set while the proposal is archived (read-only for everyone, offered
neither as a vote option nor to the council, listed apart); null again once restored.
Plain ``ADD COLUMN``, as 0009 and 0010: no batch copy of the table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("proposals", sa.Column("locked_by", sa.String(length=16), nullable=True))
    op.add_column("proposals", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE proposals SET locked_by = 'freeze' WHERE locked")


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ too), as 0009's downgrade.
    op.drop_column("proposals", "archived_at")
    op.drop_column("proposals", "locked_by")
