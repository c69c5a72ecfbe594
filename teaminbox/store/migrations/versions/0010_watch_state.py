"""watch_state: whether the header cache follows the mailbox live; the cache
starts afresh

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "watch_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mailbox", sa.String(600), nullable=False, unique=True),
        sa.Column("caught_up_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
    )
    # Pages now read the header cache: start it afresh. Its dates were naive
    # local times (PostgreSQL took them for its own zone's) and its rows had
    # no MODSEQ. The watcher rebuilds it from IMAP within seconds.
    op.execute("DELETE FROM message_cache")
    op.execute("DELETE FROM folder_state")


def downgrade() -> None:
    op.drop_table("watch_state")
