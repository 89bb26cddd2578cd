"""clinic.services.courses.links: the patient's course link, signed with SECRET_KEY over the course's public
id and token version, refused when forged, superseded or a month past the last session."""

from datetime import timedelta

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from clinic import signing
from clinic.extensions import db
from clinic.models import KindKey, TreatmentCourse, TreatmentKind
from clinic.services.booking import links as booking_links
from clinic.services.courses import links
from clinic.timeutil import utcnow


def test_course_links_are_signed_versioned_and_expire(app, infusion_course):
    course_id, _, _ = infusion_course
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        token = links.course_token(course)
        now = utcnow()
        assert links.load_token(token, now=now).id == course_id
        assert links.load_token(token[:-2] + "xx", now=now) is None
        assert links.load_token("", now=now) is None
        last = max(s.ends_at for s in course.sessions)
        assert links.load_token(token, now=last + timedelta(days=31)) is None
        course.token_version += 1
        db.session.commit()
        assert links.load_token(token, now=now) is None
        assert links.load_token(links.course_token(course), now=now).id == course_id


def test_a_link_never_carries_the_row_id_and_needs_this_secret(app, infusion_course):
    course_id, _, _ = infusion_course
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        token = links.course_token(course)
        payload = URLSafeSerializer(app.config["SECRET_KEY"], salt=links.SALT).loads(token)
        assert payload == [course.public_id, course.token_version]
        assert course.public_id != str(course_id)
        other = URLSafeSerializer("another-secret-key-0123456789-abcdefghijkl", salt=links.SALT)
        assert links.load_token(other.dumps(payload), now=utcnow()) is None
        manage_link = URLSafeSerializer(app.config["SECRET_KEY"], salt=booking_links.SALT)
        assert links.load_token(manage_link.dumps(payload), now=utcnow()) is None


def test_signed_payloads_of_the_wrong_shape_are_refused(app, infusion_course):
    course_id, _, _ = infusion_course
    signer = URLSafeSerializer(app.config["SECRET_KEY"], salt=links.SALT)
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        for payload in (
            {"id": course.public_id},
            [course.public_id],
            [course.public_id, course.token_version, "extra"],
            [course_id, course.token_version],
            ["no-such-course", course.token_version],
        ):
            assert links.load_token(signer.dumps(payload), now=utcnow()) is None, payload
        too_long = links.course_token(course) + "A" * signing.MAX_TOKEN_LENGTH
        assert links.load_token(too_long, now=utcnow()) is None


def test_the_link_works_until_thirty_days_after_the_last_session_ends(app, infusion_course):
    course_id, _, _ = infusion_course
    with app.app_context():
        course = db.session.get(TreatmentCourse, course_id)
        until = links.expires_at(course)
        assert until == course.sessions[-1].ends_at + timedelta(days=30)
        token = links.course_token(course)
        assert links.load_token(token, now=until).id == course_id
        assert links.load_token(token, now=until + timedelta(seconds=1)) is None


def test_a_course_without_sessions_has_no_working_link(app, make_request):
    request_id = make_request()
    with app.app_context():
        kind = db.session.scalar(select(TreatmentKind).where(TreatmentKind.key == KindKey.INFUSION))
        course = TreatmentCourse(public_id="empty-course", request_id=request_id, kind_id=kind.id)
        db.session.add(course)
        db.session.commit()
        assert links.expires_at(course) is None
        assert links.load_token(links.course_token(course), now=utcnow()) is None
