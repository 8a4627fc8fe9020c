"""Comments on a proposal: threads anchored to a passage, with resolve

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08

One new table, ``comments`` (``server.db.models.CommentRow``): a thread's first comment or a
reply, its author (participant id, the name they chose, their role), its text, the anchor (two
encoded Yjs relative positions) and quoted passage, when it was resolved and by whom, and when a
first comment with replies was deleted (its row stays, without its text).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.String(length=64), nullable=False),
        sa.Column("thread_id", sa.String(length=64), nullable=True),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=80), nullable=False),
        sa.Column("author_role", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("anchor_start", sa.LargeBinary(), nullable=True),
        sa.Column("anchor_end", sa.LargeBinary(), nullable=True),
        sa.Column("quote", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["atelier_id"],
            ["ateliers.id"],
            name=op.f("fk_comments_atelier_id_ateliers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_comments_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comments")),
    )
    op.create_index(op.f("ix_comments_atelier_id"), "comments", ["atelier_id"], unique=False)
    op.create_index(
        "ix_comments_proposal_id_created_at",
        "comments",
        ["proposal_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_comments_participant_id"), "comments", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_comments_thread_id"), "comments", ["thread_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_comments_thread_id"), table_name="comments")
    op.drop_index(op.f("ix_comments_participant_id"), table_name="comments")
    op.drop_index("ix_comments_proposal_id_created_at", table_name="comments")
    op.drop_index(op.f("ix_comments_atelier_id"), table_name="comments")
    op.drop_table("comments")
