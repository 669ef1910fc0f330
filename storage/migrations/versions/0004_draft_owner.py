"""Schema version 4, intakes from the web: the account that started each draft, so an intake
resumes for its own practitioner on any device and no other account sees it. A draft started
where the store has no accounts (``tripod intake`` on one practitioner's file) has none."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations import mark

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("owner", sa.String(64)))
    op.create_index("drafts_by_owner", "drafts", ["owner", "status"])
    mark(4)
