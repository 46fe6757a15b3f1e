"""portal accounts: users, sessions, one-time sign-in links, failed sign-ins

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import kpi6.models.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("province_code", sa.String(), nullable=True),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("password_set_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("portal_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_user_province_code"), ["province_code"], unique=False)
    op.create_table(
        "portal_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("created_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["portal_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_session_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sign_in_link",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", kpi6.models.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["portal_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sign_in_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_link_user_id"), ["user_id"], unique=False)
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", kpi6.models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_in_failure_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_sign_in_failure_address"), ["address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_address"))
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_email"))
    op.drop_table("sign_in_failure")
    with op.batch_alter_table("sign_in_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_link_user_id"))
    op.drop_table("sign_in_link")
    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_session_user_id"))
    op.drop_table("portal_session")
    with op.batch_alter_table("portal_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_user_province_code"))
    op.drop_table("portal_user")
