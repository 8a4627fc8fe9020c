"""A version keeps the atelier's image it was frozen with

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08

Two new tables. ``frozen_images`` (``server.db.models.FrozenImageRow``): an atelier's image as a
version was frozen with it, by its SHA-256, written once. ``version_images``
(``VersionImageRow``): which of them each version was frozen with. A version's PDF and HTML
print that image, not the atelier's current one. Versions frozen before this revision get no
row: which image they were frozen with is not known, so their renders have none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "frozen_images",
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["atelier_id"],
            ["ateliers.id"],
            name=op.f("fk_frozen_images_atelier_id_ateliers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("atelier_id", "sha256", name=op.f("pk_frozen_images")),
    )
    op.create_table(
        "version_images",
        sa.Column("proposal_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("atelier_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["atelier_id", "sha256"],
            ["frozen_images.atelier_id", "frozen_images.sha256"],
            name=op.f("fk_version_images_atelier_id_frozen_images"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_version_images_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "number", name=op.f("pk_version_images")),
    )


def downgrade() -> None:
    op.drop_table("version_images")
    op.drop_table("frozen_images")
