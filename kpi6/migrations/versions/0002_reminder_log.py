"""reminder log: each reminder sent once per province, round, step, kind and day

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

import kpi6.models.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(), nullable=False),
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("sent_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"]),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("province_code", "round_id", "step", "kind", "day"),
    )
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_log_province_code"), ["province_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_reminder_log_round_id"), ["round_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reminder_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_log_round_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_log_province_code"))
    op.drop_table("reminder_log")
