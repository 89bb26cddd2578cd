"""Request tallies kept by triggers, and indexes for the queue's open view and its overview

ix_requests_open_queue is a partial index of the open requests in queue order (urgent, high, routine, then
by slot): the default queue reads its first rows and stops, however many closed requests lie in history.
ix_requests_created covers the 12-week overview (created_at, priority, phq9_band), so that reads the index
alone; it replaces the single-column index on created_at.

The staff queue shows how many requests there are per status. Counting them with GROUP BY reads the whole
requests table, which grows with every year of history. `request_tallies` holds one row per (status,
priority), created here with the current counts (and a counter of changes that only grows), and triggers on
consultation_requests keep it exact in the same transaction as every insert, status or priority change and
delete, whoever writes (the app, a bulk load, a manual fix in psql).

PostgreSQL: statement-level triggers with transition tables, so a bulk insert of 10,000 rows updates each
tally once, not 10,000 times; a statement updates the tallies it changes in key order, so two
transactions changing statuses cannot deadlock on them. SQLite: row-level triggers (its writers are
serialized, so order does not matter).

Note for later migrations: on SQLite, a batch operation that recreates consultation_requests drops its
triggers; such a migration must create them again (call `create_triggers`).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:15:14.889168

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

STATUSES = ('new', 'contacted', 'scheduled', 'completed', 'declined', 'no_show', 'cancelled')
PRIORITIES = ('urgent', 'high', 'routine')
# The open statuses (clinic.triage.workflow.OPEN_STATUSES) as of this revision.
OPEN_PREDICATE = "status IN ('new', 'contacted', 'scheduled', 'no_show')"

POSTGRESQL = [
    """
    CREATE FUNCTION request_tallies_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        moves refcursor;
        change record;
    BEGIN
        -- The change per (status, priority) this statement made: +1 for each row that arrived there, -1
        -- for each that left; pairs with no net change are left alone (and not locked).
        IF TG_OP = 'INSERT' THEN
            OPEN moves FOR SELECT status, priority, count(*) AS delta FROM new_rows
                GROUP BY status, priority ORDER BY status, priority;
        ELSIF TG_OP = 'DELETE' THEN
            OPEN moves FOR SELECT status, priority, -count(*) AS delta FROM old_rows
                GROUP BY status, priority ORDER BY status, priority;
        ELSE
            OPEN moves FOR SELECT status, priority, sum(delta) AS delta FROM (
                    SELECT status, priority, 1 AS delta FROM new_rows
                    UNION ALL
                    SELECT status, priority, -1 AS delta FROM old_rows
                ) AS moved
                GROUP BY status, priority HAVING sum(delta) <> 0 ORDER BY status, priority;
        END IF;
        -- In key order, so two transactions moving requests between the same statuses in opposite
        -- directions lock the same rows in the same order and cannot deadlock on them.
        LOOP
            FETCH moves INTO change;
            EXIT WHEN NOT FOUND;
            UPDATE request_tallies SET n = n + change.delta, changes = changes + abs(change.delta)
                WHERE status = change.status AND priority = change.priority;
        END LOOP;
        CLOSE moves;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER request_tallies_insert AFTER INSERT ON consultation_requests
        REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION request_tallies_apply()
    """,
    """
    CREATE TRIGGER request_tallies_update AFTER UPDATE ON consultation_requests
        REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION request_tallies_apply()
    """,
    """
    CREATE TRIGGER request_tallies_delete AFTER DELETE ON consultation_requests
        REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION request_tallies_apply()
    """,
]

SQLITE = [
    """
    CREATE TRIGGER request_tallies_insert AFTER INSERT ON consultation_requests BEGIN
        UPDATE request_tallies SET n = n + 1, changes = changes + 1 WHERE status = NEW.status AND priority = NEW.priority;
    END
    """,
    """
    CREATE TRIGGER request_tallies_update AFTER UPDATE OF status, priority ON consultation_requests
    WHEN OLD.status <> NEW.status OR OLD.priority <> NEW.priority BEGIN
        UPDATE request_tallies SET n = n - 1, changes = changes + 1 WHERE status = OLD.status AND priority = OLD.priority;
        UPDATE request_tallies SET n = n + 1, changes = changes + 1 WHERE status = NEW.status AND priority = NEW.priority;
    END
    """,
    """
    CREATE TRIGGER request_tallies_delete AFTER DELETE ON consultation_requests BEGIN
        UPDATE request_tallies SET n = n - 1, changes = changes + 1 WHERE status = OLD.status AND priority = OLD.priority;
    END
    """,
]


def create_triggers():
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL if dialect == 'postgresql' else SQLITE:
        op.execute(statement)


def drop_triggers():
    for name in ('request_tallies_insert', 'request_tallies_update', 'request_tallies_delete'):
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON consultation_requests')
        else:
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS request_tallies_apply()')


def upgrade():
    tallies = op.create_table('request_tallies',
    sa.Column('status', sa.Enum(*STATUSES, name='tally_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('priority', sa.Enum(*PRIORITIES, name='tally_priority', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('changes', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('status', 'priority', name=op.f('pk_request_tallies'))
    )
    with op.batch_alter_table('consultation_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_requests_created_at'))
        batch_op.create_index('ix_requests_created', ['created_at', 'priority', 'phq9_band'], unique=False)
        batch_op.create_index(
            'ix_requests_open_queue', ['priority_rank', 'appointment_at', 'id'], unique=False,
            postgresql_where=sa.text(OPEN_PREDICATE), sqlite_where=sa.text(OPEN_PREDICATE),
        )

    # Every pair up front, so the triggers only ever update; then today's counts, then the triggers. On
    # PostgreSQL this is one transaction, and the index builds above hold a SHARE lock on the requests
    # until it commits: no write can land between the count and the triggers on a live database.
    op.bulk_insert(tallies, [{'status': s, 'priority': p, 'n': 0, 'changes': 0} for s in STATUSES for p in PRIORITIES])
    op.execute(
        'UPDATE request_tallies SET n = (SELECT count(*) FROM consultation_requests r '
        'WHERE r.status = request_tallies.status AND r.priority = request_tallies.priority)'
    )
    create_triggers()


def downgrade():
    drop_triggers()
    with op.batch_alter_table('consultation_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_open_queue')
        batch_op.drop_index('ix_requests_created')
        batch_op.create_index(batch_op.f('ix_consultation_requests_created_at'), ['created_at'], unique=False)

    op.drop_table('request_tallies')
