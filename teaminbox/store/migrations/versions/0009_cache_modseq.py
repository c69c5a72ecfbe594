"""message_cache.modseq: the MODSEQ (RFC 7162) of a cached row's flags

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message_cache") as batch:
        batch.add_column(sa.Column("modseq", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message_cache") as batch:
        batch.drop_column("modseq")
