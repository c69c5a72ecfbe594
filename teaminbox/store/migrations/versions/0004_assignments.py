"""message assignments

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(1100), nullable=False, unique=True),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("folder", sa.String(512), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column(
            "assignee_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "assigned_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("on_server", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_assignments_message_id", "assignments", ["message_id"])
    op.create_index("ix_assignments_assignee_id", "assignments", ["assignee_id"])
    op.create_index("ix_assignments_folder_uid", "assignments", ["folder", "uid"])


def downgrade() -> None:
    op.drop_index("ix_assignments_folder_uid", "assignments")
    op.drop_index("ix_assignments_assignee_id", "assignments")
    op.drop_index("ix_assignments_message_id", "assignments")
    op.drop_table("assignments")
