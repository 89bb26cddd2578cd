"""Two-factor sign-in, a sign-in lockout that cannot be raced, addresses counted only as keyed hashes

- staff_users: the TOTP secret, when two-factor sign-in was turned on, and the time-step of the last code
  accepted (a code is never accepted twice). Existing accounts start without two-factor: admins (and staff,
  while the clinic requires it) are asked to set it up at their next sign-in.
- recovery_codes: ten one-time codes per user, stored as SHA-256 hashes.
- clinic_settings.require_two_factor: two-factor sign-in for every staff user, on by default (existing
  clinics get it on too).
- login_failures: the typed address is kept only as a keyed hash (`email_hash`). The rows in clear cannot be
  turned into hashes here (the key lives in the app's configuration) and must not survive, so the table is
  emptied and rebuilt: at worst, an address paused at the moment of the upgrade is unpaused.
- login_throttles: one row per address hash, locked by every attempt while it claims its place in the count.
- outbox_messages: when a failed message is due again (the wait doubles with each failure), and when it was
  given up. Messages sent before this revision are emptied of their bodies and attachments, as every sent
  message is from now on (metadata stays).
- consultation_requests.link_version: signed into manage links, bumped when a patient asks for a fresh link
  (every older link stops working). Existing requests start at 1, which their links already carry. Added
  with a plain ADD COLUMN: a batch rebuild of this table would drop its tally triggers on SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:40:24.163043

"""
from alembic import op
import sqlalchemy as sa

import clinic.models.types


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('two_factor_enabled_at', clinic.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', clinic.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', clinic.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_recovery_codes_staff_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('staff_user_id', 'code_hash', name=op.f('uq_recovery_codes_staff_user_id_code_hash'))
    )

    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_two_factor', sa.Boolean(), server_default=sa.true(), nullable=False))

    # Addresses in clear go: the table is rebuilt empty with the hash column (see the docstring).
    op.drop_index('ix_login_failures_email_at', table_name='login_failures')
    op.drop_table('login_failures')
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('at', clinic.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    op.create_index('ix_login_failures_email_hash_at', 'login_failures', ['email_hash', 'at'], unique=False)

    op.create_table('login_throttles',
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('last_attempt_at', clinic.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email_hash', name=op.f('pk_login_throttles'))
    )
    op.create_index(op.f('ix_login_throttles_last_attempt_at'), 'login_throttles', ['last_attempt_at'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_attempt_at', clinic.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failed_at', clinic.models.types.UTCDateTime(timezone=True), nullable=True))
    op.add_column('consultation_requests', sa.Column('link_version', sa.Integer(), server_default='1', nullable=False))

    outbox = sa.table(
        'outbox_messages',
        sa.column('sent_at', sa.DateTime()),
        sa.column('body_text', sa.Text()),
        sa.column('body_html', sa.Text()),
        sa.column('attachments', sa.JSON()),
    )
    op.execute(
        outbox.update()
        .where(outbox.c.sent_at.is_not(None))
        .values(body_text='', body_html=None, attachments=[])
    )


def downgrade():
    op.drop_column('consultation_requests', 'link_version')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('failed_at')
        batch_op.drop_column('next_attempt_at')

    op.drop_index(op.f('ix_login_throttles_last_attempt_at'), table_name='login_throttles')
    op.drop_table('login_throttles')

    op.drop_index('ix_login_failures_email_hash_at', table_name='login_failures')
    op.drop_table('login_failures')
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('at', clinic.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    op.create_index('ix_login_failures_email_at', 'login_failures', ['email', 'at'], unique=False)

    with op.batch_alter_table('clinic_settings', schema=None) as batch_op:
        batch_op.drop_column('require_two_factor')

    op.drop_table('recovery_codes')

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('two_factor_enabled_at')
        batch_op.drop_column('totp_secret')
