"""Subjects: proposed by residents or instances, moderated, supported

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Four new tables (``server.db.models``): ``subjects`` (a proposed subject, its state, its public
reason, the atelier it became), ``subject_supports`` (one row per supporter: keyed hashes of
their folded name + quartier and of their browser's cookie, never a name),
``subject_events`` (history and audit trail) and ``subject_rankings`` (an instance's ordering).
``ateliers`` gains ``pilot_service`` (an AP's) and ``porteurs`` (an AIC's).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ateliers") as batch:
        batch.add_column(sa.Column("pilot_service", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("porteurs", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "subjects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("neighbourhood", sa.String(length=200), nullable=True),
        sa.Column("initiator_name", sa.String(length=80), nullable=False),
        sa.Column("initiator_neighbourhood", sa.String(length=200), nullable=True),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("instance", sa.String(length=8), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("atelier_id", sa.String(length=64), nullable=True),
        sa.Column("supports", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["atelier_id"],
            ["ateliers.id"],
            name=op.f("fk_subjects_atelier_id_ateliers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    op.create_index(op.f("ix_subjects_atelier_id"), "subjects", ["atelier_id"], unique=False)
    op.create_index(op.f("ix_subjects_instance"), "subjects", ["instance"], unique=False)
    op.create_index(op.f("ix_subjects_state"), "subjects", ["state"], unique=False)
    op.create_table(
        "subject_supports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("cookie_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_supports_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_supports")),
    )
    op.create_index(
        "ix_subject_supports_identity",
        "subject_supports",
        ["subject_id", "identity_hash"],
        unique=True,
    )
    op.create_index(
        "ix_subject_supports_cookie", "subject_supports", ["subject_id", "cookie_hash"], unique=True
    )
    op.create_table(
        "subject_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("summary_fr", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_events_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_events")),
    )
    op.create_index(
        op.f("ix_subject_events_subject_id"), "subject_events", ["subject_id"], unique=False
    )
    op.create_table(
        "subject_rankings",
        sa.Column("instance", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_rankings_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("instance", "subject_id", name=op.f("pk_subject_rankings")),
    )


def downgrade() -> None:
    op.drop_table("subject_rankings")
    op.drop_index(op.f("ix_subject_events_subject_id"), table_name="subject_events")
    op.drop_table("subject_events")
    op.drop_index("ix_subject_supports_cookie", table_name="subject_supports")
    op.drop_index("ix_subject_supports_identity", table_name="subject_supports")
    op.drop_table("subject_supports")
    op.drop_index(op.f("ix_subjects_state"), table_name="subjects")
    op.drop_index(op.f("ix_subjects_instance"), table_name="subjects")
    op.drop_index(op.f("ix_subjects_atelier_id"), table_name="subjects")
    op.drop_table("subjects")
    with op.batch_alter_table("ateliers") as batch:
        batch.drop_column("porteurs")
        batch.drop_column("pilot_service")
