"""Indexes for a record's views: the person's last view found in one probe, visits counted from the index

A request's page records a view each time it is opened and asks whether the same person viewed it within the
visit gap (services/audit/record.py), reads the history without repeat views, then counts each visit's views
(services/audit/log.py: record_visits). With only (record_type, record_id) indexed, all three read every
event of the record, so a record opened thousands of times made each view of it slower. Now the last view is
one probe, the history reads the first views only (the record index gains is_repeat_view), and the visits are
counted from the index alone, already in order (no sort, no table rows).

Existing rows need nothing: the index is built from them. Downgrade drops it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27 00:45:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

VIEWS = ["record_type", "record_id", "action", "actor_id", "at", "id", "is_repeat_view"]


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_record")
        batch_op.create_index(
            "ix_audit_events_record", ["record_type", "record_id", "is_repeat_view"], unique=False
        )
        batch_op.create_index("ix_audit_events_views", VIEWS, unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_views")
        batch_op.drop_index("ix_audit_events_record")
        batch_op.create_index("ix_audit_events_record", ["record_type", "record_id"], unique=False)
