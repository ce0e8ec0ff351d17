"""The first schema: requests, corrections, skill-bank versions and their pointer, training rounds.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("requests",
                    sa.Column("request_id", sa.String(64), primary_key=True),
                    sa.Column("image_id", sa.String(512), nullable=False),
                    sa.Column("time", sa.DateTime(), nullable=False),
                    sa.Column("data", sa.Text(), nullable=False))
    op.create_index("ix_requests_image_id", "requests", ["image_id"])
    op.create_index("ix_requests_time", "requests", ["time"])
    op.create_table("corrections",
                    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("image_id", sa.String(512), nullable=False),
                    sa.Column("label_id", sa.String(512), nullable=False),
                    sa.Column("label_ts", sa.Integer(), nullable=True),
                    sa.Column("request_id", sa.String(64), nullable=True),
                    sa.Column("time", sa.DateTime(), nullable=False),
                    sa.Column("data", sa.Text(), nullable=False),
                    sa.UniqueConstraint("image_id", "label_id", "label_ts", name="uq_correction_save"))
    op.create_index("ix_corrections_image_id", "corrections", ["image_id"])
    op.create_index("ix_corrections_time", "corrections", ["time"])
    op.create_table("bank_versions",
                    sa.Column("number", sa.Integer(), primary_key=True, autoincrement=False),
                    sa.Column("created", sa.DateTime(), nullable=False),
                    sa.Column("round_id", sa.Integer(), nullable=True),
                    sa.Column("skills", sa.Text(), nullable=False))
    op.create_table("bank_pointer",
                    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
                    sa.Column("number", sa.Integer(), nullable=True),
                    sa.Column("changes", sa.Integer(), nullable=False))
    op.bulk_insert(sa.table("bank_pointer", sa.column("id", sa.Integer()), sa.column("number", sa.Integer()),
                            sa.column("changes", sa.Integer())), [{"id": 1, "number": None, "changes": 0}])
    op.create_table("train_rounds",
                    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("server", sa.String(256), nullable=False),
                    sa.Column("started", sa.DateTime(), nullable=False),
                    sa.Column("finished", sa.DateTime(), nullable=True),
                    sa.Column("version", sa.Integer(), nullable=True),
                    sa.Column("stats", sa.Text(), nullable=False))
    op.create_index("ix_train_rounds_status", "train_rounds", ["status"])


def downgrade() -> None:
    for table in ("train_rounds", "bank_pointer", "bank_versions", "corrections", "requests"):
        op.drop_table(table)
