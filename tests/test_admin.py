"""The admin: every page opens, filters and search narrow, secrets stay hidden, history is not
deleted, and changelists cost the same number of queries for 5 rows as for 30."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars import services as calendar_services
from calendars.models import FeedToken
from catalog.choices import MeetingStatus, SessionStatus
from catalog.models import Course, Meeting, Session
from enrollment.choices import EnrollmentSource, EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation
from enrollment.services import COMPLETION_ALREADY_VOIDED, COMPLETION_VOID_NEEDS_REASON
from imports.models import ImportRun
from learning.choices import StaffStatus
from learning.models import Building, Plan, StaffMember
from tests import factories as f

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


def test_a_completion_can_still_be_recorded_with_its_hours(admin_client):
    staff, course = f.StaffMemberFactory(), f.CourseFactory()
    data = {
        "staff": staff.pk,
        "course": course.pk,
        "completed_on": "2026-10-01",
        "clock_hours": "4.50",
        "source": "manual",
        "_save": "Save",
    }
    assert admin_client.post(admin_url(Completion, "add"), data).status_code == 302
    assert Completion.objects.get(staff=staff, course=course).clock_hours == Decimal("4.50")


def void_action(client, completions, **data):
    return client.post(
        admin_url(Completion, "changelist"),
        {"action": "void_selected", "_selected_action": [c.pk for c in completions]} | data,
    )


def test_void_action_asks_for_a_reason_first(admin_client):
    completions = f.CompletionFactory.create_batch(2)
    response = void_action(admin_client, completions)
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "admin/enrollment/completion/void.html"
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
    assert response.context["form"].errors["reason"] == [COMPLETION_VOID_NEEDS_REASON]
    completion.refresh_from_db()
    assert completion.voided_at is None


def test_void_action_voids_none_when_one_is_already_voided(admin_client, admin_user):
    fresh = f.CompletionFactory()
    voided = f.CompletionFactory(voided_at=timezone.now(), void_reason="Entered twice")
    response = void_action(admin_client, [fresh, voided], post="yes", reason="Wrong course")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [f"{voided}: {COMPLETION_ALREADY_VOIDED}"]
    fresh.refresh_from_db()
    voided.refresh_from_db()
    assert fresh.voided_at is None
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


def test_meeting_page_raises_sequence_on_visible_change_only(admin_client):
    meeting = f.MeetingFactory(starts_at=f.local(2026, 10, 5, 16), ends_at=f.local(2026, 10, 5, 18))
    url = admin_url(Meeting, "change", meeting.pk)
    data = {
        "session": meeting.session_id,
        "starts_at_0": "2026-10-05",
        "starts_at_1": "16:00:00",
        "ends_at_0": "2026-10-05",
        "ends_at_1": "18:00:00",
        "room": "",
        "status": MeetingStatus.SCHEDULED,
        "_save": "Save",
    }
    assert admin_client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.sequence == 0
    assert admin_client.post(url, data | {"status": MeetingStatus.CANCELLED}).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.sequence, meeting.status) == (1, MeetingStatus.CANCELLED)


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
