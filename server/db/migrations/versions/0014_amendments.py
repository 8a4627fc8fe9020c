"""Amendments: proposed replacements of a passage, their fate and their vote

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

Reserved for this change; filled in by the work that needs it (empty until then).
"""

from __future__ import annotations

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
