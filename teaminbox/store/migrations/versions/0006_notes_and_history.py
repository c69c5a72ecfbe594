"""internal notes and message history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("message_id", sa.String(998), nullable=False, server_default=""))
        batch.add_column(sa.Column("to_folder", sa.String(512), nullable=True))
        batch.create_index("ix_audit_log_message_id", ["message_id"])
    with op.batch_alter_table("message_cache") as batch:
        batch.add_column(
            sa.Column("in_reply_to", sa.String(998), nullable=False, server_default="")
        )
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "author_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("author_name", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=False),
        sa.Column("folder", sa.String(512), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_index("ix_notes_message_id", "notes", ["message_id"])
    op.create_index("ix_notes_folder_uid", "notes", ["folder", "uid"])
    op.create_table(
        "note_mentions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "note_id", sa.Integer(), sa.ForeignKey("notes.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seen", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("note_id", "user_id", name="uq_note_mentions_note_user"),
    )
    op.create_index("ix_note_mentions_user_id", "note_mentions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_note_mentions_user_id", "note_mentions")
    op.drop_table("note_mentions")
    op.drop_index("ix_notes_folder_uid", "notes")
    op.drop_index("ix_notes_message_id", "notes")
    op.drop_table("notes")
    with op.batch_alter_table("message_cache") as batch:
        batch.drop_column("in_reply_to")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_message_id")
        batch.drop_column("to_folder")
        batch.drop_column("message_id")
