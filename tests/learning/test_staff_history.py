"""The history of where people work (learning.services.staff_assignments_record) and the two
writers that keep it: the roster import's commit and the staff record in the admin."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from imports import services as import_services
from learning.choices import StaffStatus
from learning.models import StaffAssignment, StaffMember
from learning.services import staff_assignments_record, staff_placements
from tests import factories as f
from tests.imports.conftest import csv_bytes, person_row

pytestmark = pytest.mark.django_db

ACTIVE, ON_LEAVE, SEPARATED = StaffStatus.ACTIVE, StaffStatus.ON_LEAVE, StaffStatus.SEPARATED
HIRED = dt.date(2020, 8, 20)  # the factory's hire date


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def places():
    return {
        "A": f.BuildingFactory(code="maple", name="Maple Elementary"),
        "B": f.BuildingFactory(code="oak", name="Oak Middle"),
        "C": f.BuildingFactory(code="elm", name="Elm High"),
        "teacher": f.PositionFactory(code="teacher", name="Teacher"),
        "counselor": f.PositionFactory(code="counselor", name="Counselor", category="support"),
    }


def person(places, building="A", **fields):
    return f.StaffMemberFactory(building=places[building], position=places["teacher"], **fields)


def change(people, *, on: dt.date | None, **fields) -> int:
    """Change every person's record the same way and record the history in one call."""
    people = people if isinstance(people, list) else [people]
    before = staff_placements([p.pk for p in people])
    for staff in people:
        for name, value in fields.items():
            setattr(staff, name, value)
        staff.save()
    return staff_assignments_record(before=before, on=on)


def history(staff) -> list[tuple]:
    """(starts_on, ends_on, building code, position code, status), oldest first."""
    return [
        (row.starts_on, row.ends_on, row.building.code, row.position.code, row.status)
        for row in StaffAssignment.objects.filter(staff=staff)
        .select_related("building", "position")
        .order_by(F("starts_on").asc(nulls_first=True))
    ]


def test_the_first_change_records_the_stretch_before_it_and_the_new_one(places):
    staff = person(places, "A")

    changed = change(staff, on=d("2026-09-01"), building=places["B"])

    assert changed == 1
    assert history(staff) == [
        (HIRED, d("2026-09-01"), "maple", "teacher", ACTIVE),
        (d("2026-09-01"), None, "oak", "teacher", ACTIVE),
    ]


def test_without_a_hire_date_the_first_stretch_has_no_start(places):
    staff = person(places, "A", hired_on=None)

    change(staff, on=d("2026-09-01"), building=places["B"])

    assert history(staff)[0] == (None, d("2026-09-01"), "maple", "teacher", ACTIVE)


def test_later_changes_close_the_current_stretch_and_open_the_next(places):
    staff = person(places, "A")
    change(staff, on=d("2026-09-01"), building=places["B"])

    change(staff, on=d("2026-11-15"), position=places["counselor"])
    change(staff, on=d("2027-01-04"), status=ON_LEAVE)

    assert history(staff) == [
        (HIRED, d("2026-09-01"), "maple", "teacher", ACTIVE),
        (d("2026-09-01"), d("2026-11-15"), "oak", "teacher", ACTIVE),
        (d("2026-11-15"), d("2027-01-04"), "oak", "counselor", ACTIVE),
        (d("2027-01-04"), None, "oak", "counselor", ON_LEAVE),
    ]


def test_a_second_change_on_the_same_day_replaces_the_first(places):
    staff = person(places, "A")
    change(staff, on=d("2026-09-01"), building=places["B"])

    change(staff, on=d("2026-09-01"), building=places["C"])

    assert history(staff) == [
        (HIRED, d("2026-09-01"), "maple", "teacher", ACTIVE),
        (d("2026-09-01"), None, "elm", "teacher", ACTIVE),
    ]


def test_a_separation_with_a_past_last_day_starts_the_day_after_it(places):
    staff = person(places, "A")

    change(staff, on=d("2026-09-10"), status=SEPARATED, separated_on=d("2026-08-31"))

    assert history(staff) == [
        (HIRED, d("2026-09-01"), "maple", "teacher", ACTIVE),
        (d("2026-09-01"), None, "maple", "teacher", SEPARATED),
    ]


def test_a_separation_recorded_on_the_last_day_starts_the_day_after_it(places):
    # separated_on is the last day worked: the report counts the person on it (someone
    # separated on a due date is in its denominator), so the history must say active that day
    # too. Recorded on the last day itself, the separated stretch must still start the next day.
    staff = person(places, "A")

    change(staff, on=d("2026-08-31"), status=SEPARATED, separated_on=d("2026-08-31"))

    assert history(staff) == [
        (HIRED, d("2026-09-01"), "maple", "teacher", ACTIVE),
        (d("2026-09-01"), None, "maple", "teacher", SEPARATED),
    ]


def test_a_separation_without_a_date_starts_on_the_day_it_is_recorded(places):
    staff = person(places, "A")

    change(staff, on=d("2026-09-10"), status=SEPARATED)

    assert history(staff)[-1] == (d("2026-09-10"), None, "maple", "teacher", SEPARATED)


def test_people_who_did_not_change_write_nothing(places):
    staff = person(places, "A")
    before = staff_placements([staff.pk])
    staff.first_name = "Renamed"
    staff.save()

    assert staff_assignments_record(before=before, on=d("2026-09-01")) == 0
    assert not StaffAssignment.objects.exists()


def test_only_the_people_who_changed_are_recorded(places):
    moved, stayed = person(places, "A"), person(places, "A")
    before = staff_placements([moved.pk, stayed.pk])
    moved.building = places["B"]
    moved.save()

    assert staff_assignments_record(before=before, on=d("2026-09-01")) == 1
    assert set(StaffAssignment.objects.values_list("staff_id", flat=True)) == {moved.pk}


@pytest.mark.parametrize("already_moved", [False, True], ids=["first change", "later change"])
def test_query_count_does_not_grow_with_the_number_of_people(places, already_moved):
    def move_all(people, building, on) -> int:
        before = staff_placements([p.pk for p in people])
        StaffMember.objects.filter(pk__in=[p.pk for p in people]).update(building=building)
        with CaptureQueriesContext(connection) as queries:
            assert staff_assignments_record(before=before, on=on) == len(people)
        return len(queries)

    one = [person(places, "A")]
    many = [person(places, "A") for _ in range(20)]
    if already_moved:
        move_all(one, places["B"], d("2026-09-01"))
        move_all(many, places["B"], d("2026-09-01"))

    small = move_all(one, places["C"], d("2026-10-01"))
    large = move_all(many, places["C"], d("2026-10-01"))

    assert small == large
    assert history(many[-1])[-1] == (d("2026-10-01"), None, "elm", "teacher", ACTIVE)
    assert StaffAssignment.objects.filter(ends_on__isnull=True).count() == 21


def test_the_roster_import_commit_records_a_building_move(places):
    moved = person(
        places,
        "A",
        employee_id="900001",
        first_name="First1",
        last_name="Last1",
        email="person1@bps.example.org",
    )
    stayed = person(
        places,
        "A",
        employee_id="900002",
        first_name="First2",
        last_name="Last2",
        email="person2@bps.example.org",
    )
    rows = [person_row(1, building="oak"), person_row(2, building="maple")]

    result = import_services.roster_preview(
        source=csv_bytes(rows), file_name="roster.csv", actor=None
    )
    assert not StaffAssignment.objects.exists()  # a preview writes no history
    import_services.roster_commit(run=result.run, actor=None)

    today = timezone.localdate()
    assert history(moved) == [
        (HIRED, today, "maple", "teacher", ACTIVE),
        (today, None, "oak", "teacher", ACTIVE),
    ]
    assert history(stayed) == []


def test_saving_a_staff_member_in_the_admin_with_a_new_building_records_it(client, places):
    client.force_login(f.login_for(None, superuser=True))
    staff = person(places, "A", employee_id="E1", first_name="Ada", last_name="Byron")
    data = {
        "employee_id": "E1",
        "first_name": "Ada",
        "last_name": "Byron",
        "preferred_name": "",
        "email": staff.email,
        "building": places["B"].pk,
        "position": places["teacher"].pk,
        "status": ACTIVE,
        "hired_on": HIRED.isoformat(),
        "separated_on": "",
        "leads_buildings": [],
        "user": "",
        "assignments-TOTAL_FORMS": 0,
        "assignments-INITIAL_FORMS": 0,
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    url = reverse("admin:learning_staffmember_change", args=[staff.pk])

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    today = timezone.localdate()
    assert history(staff) == [
        (HIRED, today, "maple", "teacher", ACTIVE),
        (today, None, "oak", "teacher", ACTIVE),
    ]
    # Saved again without a change: nothing more is written.
    data |= {
        "assignments-TOTAL_FORMS": 2,
        "assignments-INITIAL_FORMS": 2,
        **{
            f"assignments-{i}-{name}": value
            for i, row in enumerate(StaffAssignment.objects.filter(staff=staff).order_by("pk"))
            for name, value in (("id", row.pk), ("staff", staff.pk))
        },
    }
    assert client.post(url, data).status_code == 302
    assert StaffAssignment.objects.filter(staff=staff).count() == 2
