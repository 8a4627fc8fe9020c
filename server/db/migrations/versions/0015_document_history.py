"""History: the edits compaction folds away are kept for the history slider

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

Reserved for this change; filled in by the work that needs it (empty until then).
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
