"""Shared fixtures: one login per role, each linked to a staff member where the role needs one."""

import tempfile
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from tests.factories import (
    BuildingFactory,
    PositionFactory,
    SessionFactory,
    StaffMemberFactory,
    login_for,
)


def pytest_configure(config):
    from django.conf import settings

    # The production hasher spends about half a second per password on purpose; the suite
    # creates hundreds of logins and only needs hashing to work, not to be slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background tasks run where they are enqueued: mail recorded by a change is delivered (to
    # Django's test outbox) when its transaction commits. The worker's own tests use the
    # database backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    # The roles' logins sign in with a password all over the suite; the second factor they
    # would then set up is tested where it is the subject (tests/accounts/test_second_factor.py).
    settings.SECOND_FACTOR_REQUIRED = False
    # Evidence files written by session-wide fixtures (the seeded demo) stay out of var/.
    settings.EVIDENCE_ROOT = Path(tempfile.mkdtemp(prefix="evidence-"))


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Sign-in's rate limits are counted in the cache: each test starts with none spent."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def building(db):
    return BuildingFactory(code="maple", name="Maple Elementary")


@pytest.fixture
def other_building(db):
    return BuildingFactory(code="oak", name="Oak Middle")


@pytest.fixture
def teacher(building):
    staff = StaffMemberFactory(building=building, first_name="Tess", last_name="Teacher")
    login_for(staff, username="teacher")
    return staff


@pytest.fixture
def facilitator(building):
    staff = StaffMemberFactory(building=building, first_name="Fran", last_name="Facilitator")
    login_for(staff, username="facilitator")
    return staff


@pytest.fixture
def facilitated_session(facilitator):
    session = SessionFactory()
    session.facilitators.add(facilitator)
    return session


@pytest.fixture
def leader(building):
    staff = StaffMemberFactory(
        building=building,
        first_name="Lee",
        last_name="Leader",
        position=PositionFactory(code="principal", category="leader"),
        leads=[building],
    )
    login_for(staff, username="leader")
    return staff


@pytest.fixture
def district_pd(db):
    staff = StaffMemberFactory(first_name="Pat", last_name="Planner")
    login_for(staff, username="districtpd", groups=[DISTRICT_PD_GROUP])
    return staff


@pytest.fixture
def hr(db):
    staff = StaffMemberFactory(first_name="Harper", last_name="Records")
    login_for(staff, username="hr", groups=[HR_GROUP])
    return staff


@pytest.fixture
def admin_user(db):
    return login_for(None, username="admin", superuser=True)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def mailed(django_capture_on_commit_callbacks, mailoutbox):
    """Commit the block as the service would (its mail is recorded in the outbox and delivered
    on commit), then give the messages delivered. Mail recorded before the block, whose
    changes the test never committed, is dropped first: in the service it went out already."""
    from core.models import OutboxMessage

    class Mailed:
        def __enter__(self):
            OutboxMessage.objects.all().delete()
            self.capture = django_capture_on_commit_callbacks(execute=True)
            self.capture.__enter__()
            return mailoutbox

        def __exit__(self, *exc):
            return self.capture.__exit__(*exc)

    return Mailed()


@pytest.fixture
def smtp_sink(settings):
    """A real SMTP server the service's mail goes to (over Django's SMTP backend), down until
    the test calls `up()` or uses `smtp_up`."""
    from tests.smtp import SmtpSink

    sink = SmtpSink()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_TIMEOUT = 10
    yield sink
    sink.close()


@pytest.fixture
def smtp_up(smtp_sink):
    smtp_sink.up()
    return smtp_sink
