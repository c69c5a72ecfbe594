"""rights per user and role on folder patterns; the audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The role defaults an office starts with; editable like any other grant.
ROLE_DEFAULTS = [
    ("manager", "*", "lrswitekxa assign"),
    ("staff", "*", "lrswit"),
]


def upgrade() -> None:
    grants = op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("role", sa.String(20), nullable=True),
        sa.Column("pattern", sa.String(512), nullable=False),
        sa.Column("rights", sa.String(40), nullable=False),
        sa.UniqueConstraint("user_id", "role", "pattern", name="uq_grants_subject_pattern"),
        sa.CheckConstraint("(user_id IS NULL) <> (role IS NULL)", name="ck_grants_one_subject"),
    )
    op.create_index("ix_grants_user_id", "grants", ["user_id"])
    op.bulk_insert(
        grants,
        [{"user_id": None, "role": r, "pattern": p, "rights": g} for r, p, g in ROLE_DEFAULTS],
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("actor_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("folder", sa.String(512), nullable=True),
        sa.Column("uid", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_grants_user_id", "grants")
    op.drop_table("grants")
