"""The admin: every page opens, filters and search narrow, secrets stay hidden, history is not
deleted, and changelists cost the same number of queries for 5 rows as for 30."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session
from core import refusals as r
from core.refusals import MSG_ALREADY_VOIDED, MSG_VOID_NEEDS_REASON
from enrollment.admin.sessions import MSG_CANCEL_WITH_THE_ACTION
from enrollment.choices import EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation
from imports.models import ImportRun
from learning.choices import StaffStatus
from learning.models import Building, Plan, PlanYear, Requirement, StaffMember
from plan import services as plan_services
from tests import factories as f
from tests.html_forms import posted_as_shown

pytestmark = pytest.mark.django_db

# One factory per model of ours; a factory builds its related rows anew for every object, so a
# changelist of these objects shows as many distinct related rows as it has rows.
FACTORIES = {
    factory._meta.model: factory
    for factory in (
        f.BuildingFactory,
        f.StaffMemberFactory,
        f.StaffGroupFactory,
        f.PlanFactory,
        f.PlanYearFactory,
        f.GoalFactory,
        f.RequirementFactory,
        f.StrandFactory,
        f.CourseFactory,
        f.SessionFactory,
        f.MeetingFactory,
        f.EnrollmentFactory,
        f.AttendanceFactory,
        f.EvaluationFactory,
        f.CompletionFactory,
        f.FeedTokenFactory,
        f.ImportRunFactory,
    )
}

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
REGISTERED_IDS = [model._meta.label_lower for model, _ in REGISTERED]


def label(model) -> str:
    return model._meta.label_lower


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def make(model):
    if model is f.PositionFactory._meta.model:
        return f.PositionFactory(code=f"position-{model.objects.count()}")
    return FACTORIES[model]()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_site_is_titled():
    assert admin.site.site_header == "Professional Learning administration"
    assert admin.site.site_title == "Professional Learning administration"
    assert admin.site.index_title == "Professional Learning administration"


def test_every_model_of_ours_is_registered():
    registered = {label(model) for model in admin.site._registry}
    ours = {label(model) for model in FACTORIES} | {"learning.position"}
    assert ours <= registered


@pytest.mark.parametrize(
    ("model", "model_admin"), REGISTERED, ids=[label(m) for m, _ in REGISTERED]
)
def test_changelist_and_add_page_open(admin_client, admin_user, model, model_admin):
    response = admin_client.get(admin_url(model, "changelist"))
    assert response.status_code == 200

    request = RequestFactory().get("/")
    request.user = admin_user
    response = admin_client.get(admin_url(model, "add"))
    if model_admin.has_add_permission(request):
        assert response.status_code == 200
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("model", [*FACTORIES, f.PositionFactory._meta.model], ids=label)
def test_change_page_opens_and_names_the_object(admin_client, model):
    obj = make(model)
    response = admin_client.get(admin_url(model, "change", obj.pk))
    assert response.status_code == 200
    assert str(obj) in response.content.decode()


@pytest.mark.parametrize("model", [*FACTORIES, f.PositionFactory._meta.model], ids=label)
def test_changelist_query_count_does_not_grow_with_rows(admin_client, model):
    url = admin_url(model, "changelist")
    for _ in range(2):
        make(model)
    admin_client.get(url)  # fills per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(url).status_code == 200
    for _ in range(4):
        make(model)
    with CaptureQueriesContext(connection) as more:
        response = admin_client.get(url)
    assert response.context["cl"].result_count == model.objects.count()
    assert len(more) == len(few), [q["sql"] for q in more.captured_queries]


# Staff changelist: the two large lists of the service, measured at 5 and 30 rows.


def changelist_queries(client, url: str, rows: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == rows
    return len(queries)


def test_staff_changelist_queries_are_the_same_for_5_and_30_rows(admin_client):
    url = admin_url(StaffMember, "changelist")
    f.StaffMemberFactory.create_batch(5, position=f.PositionFactory(code="counselor"))
    admin_client.get(url)
    five = changelist_queries(admin_client, url, 5)
    f.StaffMemberFactory.create_batch(25)
    thirty = changelist_queries(admin_client, url, 30)
    assert thirty == five


def sessions_with_history(count: int) -> None:
    for _ in range(count):
        session = f.SessionFactory()
        session.facilitators.add(f.StaffMemberFactory())
        f.MeetingFactory.create_batch(2, session=session)
        f.EnrollmentFactory(session=session)
        f.EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)


def test_session_changelist_queries_are_the_same_for_5_and_30_rows(admin_client):
    url = admin_url(Session, "changelist")
    sessions_with_history(5)
    admin_client.get(url)
    five = changelist_queries(admin_client, url, 5)
    sessions_with_history(25)
    thirty = changelist_queries(admin_client, url, 30)
    assert thirty == five


# Filters and search


@pytest.fixture
def two_staff(building, other_building):
    principal = f.PositionFactory(code="principal")
    plain = f.StaffMemberFactory(
        building=building, first_name="Tess", last_name="Teacher", email="tess@example.org"
    )
    special = f.StaffMemberFactory(
        employee_id="770077",
        building=other_building,
        position=principal,
        first_name="Patricia",
        preferred_name="Pat",
        last_name="Principal",
        email="Pat.Principal@example.org",
        status=StaffStatus.ON_LEAVE,
        managed_manually=True,
        is_demo=True,
    )
    return plain, special


def shown(response) -> set[int]:
    assert response.status_code == 200  # an unknown filter parameter redirects with ?e=1
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "params",
    [
        lambda s: {"building__id__exact": s.building_id},
        lambda s: {"position__id__exact": s.position_id},
        lambda s: {"status__exact": StaffStatus.ON_LEAVE},
        lambda s: {"managed_manually__exact": "1"},
        lambda s: {"is_demo__exact": "1"},
        lambda s: {"q": "770077"},
        lambda s: {"q": "principal"},
        lambda s: {"q": "Pat"},
        lambda s: {"q": "pat.principal@example.org"},
    ],
    ids=[
        "building",
        "position",
        "status",
        "managed_manually",
        "is_demo",
        "employee_id",
        "last_name",
        "preferred_name",
        "email",
    ],
)
def test_staff_filters_and_search_narrow_the_list(admin_client, two_staff, params):
    plain, special = two_staff
    url = admin_url(StaffMember, "changelist")
    assert shown(admin_client.get(url)) == {plain.pk, special.pk}
    assert shown(admin_client.get(url, params(special))) == {special.pk}


def test_staff_filter_choices_are_listed(admin_client, two_staff):
    content = admin_client.get(admin_url(StaffMember, "changelist")).content.decode()
    for choice in (
        "Maple Elementary",
        "Oak Middle",
        "Principal",
        "On leave",
        "By managed manually",
    ):
        assert choice in content


@pytest.fixture
def two_sessions(building, other_building):
    plain = f.SessionFactory(building=building, course__code="crt-101")
    special = f.SessionFactory(
        building=other_building,
        course__code="rp-201",
        course__strand=f.StrandFactory(name="Restorative Practices"),
        status=SessionStatus.CANCELLED,
    )
    return plain, special


@pytest.mark.parametrize(
    "params",
    [
        lambda s: {"status__exact": SessionStatus.CANCELLED},
        lambda s: {"building__id__exact": s.building_id},
        lambda s: {"course__strand__id__exact": s.course.strand_id},
        lambda s: {"q": "RP-201"},
    ],
    ids=["status", "building", "strand", "course_code"],
)
def test_session_filters_and_search_narrow_the_list(admin_client, two_sessions, params):
    plain, special = two_sessions
    url = admin_url(Session, "changelist")
    assert shown(admin_client.get(url)) == {plain.pk, special.pk}
    assert shown(admin_client.get(url, params(special))) == {special.pk}


def test_session_changelist_shows_counts_from_annotations(admin_client):
    session = f.SessionFactory(capacity=2)
    f.MeetingFactory.create_batch(3, session=session)
    f.EnrollmentFactory.create_batch(2, session=session)
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WAITLISTED)
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)
    response = admin_client.get(admin_url(Session, "changelist"), {"o": "6"})
    (row,) = response.context["cl"].result_list
    assert (row.meeting_total, row.seats_taken, row.seats_left, row.waitlist_length) == (3, 2, 0, 1)
    content = response.content.decode()
    assert '<td class="field-waitlist_length">1</td>' in content
    assert '<td class="field-meeting_count">3</td>' in content


@pytest.mark.parametrize("column", range(1, 11))
def test_every_session_column_can_be_sorted(admin_client, two_sessions, column):
    response = admin_client.get(admin_url(Session, "changelist"), {"o": str(column)})
    assert len(shown(response)) == 2


def test_enrollment_filters_and_search(admin_client, two_staff):
    plain, special = two_staff
    mine = f.EnrollmentFactory(staff=plain, session__course__code="crt-101")
    theirs = f.EnrollmentFactory(
        staff=special,
        session__course__code="rp-201",
        status=EnrollmentStatus.WAITLISTED,
        source=EnrollmentSource.ASSIGNED,
    )
    url = admin_url(Enrollment, "changelist")
    assert shown(admin_client.get(url)) == {mine.pk, theirs.pk}
    for params in (
        {"status__exact": EnrollmentStatus.WAITLISTED},
        {"source__exact": EnrollmentSource.ASSIGNED},
        {"q": "Principal"},
        {"q": "770077"},
        {"q": "rp-201"},
    ):
        assert shown(admin_client.get(url, params)) == {theirs.pk}, params


@pytest.fixture
def two_strands():
    return f.StrandFactory(name="Equity"), f.StrandFactory(name="Restorative Practices")


def test_enrollment_filters_by_building_and_strand(admin_client, two_staff, two_strands):
    plain, special = two_staff
    equity, restorative = two_strands
    mine = f.EnrollmentFactory(staff=plain, session__course__strand=equity)
    theirs = f.EnrollmentFactory(staff=special, session__course__strand=restorative)
    url = admin_url(Enrollment, "changelist")
    response = admin_client.get(url)
    assert shown(response) == {mine.pk, theirs.pk}
    content = response.content.decode()
    assert "By building" in content and "By strand" in content
    assert shown(admin_client.get(url, {"staff__building__id__exact": special.building_id})) == {
        theirs.pk
    }
    assert shown(admin_client.get(url, {"session__course__strand__id__exact": equity.pk})) == {
        mine.pk
    }


def test_completion_filters_by_building_and_strand(admin_client, two_staff, two_strands):
    plain, special = two_staff
    equity, restorative = two_strands
    mine = f.CompletionFactory(staff=plain, course__strand=equity)
    theirs = f.CompletionFactory(staff=special, course__strand=restorative)
    url = admin_url(Completion, "changelist")
    assert shown(admin_client.get(url)) == {mine.pk, theirs.pk}
    assert shown(admin_client.get(url, {"staff__building__id__exact": plain.building_id})) == {
        mine.pk
    }
    assert shown(admin_client.get(url, {"course__strand__id__exact": restorative.pk})) == {
        theirs.pk
    }


def test_completion_voided_filter(admin_client):
    kept = f.CompletionFactory()
    voided = f.CompletionFactory(voided_at=timezone.now(), void_reason="Entered twice")
    url = admin_url(Completion, "changelist")
    assert shown(admin_client.get(url)) == {kept.pk, voided.pk}
    assert shown(admin_client.get(url, {"voided": "yes"})) == {voided.pk}
    assert shown(admin_client.get(url, {"voided": "no"})) == {kept.pk}


def test_goal_and_requirement_filter_by_plan_year(admin_client):
    this_year = f.RequirementFactory()
    next_year = f.RequirementFactory(goal__plan_year__name="2027-28")
    url = admin_url(this_year._meta.model, "changelist")
    params = {"goal__plan_year__id__exact": next_year.goal.plan_year_id}
    assert shown(admin_client.get(url, params)) == {next_year.pk}
    goals = admin_url(this_year.goal._meta.model, "changelist")
    params = {"plan_year__id__exact": this_year.goal.plan_year_id}
    assert shown(admin_client.get(goals, params)) == {this_year.goal_id}


def test_staff_autocomplete_finds_by_name(admin_client, two_staff):
    plain, special = two_staff
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "catalog",
            "model_name": "session",
            "field_name": "facilitators",
            "term": "pat",
        },
    )
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(special.pk)]


def test_enrollment_autocomplete_queries_do_not_grow_with_rows(admin_client):
    params = {"app_label": "enrollment", "model_name": "completion", "field_name": "enrollment"}
    url = reverse("admin:autocomplete")
    f.EnrollmentFactory.create_batch(2)
    admin_client.get(url, params)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url, params)
    f.EnrollmentFactory.create_batch(6)
    with CaptureQueriesContext(connection) as more:
        response = admin_client.get(url, params)
    assert len(response.json()["results"]) == 8
    assert len(more) == len(few)


# Secrets and records


def test_feed_token_key_is_never_shown(admin_client):
    token = f.FeedTokenFactory(fetch_count=7, last_client="Google-Calendar-Importer")
    pages = [
        admin_url(FeedToken, "changelist"),
        admin_url(FeedToken, "change", token.pk),
        admin_url(FeedToken, "history", token.pk),
        admin_url(FeedToken, "delete", token.pk),
        admin_url(token.staff._meta.model, "change", token.staff_id),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200
        assert token.key not in response.content.decode(), url
    change = admin_client.get(admin_url(FeedToken, "change", token.pk)).content.decode()
    assert "Google-Calendar-Importer" in change
    assert 'name="key"' not in change
    assert 'name="fetch_count"' not in change  # usage is shown, not editable


def test_feed_token_staff_cannot_be_moved_to_someone_else(admin_client):
    token = f.FeedTokenFactory()
    other = f.StaffMemberFactory()
    response = admin_client.post(
        admin_url(FeedToken, "change", token.pk), {"staff": other.pk, "_save": "Save"}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.staff_id != other.pk


def test_feed_tokens_are_not_added_in_the_admin(admin_client):
    # They follow each person's calendar delivery choice, made on their own page.
    staff = f.StaffMemberFactory(calendar_delivery="invitations")
    response = admin_client.post(admin_url(FeedToken, "add"), {"staff": staff.pk, "_save": "Save"})
    assert response.status_code == 403
    assert not FeedToken.objects.exists()


def test_feed_token_rotate_action_replaces_the_key_without_showing_it(admin_client):
    token = f.FeedTokenFactory()
    old_key = token.key
    response = admin_client.post(
        admin_url(FeedToken, "changelist"),
        {"action": "rotate_keys", "_selected_action": [token.pk]},
        follow=True,
    )
    token.refresh_from_db()
    assert token.key != old_key
    assert len(token.key) >= 43
    assert "Rotated 1 feed key" in response.content.decode()
    assert token.key not in response.content.decode()


@pytest.mark.parametrize("how", ["delete page", "bulk action"])
def test_deleting_a_feed_token_revokes_it_through_the_service(admin_client, monkeypatch, how):
    token, kept = f.FeedTokenFactory(), f.FeedTokenFactory()
    revoked = []
    revoke = calendar_services.feed_token_revoke

    def spy(*, token):
        revoked.append(token.pk)
        revoke(token=token)

    monkeypatch.setattr(calendar_services, "feed_token_revoke", spy)
    if how == "delete page":
        response = admin_client.post(admin_url(FeedToken, "delete", token.pk), {"post": "yes"})
    else:
        response = admin_client.post(
            admin_url(FeedToken, "changelist"),
            {"action": "delete_selected", "_selected_action": [token.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert revoked == [token.pk]
    assert not FeedToken.objects.filter(key=token.key).exists()
    assert FeedToken.objects.filter(pk=kept.pk).exists()


@pytest.mark.parametrize(
    "model", [StaffMember, Enrollment, Attendance, Evaluation, Completion, ImportRun], ids=label
)
def test_history_cannot_be_deleted(admin_client, model):
    obj = make(model)
    url = admin_url(model, "delete", obj.pk)
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    response = admin_client.get(admin_url(model, "changelist"))
    action_form = response.context["action_form"]  # None when no action is left at all
    actions = dict(action_form.fields["action"].choices) if action_form else {}
    assert "delete_selected" not in actions
    admin_client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk]}
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_catalog_can_be_deleted_unless_history_points_at_it(admin_client):
    unused = f.CourseFactory()
    offered = f.SessionFactory().course
    response = admin_client.post(admin_url(Course, "delete", unused.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Course.objects.filter(pk=unused.pk).exists()
    response = admin_client.post(admin_url(Course, "delete", offered.pk), {"post": "yes"})
    assert response.status_code == 200
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    assert Course.objects.filter(pk=offered.pk).exists()


def test_import_run_is_viewable_but_not_editable(admin_client):
    run = f.ImportRunFactory(counts={"created": 3}, errors=["row 4, column email: required"])
    url = admin_url(ImportRun, "change", run.pk)
    page = admin_client.get(url)
    content = page.content.decode()
    assert page.status_code == 200
    assert str(run) == "Staff roster import of roster.xlsx (Previewed)"
    assert str(run) in content
    assert "row 4, column email: required" in content
    assert 'name="_save"' not in content
    assert admin_client.post(url, {"file_name": "other.xlsx"}).status_code == 403
    run.refresh_from_db()
    assert run.file_name == "roster.xlsx"


@pytest.mark.parametrize(
    ("model", "change"),
    [
        (Enrollment, {"status": EnrollmentStatus.WITHDRAWN}),
        (Attendance, {"present": ""}),
        (Evaluation, {"comment": "Edited in the admin"}),
    ],
    ids=["enrollment", "attendance", "evaluation"],
)
def test_enrollment_records_are_viewable_but_not_added_or_changed(admin_client, model, change):
    obj = make(model)
    before = model.objects.filter(pk=obj.pk).values().get()
    assert shown(admin_client.get(admin_url(model, "changelist"))) == {obj.pk}

    page = admin_client.get(admin_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert str(obj) in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(admin_url(model, "change", obj.pk), change).status_code == 403
    assert model.objects.filter(pk=obj.pk).values().get() == before

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "add"), {}).status_code == 403
    assert model.objects.count() == 1


def test_completion_verification_code_and_timestamps_are_read_only(admin_client):
    completion = f.CompletionFactory()
    content = admin_client.get(admin_url(Completion, "change", completion.pk)).content.decode()
    assert completion.verification_code in content
    for field in ("verification_code", "created_at", "updated_at"):
        assert f'name="{field}"' not in content


def completion_form(completion: Completion, **changes) -> dict:
    return {
        "staff": completion.staff_id,
        "course": completion.course_id,
        "enrollment": "",
        "completed_on": completion.completed_on.isoformat(),
        "clock_hours": str(completion.clock_hours),
        "source": completion.source,
        "evidence": completion.evidence,
        "recorded_by": "",
        "_save": "Save",
    } | changes


def test_existing_completion_cannot_be_edited_only_its_evidence(admin_client):
    completion = f.CompletionFactory(clock_hours=Decimal("3.00"))
    url = admin_url(Completion, "change", completion.pk)
    content = admin_client.get(url).content.decode()
    for field in ("staff", "course", "completed_on", "clock_hours", "source", "void_reason"):
        assert f'name="{field}"' not in content, field
    assert 'name="evidence"' in content

    data = completion_form(
        completion,
        clock_hours="12.00",
        completed_on="2026-01-05",
        voided_at_0="2026-10-02",
        voided_at_1="09:00:00",
        void_reason="Typed over",
        evidence="Sign-in sheet",
    )
    assert admin_client.post(url, data).status_code == 302
    completion.refresh_from_db()
    assert completion.clock_hours == Decimal("3.00")
    assert completion.completed_on == dt.date(2026, 10, 1)
    assert (completion.voided_at, completion.void_reason) == (None, "")
    assert completion.evidence == "Sign-in sheet"


# A completion added in the admin is recorded by enrollment.services.completion_record.


def add_completion(client, **data):
    return client.post(admin_url(Completion, "add"), {"_save": "Save"} | data)


def test_the_add_page_offers_what_a_manual_completion_needs(admin_client):
    form = admin_client.get(admin_url(Completion, "add")).context["adminform"].form
    assert list(form.fields) == ["staff", "course", "completed_on", "clock_hours", "evidence"]


def test_a_completion_is_recorded_through_the_service(admin_client, admin_user):
    staff, course = f.StaffMemberFactory(), f.CourseFactory(clock_hours=Decimal("6.00"))
    data = {"staff": staff.pk, "course": course.pk, "completed_on": "2026-10-01"}

    response = add_completion(admin_client, **data, clock_hours="4.50", evidence=" MDE #4471 ")
    assert response.status_code == 302
    completion = Completion.objects.get(staff=staff, course=course)
    assert (
        completion.clock_hours,
        completion.evidence,
        completion.source,
        completion.recorded_by,
        completion.enrollment,
    ) == (Decimal("4.50"), "MDE #4471", "manual", admin_user, None)
    assert response.url == admin_url(Completion, "changelist")
    messages = [str(m) for m in admin_client.get(response.url).context["messages"]]
    assert any(str(completion) in message for message in messages)
    assert LogEntry.objects.get().object_id == str(completion.pk)

    # Blank hours: the course's.
    other = f.CourseFactory(clock_hours=Decimal("6.00"))
    data |= {"course": other.pk, "clock_hours": "", "evidence": "Agenda"}
    assert add_completion(admin_client, **data).status_code == 302
    assert Completion.objects.get(course=other).clock_hours == Decimal("6.00")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"evidence": "  "}, "evidence", r.MSG_EVIDENCE_REQUIRED),
        ({"completed_on": "2999-01-01"}, "completed_on", r.MSG_COMPLETED_ON_FUTURE),
        ({"clock_hours": "-1"}, "clock_hours", r.MSG_CLOCK_HOURS_INVALID),
        ({}, None, "already"),
    ],
    ids=["no evidence", "future", "negative hours", "same day twice"],
)
def test_a_refused_completion_shows_the_reason_and_saves_nothing(
    admin_client, changes, field, message
):
    existing = f.CompletionFactory(completed_on=dt.date(2026, 10, 1))
    course = existing.course if field is None else f.CourseFactory()
    data = {
        "staff": existing.staff_id,
        "course": course.pk,
        "completed_on": "2026-10-01",
        "clock_hours": "",
        "evidence": "Certificate",
    } | changes

    response = add_completion(admin_client, **data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    if field is None:
        message = r.MSG_COMPLETION_EXISTS.format(
            name=existing.staff.display_name,
            course=existing.course.code.upper(),
            day="October 1, 2026",
        )
        assert form.non_field_errors() == [message]
    else:
        assert form.errors[field] == [message]
    assert message in response.content.decode()
    assert list(Completion.objects.all()) == [existing]
    assert not LogEntry.objects.exists()


def void_action(client, completions, **data):
    return client.post(
        admin_url(Completion, "changelist"),
        {"action": "void_selected", "_selected_action": [c.pk for c in completions]} | data,
    )


def test_void_action_asks_for_a_reason_first(admin_client):
    completions = f.CompletionFactory.create_batch(2)
    response = void_action(admin_client, completions)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/confirm_with_reason.html"
    content = response.content.decode()
    assert 'name="reason"' in content
    for completion in completions:
        assert str(completion) in content
        assert f'name="_selected_action" value="{completion.pk}"' in content
    assert not Completion.objects.filter(voided_at__isnull=False).exists()


def test_void_action_voids_with_the_reason_and_records_who(admin_client, admin_user):
    completions = f.CompletionFactory.create_batch(2)
    kept = f.CompletionFactory()
    response = void_action(admin_client, completions, post="yes", reason="Entered twice")
    assert response.status_code == 302
    for completion in completions:
        completion.refresh_from_db()
        assert completion.is_voided
        assert (completion.voided_by, completion.void_reason) == (admin_user, "Entered twice")
    kept.refresh_from_db()
    assert not kept.is_voided
    messages = [str(m) for m in admin_client.get(response.url).context["messages"]]
    assert "Voided 2 completion(s)." in messages


def test_void_action_without_a_reason_shows_the_refusal(admin_client):
    completion = f.CompletionFactory()
    response = void_action(admin_client, [completion], post="yes", reason="  ")
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [MSG_VOID_NEEDS_REASON]
    completion.refresh_from_db()
    assert completion.voided_at is None


def test_void_action_reports_a_completion_already_voided_and_voids_the_others(
    admin_client, admin_user
):
    fresh = f.CompletionFactory()
    voided = f.CompletionFactory(voided_at=timezone.now(), void_reason="Entered twice")
    response = void_action(admin_client, [fresh, voided], post="yes", reason="Wrong course")
    assert response.status_code == 302
    messages = [str(m) for m in admin_client.get(response.url).context["messages"]]
    assert f"{voided}: {MSG_ALREADY_VOIDED}" in messages
    assert "Voided 1 completion(s)." in messages
    fresh.refresh_from_db()
    voided.refresh_from_db()
    assert (fresh.void_reason, fresh.voided_by) == ("Wrong course", admin_user)
    assert (voided.void_reason, voided.voided_by) == ("Entered twice", None)


# Meetings inside a session: read-only UID and sequence; the sequence rises with visible changes.


def test_session_page_shows_meetings_inline_with_uid_read_only(admin_client):
    meeting = f.MeetingFactory()
    content = admin_client.get(admin_url(Session, "change", meeting.session_id)).content.decode()
    assert meeting.uid in content
    assert 'name="meetings-0-starts_at_0"' in content
    assert 'name="meetings-0-uid"' not in content
    assert 'name="meetings-0-sequence"' not in content


def local_parts(value: dt.datetime) -> tuple[str, str]:
    value = timezone.localtime(value)
    return value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")


def session_form(session: Session, **changes) -> dict:
    meetings = list(session.meetings.order_by("starts_at", "id"))
    data = {
        "course": session.course_id,
        "title": session.title,
        "status": session.status,
        "building": session.building_id or "",
        "room": session.room,
        "virtual_url": session.virtual_url,
        "capacity": session.capacity,
        "registration_opens_at_0": "",
        "registration_opens_at_1": "",
        "registration_closes_at_0": "",
        "registration_closes_at_1": "",
        "restricted_to_group": "",
        "notes": session.notes,
        "meetings-TOTAL_FORMS": len(meetings),
        "meetings-INITIAL_FORMS": len(meetings),
        "meetings-MIN_NUM_FORMS": 0,
        "meetings-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    for i, meeting in enumerate(meetings):
        prefix = f"meetings-{i}-"
        starts, ends = local_parts(meeting.starts_at), local_parts(meeting.ends_at)
        data |= {
            f"{prefix}id": meeting.pk,
            f"{prefix}session": session.pk,
            f"{prefix}starts_at_0": starts[0],
            f"{prefix}starts_at_1": starts[1],
            f"{prefix}ends_at_0": ends[0],
            f"{prefix}ends_at_1": ends[1],
            f"{prefix}room": meeting.room,
            f"{prefix}status": meeting.status,
        }
    return data | changes


@pytest.fixture
def session_with_meetings():
    session = f.SessionFactory(room="Media Center")
    f.MeetingFactory(
        session=session, starts_at=f.local(2026, 10, 5, 16), ends_at=f.local(2026, 10, 5, 18)
    )
    f.MeetingFactory(
        session=session, starts_at=f.local(2026, 10, 12, 16), ends_at=f.local(2026, 10, 12, 18)
    )
    return session


def post_session(client, session: Session, data: dict) -> list[int]:
    response = client.post(admin_url(Session, "change", session.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    return list(session.meetings.order_by("starts_at", "id").values_list("sequence", flat=True))


def test_visible_session_change_raises_every_meeting_sequence(admin_client, session_with_meetings):
    session = session_with_meetings
    before = {m.pk: m.updated_at for m in session.meetings.all()}
    data = session_form(session, room="Library")
    assert post_session(admin_client, session, data) == [1, 1]
    for meeting in session.meetings.all():
        assert meeting.updated_at > before[meeting.pk]


def test_invisible_session_change_keeps_meeting_sequences(admin_client, session_with_meetings):
    session = session_with_meetings
    data = session_form(session, capacity=35)
    assert post_session(admin_client, session, data) == [0, 0]
    session.refresh_from_db()
    assert session.capacity == 35


def test_changed_meeting_in_the_inline_raises_only_its_sequence(
    admin_client, session_with_meetings
):
    session = session_with_meetings
    data = session_form(session, **{"meetings-1-starts_at_1": "15:00:00"})
    assert post_session(admin_client, session, data) == [0, 1]


def meeting_form(meeting: Meeting, **changes) -> dict:
    starts, ends = local_parts(meeting.starts_at), local_parts(meeting.ends_at)
    return {
        "session": meeting.session_id,
        "starts_at_0": starts[0],
        "starts_at_1": starts[1],
        "ends_at_0": ends[0],
        "ends_at_1": ends[1],
        "room": meeting.room,
        "_save": "Save",
    } | changes


def test_meeting_page_raises_sequence_on_visible_change_only(admin_client):
    meeting = f.MeetingFactory(starts_at=f.local(2026, 10, 5, 16), ends_at=f.local(2026, 10, 5, 18))
    url = admin_url(Meeting, "change", meeting.pk)
    data = meeting_form(meeting)
    assert admin_client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.sequence == 0
    assert admin_client.post(url, data | {"room": "Library"}).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.sequence, meeting.room) == (1, "Library")


def test_meeting_status_is_changed_only_by_the_cancel_action(admin_client):
    meeting = f.MeetingFactory()
    url = admin_url(Meeting, "change", meeting.pk)
    assert 'name="status"' not in admin_client.get(url).content.decode()
    data = meeting_form(meeting, status=MeetingStatus.CANCELLED)
    assert admin_client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == (MeetingStatus.SCHEDULED, 0)


def test_meetings_are_cancelled_never_deleted(admin_client):
    meeting = f.MeetingFactory()
    url = admin_url(Meeting, "delete", meeting.pk)
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    action_form = admin_client.get(admin_url(Meeting, "changelist")).context["action_form"]
    actions = dict(action_form.fields["action"].choices) if action_form else {}
    assert "delete_selected" not in actions
    admin_client.post(
        admin_url(Meeting, "changelist"),
        {"action": "delete_selected", "_selected_action": [meeting.pk], "post": "yes"},
    )
    # Deleting the session would take its meetings with it.
    session_url = admin_url(Session, "delete", meeting.session_id)
    assert "permission to delete the following types of objects" in (
        admin_client.get(session_url).content.decode()
    )
    assert admin_client.post(session_url, {"post": "yes"}).status_code == 403
    assert Meeting.objects.filter(pk=meeting.pk).exists()


def test_session_page_offers_no_way_to_delete_a_meeting(admin_client, session_with_meetings):
    session = session_with_meetings
    content = admin_client.get(admin_url(Session, "change", session.pk)).content.decode()
    assert 'name="meetings-0-starts_at_0"' in content
    assert "-DELETE" not in content
    data = session_form(session, **{"meetings-0-DELETE": "on"})
    assert post_session(admin_client, session, data) == [0, 0]


# Courses and buildings show in every event of their meetings: a visible change raises them all.


def course_form(course: Course, **changes) -> dict:
    return {
        "code": course.code,
        "title": course.title,
        "strand": course.strand_id,
        "summary": course.summary,
        "clock_hours": str(course.clock_hours),
        "format": course.format,
        "active": "on",
        "_save": "Save",
    } | changes


def test_course_title_change_raises_its_meetings_sequence(admin_client, session_with_meetings):
    course = session_with_meetings.course
    other = f.MeetingFactory()
    before = {m.pk: m.updated_at for m in Meeting.objects.filter(session__course=course)}
    url = admin_url(Course, "change", course.pk)

    assert (
        admin_client.post(url, course_form(course, title="Restorative Circles")).status_code == 302
    )
    meetings = Meeting.objects.filter(session__course=course)
    assert [m.sequence for m in meetings] == [1, 1]
    assert all(m.updated_at > before[m.pk] for m in meetings)
    course.refresh_from_db()
    assert course.title == "Restorative Circles"
    other.refresh_from_db()
    assert other.sequence == 0

    # The code is not in the events: no new sequence.
    assert admin_client.post(url, course_form(course, code="rc-101")).status_code == 302
    assert [m.sequence for m in meetings.all()] == [1, 1]


def test_building_address_change_raises_the_sequence_of_meetings_held_there(
    admin_client, session_with_meetings
):
    building = session_with_meetings.building
    other = f.MeetingFactory()
    url = admin_url(Building, "change", building.pk)
    data = {
        "code": building.code,
        "name": building.name,
        "kind": building.kind,
        "address": "1 New Rd, Birmingham, MI 48009",
        "active": "on",
        "_save": "Save",
    }
    assert admin_client.post(url, data).status_code == 302
    held_there = Meeting.objects.filter(session__building=building)
    assert [m.sequence for m in held_there] == [1, 1]
    other.refresh_from_db()
    assert other.sequence == 0


# Change pages with inlines: rows are joined, so the page costs the same for few and many rows.


def change_page_queries(client, url: str) -> int:
    client.get(url)  # fills per-process caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_session_change_page_queries_are_the_same_for_1_and_10_meetings(admin_client):
    session = f.SessionFactory()
    f.MeetingFactory(session=session)
    url = admin_url(Session, "change", session.pk)
    one = change_page_queries(admin_client, url)
    f.MeetingFactory.create_batch(9, session=session)
    ten = change_page_queries(admin_client, url)
    assert ten == one


def test_plan_change_page_queries_are_the_same_for_1_and_3_years(admin_client):
    plan = f.PlanFactory()
    f.PlanYearFactory(plan=plan, name="2025-26")
    url = admin_url(Plan, "change", plan.pk)
    one = change_page_queries(admin_client, url)
    f.PlanYearFactory(plan=plan, name="2026-27")
    f.PlanYearFactory(plan=plan, name="2027-28")
    three = change_page_queries(admin_client, url)
    assert three == one


def test_plan_year_change_page_queries_are_the_same_for_1_and_3_goals(admin_client):
    year = f.PlanYearFactory()
    f.GoalFactory(plan_year=year)
    url = admin_url(year._meta.model, "change", year.pk)
    one = change_page_queries(admin_client, url)
    f.GoalFactory.create_batch(2, plan_year=year)
    three = change_page_queries(admin_client, url)
    assert three == one


def test_goal_change_page_queries_are_the_same_for_1_and_3_plan_years(admin_client):
    goal = f.GoalFactory()
    url = admin_url(goal._meta.model, "change", goal.pk)
    one = change_page_queries(admin_client, url)
    f.PlanYearFactory.create_batch(2)  # more choices in the plan year select, each naming a plan
    three = change_page_queries(admin_client, url)
    assert three == one


@pytest.mark.parametrize("title", ["Complete CRT 101", ""], ids=["titled", "untitled"])
def test_goal_change_page_adds_only_the_autocomplete_lookup_per_requirement(admin_client, title):
    goal = f.GoalFactory()
    f.RequirementFactory(goal=goal, title=title)
    url = admin_url(goal._meta.model, "change", goal.pk)
    one = change_page_queries(admin_client, url)
    f.RequirementFactory.create_batch(2, goal=goal, title=title)
    three = change_page_queries(admin_client, url)
    # Django's autocomplete widget looks up each row's chosen course by itself; nothing else
    # (the row's name, its course and strand) costs a query per row.
    assert three - one == 2


# Actions through the enrollment services: withdraw, cancel a session, cancel a meeting.


def run_action(client, model, action: str, objects, **data):
    return client.post(
        admin_url(model, "changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]} | data,
    )


def messages_after(client, response) -> list[str]:
    assert response.status_code == 302, response.context and response.context["form"].errors
    return [str(m) for m in client.get(response.url).context["messages"]]


def sent(mailoutbox) -> list[tuple[list[str], str]]:
    return sorted((message.to, message.subject) for message in mailoutbox)


@pytest.fixture
def full_session():
    """Two seats taken, two people waiting."""
    session = f.SessionFactory(capacity=2)
    f.MeetingFactory(session=session)
    seated = f.EnrollmentFactory.create_batch(2, session=session)
    now = timezone.now()
    waiting = [
        f.EnrollmentFactory(
            session=session, status=EnrollmentStatus.WAITLISTED, requested_at=now - ago
        )
        for ago in (dt.timedelta(hours=2), dt.timedelta(hours=1))
    ]
    return session, seated, waiting


def test_withdraw_action_asks_for_an_optional_reason_first(admin_client, full_session):
    _, seated, _ = full_session
    response = run_action(admin_client, Enrollment, "withdraw_selected", seated)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/confirm_with_reason.html"
    content = response.content.decode()
    assert 'name="reason"' in content
    for enrollment in seated:
        assert str(enrollment) in content
        assert f'name="_selected_action" value="{enrollment.pk}"' in content
    assert "Withdraw 2 enrollments" in content
    assert not Enrollment.objects.filter(status=EnrollmentStatus.WITHDRAWN).exists()


def test_withdraw_action_withdraws_and_promotes_the_waitlist(
    admin_client, admin_user, full_session, django_capture_on_commit_callbacks, mailoutbox
):
    session, seated, waiting = full_session

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            admin_client, Enrollment, "withdraw_selected", seated[:1], post="yes", reason=""
        )

    assert "Withdrew 1 enrollment(s); freed seats went to the waitlist." in messages_after(
        admin_client, response
    )
    withdrawn = Enrollment.objects.get(pk=seated[0].pk)
    assert (withdrawn.status, withdrawn.acted_by) == (EnrollmentStatus.WITHDRAWN, admin_user)
    statuses = [Enrollment.objects.get(pk=e.pk).status for e in waiting]
    assert statuses == [EnrollmentStatus.ENROLLED, EnrollmentStatus.WAITLISTED]
    assert sent(mailoutbox) == sorted(
        [
            ([seated[0].staff.email], f"You are withdrawn from {session}"),
            ([waiting[0].staff.email], f"A seat opened for you: {session}"),
        ]
    )


def test_withdraw_action_reports_refusals_row_by_row(admin_client, full_session):
    session, seated, waiting = full_session
    done = f.EnrollmentFactory(status=EnrollmentStatus.COMPLETED)

    response = run_action(
        admin_client,
        Enrollment,
        "withdraw_selected",
        [done, seated[1]],
        post="yes",
        reason="Left the building",
    )

    messages = messages_after(admin_client, response)
    assert f"{done}: {r.MSG_NOT_WITHDRAWABLE.format(status='completed')}" in messages
    assert "Withdrew 1 enrollment(s); freed seats went to the waitlist." in messages
    assert Enrollment.objects.get(pk=done.pk).status == EnrollmentStatus.COMPLETED
    withdrawn = Enrollment.objects.get(pk=seated[1].pk)
    assert (withdrawn.status, withdrawn.decision_reason) == (
        EnrollmentStatus.WITHDRAWN,
        "Left the building",
    )
    assert Enrollment.objects.get(pk=waiting[0].pk).status == EnrollmentStatus.ENROLLED


def test_session_cancel_action_needs_a_reason(admin_client, full_session):
    session, seated, _ = full_session
    page = run_action(admin_client, Session, "cancel_selected", [session])
    assert page.status_code == 200
    assert str(session) in page.content.decode()

    response = run_action(admin_client, Session, "cancel_selected", [session], post="yes")

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [r.MSG_CANCEL_NEEDS_REASON]
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED
    assert {e.status for e in Enrollment.objects.filter(session=session)} == {
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.WAITLISTED,
    }
    assert session.meetings.get().sequence == 0


def test_session_cancel_action_cancels_enrollments_and_tells_them(
    admin_client, full_session, django_capture_on_commit_callbacks, mailoutbox
):
    session, seated, waiting = full_session
    cancelled_before = f.SessionFactory(status=SessionStatus.CANCELLED)

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            admin_client,
            Session,
            "cancel_selected",
            [session, cancelled_before],
            post="yes",
            reason="The facilitator is ill",
        )

    messages = messages_after(admin_client, response)
    assert f"{cancelled_before}: {r.MSG_ALREADY_CANCELLED}" in messages
    assert "Cancelled 1 session(s); 4 enrollment(s) cancelled and the people told." in messages
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.meetings.get().sequence == 1
    assert {e.status for e in Enrollment.objects.filter(session=session)} == {
        EnrollmentStatus.CANCELLED
    }
    assert sent(mailoutbox) == sorted(
        ([e.staff.email], f"Cancelled: {session}") for e in (*seated, *waiting)
    )


@pytest.mark.parametrize("page", ["add", "change"])
def test_the_session_form_does_not_cancel_a_session(admin_client, full_session, page):
    session, *_ = full_session
    data = session_form(session, status=SessionStatus.CANCELLED)
    if page == "add":
        data |= {"meetings-TOTAL_FORMS": 0, "meetings-INITIAL_FORMS": 0}
        url = admin_url(Session, "add")
    else:
        url = admin_url(Session, "change", session.pk)

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"] == [MSG_CANCEL_WITH_THE_ACTION]
    assert Session.objects.count() == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.PUBLISHED


def test_a_cancelled_session_can_still_be_edited(admin_client):
    session = f.SessionFactory(status=SessionStatus.CANCELLED)
    data = session_form(session, notes="Moved to the spring")
    assert admin_client.post(admin_url(Session, "change", session.pk), data).status_code == 302


def test_raising_the_capacity_promotes_the_waitlist(
    admin_client, full_session, django_capture_on_commit_callbacks, mailoutbox
):
    session, _, waiting = full_session

    with django_capture_on_commit_callbacks(execute=True):
        post_session(admin_client, session, session_form(session, capacity=3))

    assert [Enrollment.objects.get(pk=e.pk).status for e in waiting] == [
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.WAITLISTED,
    ]
    assert sent(mailoutbox) == [([waiting[0].staff.email], f"A seat opened for you: {session}")]


def test_lowering_the_capacity_moves_nobody(admin_client, full_session, mailoutbox):
    session, seated, waiting = full_session
    post_session(admin_client, session, session_form(session, capacity=1))
    assert {Enrollment.objects.get(pk=e.pk).status for e in seated} == {EnrollmentStatus.ENROLLED}
    assert {Enrollment.objects.get(pk=e.pk).status for e in waiting} == {
        EnrollmentStatus.WAITLISTED
    }


@pytest.fixture
def taken_session(session_with_meetings):
    session = session_with_meetings
    f.EnrollmentFactory(session=session, staff=f.StaffMemberFactory(email="amy@example.org"))
    f.EnrollmentFactory(session=session, status=EnrollmentStatus.WITHDRAWN)
    return session


@pytest.mark.parametrize(
    ("changes", "told"),
    [
        ({"room": "Library"}, "the room is now Library"),
        (
            {"meetings-1-starts_at_1": "15:00:00", "meetings-1-ends_at_1": "17:00:00"},
            "the meeting of Monday, October 12, 2026, 4:00 PM now runs "
            "Monday, October 12, 2026, 3:00 PM to 5:00 PM",
        ),
        (
            {"room": "Library", "meetings-0-room": "Gym"},
            "the room is now Library; the meeting of Monday, October 5, 2026, 4:00 PM is now "
            "in Gym",
        ),
        ({"notes": "Bring a laptop"}, None),
        ({"capacity": 40}, None),
    ],
    ids=["room", "meeting time", "room and meeting room", "notes", "capacity"],
)
def test_participants_are_told_when_time_or_place_changes(
    admin_client, taken_session, django_capture_on_commit_callbacks, mailoutbox, changes, told
):
    session = taken_session

    with django_capture_on_commit_callbacks(execute=True):
        post_session(admin_client, session, session_form(session, **changes))

    if told is None:
        assert mailoutbox == []
    else:
        assert sent(mailoutbox) == [(["amy@example.org"], f"Changed: {session}")]
        assert f"has changed: {told}." in mailoutbox[0].body


def test_a_meeting_moved_on_its_own_page_is_told_too(
    admin_client, taken_session, django_capture_on_commit_callbacks, mailoutbox
):
    meeting = taken_session.meetings.order_by("starts_at").first()
    url = admin_url(Meeting, "change", meeting.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, meeting_form(meeting, room="Gym"))

    assert response.status_code == 302
    assert sent(mailoutbox) == [(["amy@example.org"], f"Changed: {taken_session}")]
    assert "the meeting of Monday, October 5, 2026, 4:00 PM is now in Gym" in mailoutbox[0].body


def test_the_meeting_inline_shows_status_read_only(admin_client, session_with_meetings):
    session = session_with_meetings
    content = admin_client.get(admin_url(Session, "change", session.pk)).content.decode()
    assert 'name="meetings-0-status"' not in content
    data = session_form(session, **{"meetings-0-status": MeetingStatus.CANCELLED})
    assert post_session(admin_client, session, data) == [0, 0]
    assert set(session.meetings.values_list("status", flat=True)) == {MeetingStatus.SCHEDULED}


def test_meeting_cancel_action_needs_a_reason(admin_client, taken_session):
    meeting = taken_session.meetings.first()
    page = run_action(admin_client, Meeting, "cancel_selected", [meeting])
    assert page.status_code == 200
    assert "Cancel 1 meeting" in page.content.decode()

    response = run_action(admin_client, Meeting, "cancel_selected", [meeting], post="yes")

    assert response.context["form"].errors["reason"] == [r.MSG_CANCEL_NEEDS_REASON]
    meeting.refresh_from_db()
    assert (meeting.status, meeting.sequence) == (MeetingStatus.SCHEDULED, 0)


def test_meeting_cancel_action_cancels_and_tells_the_participants(
    admin_client, taken_session, django_capture_on_commit_callbacks, mailoutbox
):
    first, second = taken_session.meetings.order_by("starts_at")
    second.status = MeetingStatus.CANCELLED
    second.save()

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            admin_client, Meeting, "cancel_selected", [first, second], post="yes", reason="Snow"
        )

    messages = messages_after(admin_client, response)
    assert f"{second}: {r.MSG_ALREADY_CANCELLED}" in messages
    assert "Cancelled 1 meeting(s); the participants were told." in messages
    first.refresh_from_db()
    assert (first.status, first.sequence) == (MeetingStatus.CANCELLED, 1)
    assert sent(mailoutbox) == [(["amy@example.org"], f"A meeting is cancelled: {taken_session}")]
    assert "Snow" in mailoutbox[0].body


def test_admin_refuses_a_requirement_due_outside_its_plan_year(admin_client):
    goal = f.GoalFactory()
    year = goal.plan_year
    course = f.CourseFactory()
    data = {
        "goal": goal.pk,
        "title": "",
        "kind": "course",
        "course": course.pk,
        "target_percent": 80,
        "due_on": (year.ends_on + dt.timedelta(days=1)).isoformat(),
    }

    response = admin_client.post(reverse("admin:learning_requirement_add"), data)

    assert response.status_code == 200
    assert not Requirement.objects.exists()
    (message,) = plan_services.requirement_due_errors(
        Requirement(goal=goal, due_on=year.ends_on + dt.timedelta(days=1))
    )["due_on"]
    assert message in response.content.decode()


def test_admin_refuses_a_plan_year_overlapping_another(admin_client):
    year = f.PlanYearFactory()
    data = {
        "plan": year.plan_id,
        "name": "Overlap",
        "starts_on": year.starts_on.isoformat(),
        "ends_on": year.ends_on.isoformat(),
        "goals-TOTAL_FORMS": 0,
        "goals-INITIAL_FORMS": 0,
    }

    response = admin_client.post(reverse("admin:learning_planyear_add"), data)

    assert response.status_code == 200
    assert "overlap the plan year" in response.content.decode()
    assert PlanYear.objects.filter(plan=year.plan).count() == 1


# A change in the district's admin that calendars show reaches the catalog's events (through
# learning.signals, which the catalog answers in catalog/receivers.py).


def sequences(session) -> list[int]:
    return list(session.meetings.order_by("starts_at", "id").values_list("sequence", flat=True))


def post_as_shown(client, model, pk, **changes):
    url = admin_url(model, "change", pk)
    data = posted_as_shown(client.get(url).content.decode()) | changes | {"_save": "Save"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]


def test_renaming_a_building_in_the_admin_raises_its_meetings_sequence(
    admin_client, session_with_meetings
):
    building = f.BuildingFactory()
    session_with_meetings.building = building
    session_with_meetings.save()

    post_as_shown(admin_client, Building, building.pk, kind="high")
    assert sequences(session_with_meetings) == [0, 0]  # the kind is not in the events

    post_as_shown(admin_client, Building, building.pk, name="Seaholm High School (new wing)")
    assert sequences(session_with_meetings) == [1, 1]


def test_renaming_a_facilitator_in_the_admin_raises_their_meetings_sequence(
    admin_client, session_with_meetings
):
    facilitator = f.StaffMemberFactory()
    session_with_meetings.facilitators.add(facilitator)

    post_as_shown(admin_client, StaffMember, facilitator.pk, last_name="Okafor-Reyes")

    assert sequences(session_with_meetings) == [1, 1]
