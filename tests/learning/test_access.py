"""Scoping per role: which staff and sessions each kind of user may see and act on."""

import pytest
from django.contrib.auth.models import AnonymousUser

from catalog import access as session_access
from catalog.choices import SessionStatus
from learning import access
from learning.access import Role
from learning.choices import StaffStatus
from learning.models import StaffMember
from tests.factories import SessionFactory, StaffMemberFactory, login_for

pytestmark = pytest.mark.django_db


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def people(building, other_building):
    return {
        "same_building": StaffMemberFactory(building=building),
        "other_building": StaffMemberFactory(building=other_building),
    }


def test_anonymous_sees_no_staff(people):
    assert ids(access.visible_staff(AnonymousUser())) == set()
    assert access.roles_of(AnonymousUser()) == frozenset()


def test_teacher_sees_only_themselves(teacher, people):
    assert ids(access.visible_staff(teacher.user)) == {teacher.pk}
    assert ids(access.actionable_staff(teacher.user)) == {teacher.pk}
    assert access.roles_of(teacher.user) == {Role.STAFF}


def test_leader_sees_their_building_and_not_another(leader, teacher, people):
    visible = ids(access.visible_staff(leader.user))
    assert visible == {leader.pk, teacher.pk, people["same_building"].pk}
    assert people["other_building"].pk not in visible
    assert not access.can_see_staff(leader.user, people["other_building"])
    assert Role.BUILDING_LEADER in access.roles_of(leader.user)


def test_district_pd_and_hr_see_everyone(district_pd, hr, teacher, people):
    everyone = {district_pd.pk, hr.pk, teacher.pk, *(p.pk for p in people.values())}
    assert ids(access.visible_staff(district_pd.user)) == everyone
    assert ids(access.visible_staff(hr.user)) == everyone


def test_hr_keeps_records_but_does_not_enroll_others(hr, people):
    assert ids(access.actionable_staff(hr.user)) == {hr.pk}


def test_admin_holds_every_central_role(admin_user, people):
    assert {Role.ADMIN, Role.DISTRICT_PD, Role.HR} <= access.roles_of(admin_user)
    assert ids(access.visible_staff(admin_user)) == {p.pk for p in people.values()}


def test_login_without_staff_record_sees_nobody(db, people):
    user = login_for(None)
    assert ids(access.visible_staff(user)) == set()
    assert ids(session_access.manageable_sessions(user)) == set()


def test_facilitator_manages_only_their_sessions(facilitator, facilitated_session):
    other = SessionFactory()
    assert ids(session_access.manageable_sessions(facilitator.user)) == {facilitated_session.pk}
    assert other.pk not in ids(session_access.manageable_sessions(facilitator.user))
    assert Role.FACILITATOR in access.roles_of(facilitator.user)


def test_district_pd_manages_every_session(district_pd, facilitated_session):
    other = SessionFactory()
    assert ids(session_access.manageable_sessions(district_pd.user)) >= {
        facilitated_session.pk,
        other.pk,
    }


def test_drafts_are_visible_to_district_pd_and_their_facilitators_only(
    teacher, facilitator, district_pd
):
    draft = SessionFactory(status=SessionStatus.DRAFT)
    draft.facilitators.add(facilitator)
    published = SessionFactory(status=SessionStatus.PUBLISHED)
    cancelled = SessionFactory(status=SessionStatus.CANCELLED)
    public = {published.pk, cancelled.pk}
    assert ids(session_access.visible_sessions(AnonymousUser())) == public
    assert ids(session_access.visible_sessions(teacher.user)) == public
    assert ids(session_access.visible_sessions(facilitator.user)) == public | {draft.pk}
    assert ids(session_access.visible_sessions(district_pd.user)) == public | {draft.pk}


def test_leader_acts_on_their_building_only(leader, teacher, people):
    actionable = ids(access.actionable_staff(leader.user))
    assert actionable == {leader.pk, teacher.pk, people["same_building"].pk}
    assert people["other_building"].pk not in actionable


def test_leader_manages_no_sessions_and_sees_no_drafts(leader, facilitated_session):
    draft = SessionFactory(status=SessionStatus.DRAFT)
    assert ids(session_access.manageable_sessions(leader.user)) == set()
    assert draft.pk not in ids(session_access.visible_sessions(leader.user))


def test_hr_sees_no_drafts_and_manages_no_sessions(hr, facilitated_session):
    draft = SessionFactory(status=SessionStatus.DRAFT)
    assert draft.pk not in ids(session_access.visible_sessions(hr.user))
    assert ids(session_access.manageable_sessions(hr.user)) == set()


def test_district_pd_acts_on_everyone(district_pd, people):
    assert ids(access.actionable_staff(district_pd.user)) >= {p.pk for p in people.values()}


def test_a_separated_leader_keeps_no_scope(leader, teacher, people):
    leader.status = StaffStatus.SEPARATED
    leader.save(update_fields=["status"])
    user = type(leader.user).objects.get(pk=leader.user.pk)

    assert access.staff_of(user) is None
    assert access.roles_of(user) == frozenset()
    assert ids(access.visible_staff(user)) == set()
    assert ids(access.actionable_staff(user)) == set()


def test_staff_on_leave_keep_their_scope(teacher):
    teacher.status = StaffStatus.ON_LEAVE
    teacher.save(update_fields=["status"])
    user = type(teacher.user).objects.get(pk=teacher.user.pk)
    assert access.staff_of(user) == teacher


def test_meeting_links_reach_current_staff_and_district_pd_only(teacher, district_pd, admin_user):
    assert access.may_see_meeting_links(teacher.user)
    assert access.may_see_meeting_links(district_pd.user)
    assert access.may_see_meeting_links(admin_user)
    assert not access.may_see_meeting_links(AnonymousUser())
    assert not access.may_see_meeting_links(None)
    assert not access.may_see_meeting_links(login_for(None))


def test_roles_take_two_queries_and_are_remembered(
    leader, facilitated_session, django_assert_num_queries
):
    facilitated_session.facilitators.add(leader)
    user = type(leader.user).objects.get(pk=leader.user.pk)
    with django_assert_num_queries(2):
        roles = access.roles_of(user)
    assert roles == {Role.STAFF, Role.BUILDING_LEADER, Role.FACILITATOR}
    with django_assert_num_queries(0):
        assert access.roles_of(user) is roles


# Whose personal details a user reads: one rule for what lists show and what filters match


@pytest.fixture
def everyone(teacher, leader, facilitator, district_pd, hr, admin_user, people):
    return {
        "teacher": teacher.user,
        "leader": leader.user,
        "facilitator": facilitator.user,
        "district_pd": district_pd.user,
        "hr": hr.user,
        "admin": admin_user,
        "no staff record": login_for(None),
        "anonymous": AnonymousUser(),
    }


def test_the_record_scope_filters_the_staff_it_covers(everyone):
    staff = list(StaffMember.objects.all())
    for label, user in everyone.items():
        scope = access.record_scope(user)
        covered = {person.pk for person in staff if scope.covers(person)}

        assert ids(access.record_staff(user)) == covered, label
        assert ids(StaffMember.objects.filter(scope.staff_q())) == covered, label


def test_each_role_reads_the_personal_details_of_whom_it_should(
    everyone, teacher, leader, facilitator, hr, people
):
    read = {label: ids(access.record_staff(user)) for label, user in everyone.items()}
    everybody = ids(access.visible_staff(everyone["district_pd"]))

    assert read["teacher"] == {teacher.pk}
    assert read["leader"] == ids(access.visible_staff(leader.user))
    assert people["other_building"].pk not in read["leader"]
    assert read["facilitator"] == {facilitator.pk}
    assert read["district_pd"] == read["admin"] == everybody
    # HR keeps the staff records, but the lists of learning show them no one else's details.
    assert read["hr"] == {hr.pk}
    assert read["no staff record"] == read["anonymous"] == set()


def test_the_record_scope_is_decided_once_per_user_object(leader, django_assert_num_queries):
    user = type(leader.user).objects.get(pk=leader.user.pk)
    scope = access.record_scope(user)

    with django_assert_num_queries(0):
        assert access.record_scope(user) is scope
