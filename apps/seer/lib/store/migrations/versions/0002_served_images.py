"""Active learning's served times move from model_dir/al_served.json into the store, shared by every server.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("served_images",
                    sa.Column("image_id", sa.String(512), primary_key=True),
                    sa.Column("served", sa.Float(), nullable=False))


def downgrade() -> None:
    op.drop_table("served_images")
