"""Amendments: proposed replacements of a passage, their fate and their vote

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

One new table, ``amendments`` (``server.db.models.AmendmentRow``): an amendment's passage
(section, two encoded Yjs relative positions, the quote), its replacement and rationale, its
author (participant id and role), its fate (status, when and by whom it was decided, the vote
it was put to and the result, how the text was changed). One new column on ``proposals``:
``amendment_mode`` (False for every existing proposal: « écriture libre »).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("amendment_mode", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "amendments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("author_role", sa.String(length=32), nullable=False),
        sa.Column("anchor_start", sa.LargeBinary(), nullable=False),
        sa.Column("anchor_end", sa.LargeBinary(), nullable=False),
        sa.Column("quote", sa.String(length=500), nullable=False),
        sa.Column("replacement", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("poll_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("applied", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["atelier_id"],
            ["ateliers.id"],
            name=op.f("fk_amendments_atelier_id_ateliers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_amendments_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_amendments")),
    )
    op.create_index(op.f("ix_amendments_atelier_id"), "amendments", ["atelier_id"], unique=False)
    op.create_index(
        "ix_amendments_proposal_id_created_at",
        "amendments",
        ["proposal_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_amendments_participant_id"), "amendments", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_amendments_poll_id"), "amendments", ["poll_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_amendments_poll_id"), table_name="amendments")
    op.drop_index(op.f("ix_amendments_participant_id"), table_name="amendments")
    op.drop_index("ix_amendments_proposal_id_created_at", table_name="amendments")
    op.drop_index(op.f("ix_amendments_atelier_id"), table_name="amendments")
    op.drop_table("amendments")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_column("amendment_mode")
