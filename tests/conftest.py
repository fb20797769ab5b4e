"""Shared fixtures: one login per role, each linked to a staff member where the role needs one."""

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
