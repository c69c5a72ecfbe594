"""signatures and reply drafts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("signature", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "reply_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("folder", sa.String(512), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("to", sa.Text(), nullable=False),
        sa.Column("cc", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "folder", "uid", "mode", name="uq_reply_drafts_original"),
    )
    op.create_index("ix_reply_drafts_user_id", "reply_drafts", ["user_id"])
    op.create_table(
        "draft_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "draft_id",
            sa.Integer(),
            sa.ForeignKey("reply_drafts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_draft_attachments_draft_id", "draft_attachments", ["draft_id"])


def downgrade() -> None:
    op.drop_index("ix_draft_attachments_draft_id", "draft_attachments")
    op.drop_table("draft_attachments")
    op.drop_index("ix_reply_drafts_user_id", "reply_drafts")
    op.drop_table("reply_drafts")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("signature")
