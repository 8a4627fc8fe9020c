"""Projects: what a favourable decision becomes, with its state and milestones

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Reserved for this change; filled in by the work that needs it (empty until then).
"""

from __future__ import annotations

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
