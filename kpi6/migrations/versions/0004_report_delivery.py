"""report delivery: each e-mail of a report version is claimed before it is sent; the audit log names the OS user

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import kpi6.models.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(), nullable=False),
        sa.Column("round_id", sa.String(), nullable=False),
        sa.Column("form", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("transport", sa.String(length=16), nullable=False),
        sa.Column("message_date", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claim_host", sa.String(), nullable=False),
        sa.Column("claim_pid", sa.Integer(), nullable=False),
        sa.Column("sent_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"]),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("province_code", "round_id", "form", "version"),
    )
    with op.batch_alter_table("report_delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_delivery_province_code"), ["province_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_delivery_round_id"), ["round_id"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("os_user", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("os_user")
    with op.batch_alter_table("report_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_delivery_round_id"))
        batch_op.drop_index(batch_op.f("ix_report_delivery_province_code"))
    op.drop_table("report_delivery")
