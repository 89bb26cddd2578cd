"""Each visit's views counted as they are recorded: audit_visits, kept by a trigger on audit_events

A request's history shows each visit (a person's views of the record, none more than 30 minutes after the
one before) once, with how many views it holds and until when. Counting them from the log read every view
of the record, so a record opened thousands of times made each of its pages slower. Now `audit_visits`
holds one row per visit: a view that starts a visit adds its row, a repeat view adds one to the row of the
last visit by the same person that began at or before it. The trigger does this in the statement that
records the view, whoever writes it (the app, a bulk load, a fix in psql), so the counts are exact in the
same transaction; reading a record's visits is one probe per visit.

Existing views are counted here by the rule the page used before (services/audit/log.py): each repeat view
belongs to the last first view by the same person before it, in (at, id) order; repeat views with no first
view before them start no visit. On PostgreSQL the log is locked against writes (SHARE) from the count
until this migration commits, so no view is counted twice or missed.

Views are recorded as they happen, so nearly in order: two recorded at once may arrive with the later
instant first, and the earlier one, a repeat, then joins the visit the later one began (counted, never lost).
The trigger never moves a view recorded earlier into a visit that a later-inserted, earlier-dated first view
would start (only a backdated bulk load does that; this migration's count, run again, fixes it).

Note for later migrations: on SQLite, a batch operation that recreates audit_events drops its triggers;
such a migration must create them again (call `create_triggers`). A new kind of view (VIEW_ACTIONS in
services/audit/log.py) needs the triggers and the count again with it.

The log's two indexes on a record follow: the record index holds only the events a history shows (no repeat
views: partial, in order), and the views index only what the repeat check probes, the action first (the
visits are no longer counted from it). Before, a record's thousands of repeat views sat in both, and the
planner, guided by statistics taken before a burst of views, read them all for a history of a few lines; now
the views index cannot serve a history at all.

Downgrade drops the triggers and the table and puts 0017's indexes back (the log itself is untouched).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 02:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

import clinic.models.types

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# services/audit/log.py's VIEW_ACTIONS as of this revision.
VIEW_ACTIONS = "('request.view', 'checkin.view')"
IS_VIEW = f"NEW.action IN {VIEW_ACTIONS} AND NEW.record_type IS NOT NULL AND NEW.record_id IS NOT NULL"
# The visit a repeat view joins: the same person's latest visit to the record begun at or before it; else (two
# views recorded at once, the later instant first) the earliest begun after it. Two probes of one index.
SAME_PERSON = """
    FROM audit_visits AS v
    WHERE v.record_type = NEW.record_type AND v.record_id = NEW.record_id AND v.action = NEW.action
        AND v.actor_key = coalesce(NEW.actor_id, 0)
"""
JOINED_VISIT = f"""
    coalesce(
        (SELECT v.first_view_id {SAME_PERSON} AND v.first_at <= NEW.at
            ORDER BY v.first_at DESC, v.first_view_id DESC LIMIT 1),
        (SELECT v.first_view_id {SAME_PERSON} AND v.first_at > NEW.at
            ORDER BY v.first_at, v.first_view_id LIMIT 1)
    )
"""
NEW_VISIT = """
    INSERT INTO audit_visits
        (first_view_id, record_type, record_id, action, actor_key, first_at, views, last_at)
    VALUES (NEW.id, NEW.record_type, NEW.record_id, NEW.action, coalesce(NEW.actor_id, 0), NEW.at, 1, NEW.at)
"""

POSTGRESQL = [
    f"""
    CREATE FUNCTION audit_visits_count() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.is_repeat_view THEN
            UPDATE audit_visits SET views = views + 1, last_at = greatest(last_at, NEW.at)
                WHERE first_view_id = {JOINED_VISIT};
        ELSE
            {NEW_VISIT};
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER audit_visits_count AFTER INSERT ON audit_events FOR EACH ROW
        WHEN ({IS_VIEW}) EXECUTE FUNCTION audit_visits_count()
    """,
]

SQLITE = [
    f"""
    CREATE TRIGGER audit_visits_first AFTER INSERT ON audit_events
    WHEN {IS_VIEW} AND NOT NEW.is_repeat_view BEGIN
        {NEW_VISIT};
    END
    """,
    f"""
    CREATE TRIGGER audit_visits_repeat AFTER INSERT ON audit_events
    WHEN {IS_VIEW} AND NEW.is_repeat_view BEGIN
        UPDATE audit_visits SET views = views + 1, last_at = max(last_at, NEW.at)
            WHERE first_view_id = {JOINED_VISIT};
    END
    """,
]

# The visits already in the log: a running count of first views per person and record numbers the visits.
COUNT_EXISTING = f"""
    INSERT INTO audit_visits
        (first_view_id, record_type, record_id, action, actor_key, first_at, views, last_at)
    SELECT max(CASE WHEN is_repeat_view THEN NULL ELSE id END), record_type, record_id, action,
        coalesce(actor_id, 0), max(CASE WHEN is_repeat_view THEN NULL ELSE at END), count(*), max(at)
    FROM (
        SELECT id, at, record_type, record_id, action, actor_id, is_repeat_view,
            sum(CASE WHEN is_repeat_view THEN 0 ELSE 1 END) OVER (
                PARTITION BY record_type, record_id, action, actor_id ORDER BY at, id
            ) AS visit
        FROM audit_events
        WHERE action IN {VIEW_ACTIONS} AND record_type IS NOT NULL AND record_id IS NOT NULL
    ) AS views
    WHERE visit > 0
    GROUP BY record_type, record_id, action, actor_id, visit
"""


def create_triggers():
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def drop_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_visits_count ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_visits_count()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_visits_first")
        op.execute("DROP TRIGGER IF EXISTS audit_visits_repeat")


RECORD_INDEX = ["record_type", "record_id", "at", "id"]
VIEWS_INDEX = ["action", "record_type", "record_id", "actor_id", "at"]
RECORD_INDEX_0017 = ["record_type", "record_id", "is_repeat_view"]
VIEWS_INDEX_0017 = ["record_type", "record_id", "action", "actor_id", "at", "id", "is_repeat_view"]


def replace_indexes(record: list[str], views: list[str], *, shown_only: bool) -> None:
    where = {}
    if shown_only:  # as each database writes `not_(is_repeat_view)`, which the history's statement uses
        where = {
            "postgresql_where": sa.text("NOT is_repeat_view"),
            "sqlite_where": sa.text("is_repeat_view = 0"),
        }
    op.drop_index("ix_audit_events_record", table_name="audit_events")
    op.drop_index("ix_audit_events_views", table_name="audit_events")
    op.create_index("ix_audit_events_record", "audit_events", record, unique=False, **where)
    op.create_index("ix_audit_events_views", "audit_events", views, unique=False)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE audit_events IN SHARE MODE")
    replace_indexes(RECORD_INDEX, VIEWS_INDEX, shown_only=True)
    op.create_table(
        "audit_visits",
        sa.Column("first_view_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("record_type", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("actor_key", sa.Integer(), nullable=False),
        sa.Column("first_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("last_at", clinic.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_view_id"],
            ["audit_events.id"],
            name=op.f("fk_audit_visits_first_view_id_audit_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("first_view_id", name=op.f("pk_audit_visits")),
    )
    op.create_index(
        "ix_audit_visits_person",
        "audit_visits",
        ["record_type", "record_id", "action", "actor_key", "first_at"],
        unique=False,
    )
    op.execute(COUNT_EXISTING)
    create_triggers()


def downgrade():
    drop_triggers()
    op.drop_index("ix_audit_visits_person", table_name="audit_visits")
    op.drop_table("audit_visits")
    replace_indexes(RECORD_INDEX_0017, VIEWS_INDEX_0017, shown_only=False)
