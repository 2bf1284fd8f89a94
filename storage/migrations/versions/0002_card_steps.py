"""sla_clocks.card_steps: thresholds the case card has been re-rendered for

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing clocks start with none shown: each gets one card refresh at its next visit.
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_steps', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.alter_column('card_steps', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_column('card_steps')
