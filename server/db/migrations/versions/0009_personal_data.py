"""Personal data: erasure and retention; names beside frozen versions, outside their hash

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Plain ``ADD COLUMN`` (no batch copy of the tables): on SQLite a batch copy of
``proposal_versions`` would drop the triggers that keep versions immutable, and the new
columns need no more than that. Versions already frozen get ``format`` 1: they hash as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("participants", sa.Column("erased_at", sa.DateTime(timezone=True)))
    op.add_column("participants", sa.Column("last_seen_at", sa.DateTime(timezone=True)))
    op.add_column(
        "proposal_versions",
        sa.Column("format", sa.Integer(), nullable=False, server_default="1"),
    )
    op.add_column("proposal_events", sa.Column("actor_id", sa.String(length=64)))
    op.create_table(
        "version_names",
        sa.Column("proposal_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_version_names_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "proposal_id", "number", "commitment", name=op.f("pk_version_names")
        ),
    )
    op.create_index(
        op.f("ix_version_names_participant_id"), "version_names", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_version_names_participant_id"), table_name="version_names")
    op.drop_table("version_names")
    # Plain DROP COLUMN (SQLite 3.35+ too): no copy of proposal_versions, whose triggers stay.
    op.drop_column("proposal_versions", "format")
    op.drop_column("proposal_events", "actor_id")
    op.drop_column("participants", "last_seen_at")
    op.drop_column("participants", "erased_at")
