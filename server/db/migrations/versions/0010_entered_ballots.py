"""Ballots entered for someone: the voter row says so; a secret ballot's origin says nothing

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

``poll_voters.entered``: the facilitator entered this person's ballot (their own vote is then
refused saying so). Plain ``ADD COLUMN``: a batch copy could lose ``WITHOUT ROWID`` on SQLite.
Ballots of secret polls already stored lose their origin ("procuration" among "direct" ones
singled out the ballot of the person it was entered for): every one reads ``secret``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "poll_voters",
        sa.Column("entered", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        "UPDATE ballots SET origin = 'secret' WHERE poll_id IN (SELECT id FROM polls WHERE secret)"
    )


def downgrade() -> None:
    op.drop_column("poll_voters", "entered")
