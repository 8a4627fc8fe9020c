"""History: the edits compaction folds away are kept for the history slider

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

Two new tables. ``document_history`` (``server.db.models.DocumentHistoryRow``): the log rows a
compaction folded into the snapshot, moved there by the same transaction with their times (until
now they were deleted). ``document_authors`` (``DocumentAuthorRow``): which participant wrote
with which Yjs client id in a document, so that the history names each revision's authors.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("document_id", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_history_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_history")),
    )
    op.create_index("ix_document_history_document_id_id", "document_history", ["document_id", "id"])
    op.create_table(
        "document_authors",
        sa.Column("document_id", sa.String(255), nullable=False),
        sa.Column("client_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("participant_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_document_authors_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", "client_id", name=op.f("pk_document_authors")),
    )
    op.create_index(
        op.f("ix_document_authors_participant_id"), "document_authors", ["participant_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_document_authors_participant_id"), table_name="document_authors")
    op.drop_table("document_authors")
    op.drop_index("ix_document_history_document_id_id", table_name="document_history")
    op.drop_table("document_history")
