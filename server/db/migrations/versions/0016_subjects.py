"""Subjects: proposed by residents or instances, moderated, supported

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

Reserved for this change; filled in by the work that needs it (empty until then).
"""

from __future__ import annotations

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
