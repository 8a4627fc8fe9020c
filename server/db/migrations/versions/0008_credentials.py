"""Operator-issued credentials (city staff, council service), revocable; ateliers listed or not

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    with op.batch_alter_table("ateliers") as batch:
        # Ateliers made before this revision were all shown: they stay so.
        batch.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("approved_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("financing", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ateliers") as batch:
        batch.drop_column("financing")
        batch.drop_column("approved_by")
        batch.drop_column("listed")
    op.drop_table("credentials")
