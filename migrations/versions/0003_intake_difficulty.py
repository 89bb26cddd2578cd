"""The PHQ-9's closing question on consultation requests (phq9_difficulty)

The intake now asks the instrument's unscored closing question ("how difficult have these problems made
it…", 0 to 3). It is optional, so the column is nullable; requests made before this revision were never
asked and keep NULL (nothing to back-fill). A CHECK keeps answered values within 0..3.

SQLite: the column and its CHECK are added with one ALTER TABLE ... ADD COLUMN, never by a batch copy of
the table, because recreating consultation_requests would drop the request-tally triggers of 0002.
Downgrade drops the column with ALTER TABLE ... DROP COLUMN (SQLite 3.35 or newer) for the same reason.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLE = 'consultation_requests'
CHECK_NAME = 'ck_consultation_requests_phq9_difficulty_range'
CHECK = 'phq9_difficulty BETWEEN 0 AND 3'


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # A column constraint, added in place: existing rows get NULL, which the CHECK accepts.
        op.execute(
            f'ALTER TABLE {TABLE} ADD COLUMN phq9_difficulty SMALLINT '
            f'CONSTRAINT {CHECK_NAME} CHECK ({CHECK})'
        )
    else:
        op.add_column(TABLE, sa.Column('phq9_difficulty', sa.SmallInteger(), nullable=True))
        op.create_check_constraint(op.f(CHECK_NAME), TABLE, CHECK)


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f(CHECK_NAME), TABLE, type_='check')
    op.drop_column(TABLE, 'phq9_difficulty')
