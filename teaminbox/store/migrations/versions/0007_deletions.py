"""deletions: where each message moved to the Trash came from, for undo

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deletions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("trash", sa.String(512), nullable=False),
        sa.Column("trash_uid", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(512), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.UniqueConstraint("trash", "trash_uid", name="uq_deletions_trash_uid"),
    )


def downgrade() -> None:
    op.drop_table("deletions")
