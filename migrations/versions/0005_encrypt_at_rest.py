"""Encrypt health and contact data at rest; blind indexes for the staff search

Every health and contact field becomes an encrypted TEXT column (clinic/models/types.py `Encrypted`:
AES-256-GCM under the newest key of CLINIC_DATA_KEYS, the table and column bound in as associated data):
- consultation_requests: first_name, last_name, email, phone, date_of_birth, conditions, medications, notes,
  and the nine PHQ-9 answers, which become one encrypted list `phq9_answers` (phq9_1 ... phq9_9 go);
- notes.body;
- outbox_messages: recipients, body_text, body_html, attachments (subjects carry no patient data).
login_failures.email keeps its column and holds the keyed hash (CLINIC_INDEX_KEY) of the address typed.
Score, band, priority, status, reference and times stay in clear: the tallies, the partial index of open
requests and the queue's sorting are untouched.

Six blind-index columns on consultation_requests (keyed HMAC-SHA256 of the normalised value, 32 hex digits,
each indexed): first_name_digest, last_name_digest, email_digest, phone_digest (E.164), phone7_digest and
phone4_digest (the last 7 and last 4 digits).

Existing rows are encrypted here, in batches, with the keys the app reads (`flask db upgrade` builds the app,
so CLINIC_DATA_KEYS and CLINIC_INDEX_KEY, or development's instance/encryption-keys.json, apply).

Order, so that each database accepts every step: the new columns are added nullable; PostgreSQL turns the
changed columns into TEXT (a date or a VARCHAR(80) cannot hold a sealed value); the rows are encrypted; then
the new columns become NOT NULL, the PHQ-9 columns go, the types change on SQLite and the indexes are built.
On SQLite that last step recreates consultation_requests and outbox_messages (migrations/env.py runs
migrations with foreign keys off, so dropping the old copy neither cascades to nor is refused by the notes and
bookings; the references are checked here before the commit), which drops the tally triggers of 0002: they are
created again, the same statements.

Downgrade decrypts everything back (the keys that sealed it must still be configured); login failures cannot
be turned back into addresses and are deleted (they only matter for 15 minutes).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00

"""
import json
from datetime import date

from alembic import op
import sqlalchemy as sa

from clinic import keys
from clinic.crypto.keyring import decode, encode
from clinic.crypto.lookup import email_key, name_key, phone_keys


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

BATCH = 1000
REQUESTS = 'consultation_requests'
PHQ9 = [f'phq9_{i}' for i in range(1, 10)]
# The clear columns of the first release that become encrypted TEXT, with their old types.
REQUEST_TYPES = {
    'first_name': sa.String(length=80),
    'last_name': sa.String(length=80),
    'email': sa.String(length=254),
    'phone': sa.String(length=20),
    'date_of_birth': sa.Date(),
    'conditions': sa.JSON(),
}
OUTBOX_TYPES = {'recipients': sa.JSON(), 'attachments': sa.JSON()}
# The kind of each encrypted column (what clinic.crypto.keyring.encode takes). The context bound into each
# value is "<table>.<column>", as in the models.
KINDS = {
    REQUESTS: {
        'first_name': 'text', 'last_name': 'text', 'email': 'text', 'phone': 'text', 'date_of_birth': 'date',
        'phq9_answers': 'json', 'conditions': 'json', 'medications': 'text', 'notes': 'text',
    },
    'notes': {'body': 'text'},
    'outbox_messages': {'recipients': 'json', 'body_text': 'text', 'body_html': 'text', 'attachments': 'json'},
    'staff_users': {'totp_secret': 'text'},
}
# Sealed where they stand, apart from the request's other fields (added by 0003 and 0004).
LATER = {REQUESTS: {'phq9_difficulty': 'int'}}
DIGESTS = ['first_name_digest', 'last_name_digest', 'email_digest', 'phone_digest', 'phone7_digest', 'phone4_digest']
# What each blind index hashes (its purpose is "consultation_requests.<name>").
PURPOSES = {
    'first_name_digest': 'first_name', 'last_name_digest': 'last_name', 'email_digest': 'email',
    'phone_digest': 'phone', 'phone7_digest': 'phone7', 'phone4_digest': 'phone4',
}
# 0002's SQLite triggers, created again after the table is recreated.
SQLITE_TRIGGERS = [
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


def _has_difficulty_check():
    checks = sa.inspect(op.get_bind()).get_check_constraints(REQUESTS)
    return any('phq9_difficulty' in (check.get('sqltext') or '') for check in checks)


def _sqlite():
    return op.get_bind().dialect.name == 'sqlite'


def _table(name, columns):
    """A lightweight table whose columns are read and written as raw text (or integers)."""
    return sa.table(name, sa.column('id', sa.Integer), *(sa.column(c, t) for c, t in columns.items()))


def _rows(table, columns):
    """Every row of `table`, BATCH at a time, in id order."""
    last = 0
    while True:
        rows = op.get_bind().execute(
            sa.select(table.c.id, *(table.c[c] for c in columns))
            .where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).mappings().all()
        if not rows:
            return
        yield rows
        last = rows[-1]['id']


def _update(table, values):
    """One executemany: each dict sets its columns on the row `row_id`."""
    if values:
        op.get_bind().execute(table.update().where(table.c.id == sa.bindparam('row_id')), values)


def _parse(kind, raw):
    """A clear value of the first release, as stored (text, ISO date text, JSON text), to a Python value."""
    if raw is None:
        return None
    if kind == 'date':
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw)[:10])
    if kind == 'json':
        return raw if isinstance(raw, (list, dict)) else json.loads(raw)
    if kind == 'int':
        return int(raw)
    return raw


def _seal(keyring, table, column, value):
    if value is None:
        return None
    kind = {**KINDS.get(table, {}), **LATER.get(table, {})}[column]
    return keyring.seal(encode(kind, value), f'{table}.{column}')


def _open(keyring, table, column, token):
    if token is None:
        return None
    return decode({**KINDS.get(table, {}), **LATER.get(table, {})}[column], keyring.open(token, f'{table}.{column}'))


def _digests(keyring, first_name, last_name, email, phone):
    phone_forms = phone_keys(phone)
    normal = {
        'first_name_digest': name_key(first_name), 'last_name_digest': name_key(last_name),
        'email_digest': email_key(email), 'phone_digest': phone_forms.e164,
        'phone7_digest': phone_forms.last7, 'phone4_digest': phone_forms.last4,
    }
    return {c: keyring.digest(f'{REQUESTS}.{PURPOSES[c]}', v) for c, v in normal.items()}


def _check_references():
    """SQLite: the tables were recreated with foreign keys off; refuse to commit a dangling reference."""
    if _sqlite():
        problems = op.get_bind().exec_driver_sql('PRAGMA foreign_key_check').all()
        if problems:
            raise RuntimeError(f'foreign keys broken by the migration: {problems[:5]}')


def upgrade():
    keyring = keys.current()
    sqlite = _sqlite()

    with op.batch_alter_table(REQUESTS) as batch:  # only new columns: ALTER TABLE ADD on both databases
        batch.add_column(sa.Column('phq9_answers', sa.Text(), nullable=True))
        for column in DIGESTS:
            batch.add_column(sa.Column(column, sa.String(length=32), nullable=True))
    if not sqlite:
        for column, old in REQUEST_TYPES.items():
            op.alter_column(REQUESTS, column, type_=sa.Text(), existing_type=old, existing_nullable=False,
                            postgresql_using=f'{column}::text')
        for column, old in OUTBOX_TYPES.items():
            op.alter_column('outbox_messages', column, type_=sa.Text(), existing_type=old,
                            existing_nullable=False, postgresql_using=f'{column}::text')
        op.drop_constraint(op.f('ck_consultation_requests_phq9_difficulty_range'), REQUESTS, type_='check')
        op.alter_column(REQUESTS, 'phq9_difficulty', type_=sa.Text(), existing_type=sa.SmallInteger(),
                        existing_nullable=True, postgresql_using='phq9_difficulty::text')
        op.alter_column('staff_users', 'totp_secret', type_=sa.Text(), existing_type=sa.String(length=255),
                        existing_nullable=True)

    # The requests: every field sealed, the answers gathered into one list, the blind indexes computed.
    clear = [*REQUEST_TYPES, 'medications', 'notes']
    requests = _table(REQUESTS, {
        **{c: sa.Text for c in clear}, **{c: sa.Integer for c in PHQ9},
        'phq9_answers': sa.Text, **{c: sa.Text for c in DIGESTS},
    })
    for rows in _rows(requests, [*clear, *PHQ9]):
        values = []
        for row in rows:
            plain = {c: _parse(KINDS[REQUESTS][c], row[c]) for c in clear}
            plain['phq9_answers'] = [row[c] for c in PHQ9]
            values.append({
                'row_id': row['id'],
                **{c: _seal(keyring, REQUESTS, c, v) for c, v in plain.items()},
                **_digests(keyring, plain['first_name'], plain['last_name'], plain['email'], plain['phone']),
            })
        _update(requests, values)

    notes = _table('notes', {'body': sa.Text})
    for rows in _rows(notes, ['body']):
        _update(notes, [{'row_id': r['id'], 'body': _seal(keyring, 'notes', 'body', r['body'])} for r in rows])

    outbox_columns = list(KINDS['outbox_messages'])
    outbox = _table('outbox_messages', {c: sa.Text for c in outbox_columns})
    for rows in _rows(outbox, outbox_columns):
        _update(outbox, [
            {'row_id': r['id'], **{
                c: _seal(keyring, 'outbox_messages', c, _parse(KINDS['outbox_messages'][c], r[c]))
                for c in outbox_columns
            }}
            for r in rows
        ])

    with op.batch_alter_table(REQUESTS) as batch:
        if sqlite:
            for column, old in REQUEST_TYPES.items():
                batch.alter_column(column, type_=sa.Text(), existing_type=old, existing_nullable=False)
            if _has_difficulty_check():
                batch.drop_constraint(batch.f('ck_consultation_requests_phq9_difficulty_range'), type_='check')
            batch.alter_column('phq9_difficulty', type_=sa.Text(), existing_type=sa.SmallInteger(),
                               existing_nullable=True)
        batch.alter_column('phq9_answers', existing_type=sa.Text(), nullable=False)
        for column in DIGESTS:
            batch.alter_column(column, existing_type=sa.String(length=32), nullable=False)
        for column in PHQ9:
            batch.drop_column(column)
        for column in DIGESTS:
            batch.create_index(batch.f(f'ix_{REQUESTS}_{column}'), [column], unique=False)
    if sqlite:
        with op.batch_alter_table('outbox_messages') as batch:
            for column, old in OUTBOX_TYPES.items():
                batch.alter_column(column, type_=sa.Text(), existing_type=old, existing_nullable=False)
        with op.batch_alter_table('staff_users') as batch:
            batch.alter_column('totp_secret', type_=sa.Text(), existing_type=sa.String(length=255),
                               existing_nullable=True)
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    # The closing PHQ-9 question (0003) and the authenticator secrets (0004): sealed where they stand.
    difficulty = _table(REQUESTS, {'phq9_difficulty': sa.Text})
    for rows in _rows(difficulty, ['phq9_difficulty']):
        _update(difficulty, [
            {'row_id': r['id'],
             'phq9_difficulty': _seal(keyring, REQUESTS, 'phq9_difficulty', int(r['phq9_difficulty']))}
            for r in rows if r['phq9_difficulty'] is not None
        ])
    secrets = _table('staff_users', {'totp_secret': sa.Text})
    for rows in _rows(secrets, ['totp_secret']):
        _update(secrets, [
            {'row_id': r['id'], 'totp_secret': _seal(keyring, 'staff_users', 'totp_secret', r['totp_secret'])}
            for r in rows if r['totp_secret'] is not None
        ])

    _check_references()


def downgrade():
    keyring = keys.current()
    sqlite = _sqlite()

    difficulty = _table(REQUESTS, {'phq9_difficulty': sa.Text})
    for rows in _rows(difficulty, ['phq9_difficulty']):
        _update(difficulty, [
            {'row_id': r['id'], 'phq9_difficulty': str(_open(keyring, REQUESTS, 'phq9_difficulty', r['phq9_difficulty']))}
            for r in rows if r['phq9_difficulty'] is not None
        ])
    secrets = _table('staff_users', {'totp_secret': sa.Text})
    for rows in _rows(secrets, ['totp_secret']):
        _update(secrets, [
            {'row_id': r['id'], 'totp_secret': _open(keyring, 'staff_users', 'totp_secret', r['totp_secret'])}
            for r in rows if r['totp_secret'] is not None
        ])
    with op.batch_alter_table('staff_users') as batch:
        batch.alter_column('totp_secret', type_=sa.String(length=255), existing_type=sa.Text(),
                           existing_nullable=True)

    with op.batch_alter_table(REQUESTS) as batch:
        for column in PHQ9:
            batch.add_column(sa.Column(column, sa.SmallInteger(), nullable=True))

    sealed = list(KINDS[REQUESTS])
    requests = _table(REQUESTS, {**{c: sa.Text for c in sealed}, **{c: sa.Integer for c in PHQ9}})
    for rows in _rows(requests, sealed):
        values = []
        for row in rows:
            plain = {c: _open(keyring, REQUESTS, c, row[c]) for c in sealed}
            answers = plain.pop('phq9_answers')
            plain['date_of_birth'] = plain['date_of_birth'].isoformat()
            plain['conditions'] = json.dumps(plain['conditions'])
            values.append({'row_id': row['id'], **plain, **dict(zip(PHQ9, answers, strict=True))})
        _update(requests, [{k: v for k, v in row.items() if k != 'phq9_answers'} for row in values])

    notes = _table('notes', {'body': sa.Text})
    for rows in _rows(notes, ['body']):
        _update(notes, [{'row_id': r['id'], 'body': _open(keyring, 'notes', 'body', r['body'])} for r in rows])

    outbox_columns = list(KINDS['outbox_messages'])
    outbox = _table('outbox_messages', {c: sa.Text for c in outbox_columns})
    for rows in _rows(outbox, outbox_columns):
        values = []
        for r in rows:
            plain = {c: _open(keyring, 'outbox_messages', c, r[c]) for c in outbox_columns}
            plain |= {c: json.dumps(plain[c]) for c in OUTBOX_TYPES}
            values.append({'row_id': r['id'], **plain})
        _update(outbox, values)

    op.execute(sa.text('DELETE FROM login_failures'))

    # SQLite: the date column is read as a DATE already, or the table copy would CAST its ISO text to a
    # number (alembic casts when the affinity changes, and DATE has NUMERIC affinity there).
    reflect_args = [sa.Column('date_of_birth', sa.Date())] if sqlite else []
    with op.batch_alter_table(REQUESTS, reflect_args=reflect_args) as batch:
        for column in DIGESTS:
            batch.drop_index(batch.f(f'ix_{REQUESTS}_{column}'))
            batch.drop_column(column)
        batch.drop_column('phq9_answers')
        for column in PHQ9:
            batch.alter_column(column, existing_type=sa.SmallInteger(), nullable=False)
        batch.alter_column('phq9_difficulty', type_=sa.SmallInteger(), existing_type=sa.Text(),
                           existing_nullable=True, postgresql_using='phq9_difficulty::smallint')
        if not sqlite:  # SQLite: a table-level CHECK would stop 0003 dropping the column in place
            batch.create_check_constraint('phq9_difficulty_range', 'phq9_difficulty BETWEEN 0 AND 3')
        for column, old in REQUEST_TYPES.items():
            batch.alter_column(column, type_=old, existing_type=sa.Text(), existing_nullable=False,
                               postgresql_using=f'{column}::{"date" if column == "date_of_birth" else "json" if column == "conditions" else "varchar"}')
    with op.batch_alter_table('outbox_messages') as batch:
        for column, old in OUTBOX_TYPES.items():
            batch.alter_column(column, type_=old, existing_type=sa.Text(), existing_nullable=False,
                               postgresql_using=f'{column}::json')
    if sqlite:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    _check_references()
