"""The progress engine (plan.progress) against fixtures small enough to count by hand: who is
in a requirement's denominator on its count date (hires, separations, leave, moves), which
completions count, the rates by building, position, goal and strand, the status rules, the
trend, scope and filters, the number of queries, and the next sessions offered.

Every report is taken with an explicit as_of. The plan year is the factories' 2026-27 (July 1,
2026 to June 30, 2027) unless a test says otherwise."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.choices import SessionStatus
from enrollment.choices import EnrollmentStatus
from learning.choices import RequirementKind, StaffStatus
from learning.services import staff_assignments_record, staff_placements
from plan.progress import (
    AT_RISK_POINTS,
    Filters,
    PersonState,
    Scope,
    Status,
    next_sessions,
    people_of,
    progress_report,
    progress_totals,
    requirements_of,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

ACTIVE, ON_LEAVE, SEPARATED = StaffStatus.ACTIVE, StaffStatus.ON_LEAVE, StaffStatus.SEPARATED
COMPLETED, LATE = PersonState.COMPLETED, PersonState.LATE
ENROLLED, MISSING = PersonState.ENROLLED, PersonState.MISSING

YEAR_START = dt.date(2026, 7, 1)
DUE = dt.date(2027, 3, 31)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def year():
    return f.PlanYearFactory(starts_on=YEAR_START, ends_on=dt.date(2027, 6, 30))


@pytest.fixture
def places():
    """Two buildings and two positions."""
    return {
        "A": f.BuildingFactory(code="a", name="Adams Elementary"),
        "B": f.BuildingFactory(code="b", name="Baker Middle"),
        "teacher": f.PositionFactory(code="teacher"),
        "counselor": f.PositionFactory(code="counselor", category="support"),
    }


def requirement(year, *, course=None, positions=(), buildings=(), groups=(), **fields):
    goal = fields.pop("goal", None) or f.GoalFactory(plan_year=year)
    fields.setdefault("due_on", DUE)
    fields.setdefault("target_percent", 80)
    if fields.get("kind") != RequirementKind.CLOCK_HOURS:
        fields["course"] = course or f.CourseFactory()
    else:
        fields["course"] = None
    made = f.RequirementFactory(goal=goal, **fields)
    made.audience_positions.set(positions)
    made.audience_buildings.set(buildings)
    made.audience_groups.set(groups)
    return made


def person(places, building="A", position="teacher", **fields):
    return f.StaffMemberFactory(
        building=places[building] if building else None,
        position=places[position] if position else None,
        **fields,
    )


def change(staff, *, on: dt.date, **fields):
    """Change a person's record and record the history, as the roster import and admin do."""
    before = staff_placements([staff.pk])
    for name, value in fields.items():
        setattr(staff, name, value)
    staff.save()
    staff_assignments_record(before=before, on=on)


def report(as_of, **filters):
    scope = filters.pop("scope", Scope())
    return progress_report(scope=scope, filters=Filters(**filters), as_of=as_of)


def item(result, req):
    (found,) = [r for r in result.requirements if r.requirement.pk == req.pk]
    return found


def counted(result, req) -> set[int]:
    return {entry.staff_id for entry in item(result, req).entries}


def states(result, req) -> dict[int, PersonState]:
    return {entry.staff_id: entry.state for entry in item(result, req).entries}


def complete(staff, course, on: str, hours="3.00", **fields):
    return f.CompletionFactory(
        staff=staff, course=course, completed_on=d(on), clock_hours=Decimal(hours), **fields
    )


# The denominator: who is counted on the count date


def test_denominator_on_the_due_date_hires_separations_and_leave(year, places):
    # Due 2027-03-31, looked at on 2027-04-15: the count date is the due date.
    req = requirement(year)
    hired_after = person(places, hired_on=d("2027-04-01"))  # out: hired after the due date
    hired_on_due = person(places, hired_on=DUE)  # in
    separated_before = person(places, status=SEPARATED, separated_on=d("2027-03-30"))  # out
    separated_on_due = person(places, status=SEPARATED, separated_on=DUE)  # in: last day
    separated_after = person(places, status=SEPARATED, separated_on=d("2027-04-10"))  # in
    separated_undated = person(places, status=SEPARATED, separated_on=None)  # out
    on_leave_now = person(places, status=ON_LEAVE)  # out: no history, on leave
    leave_after_due = person(places)
    change(leave_after_due, on=d("2027-04-05"), status=ON_LEAVE)  # in: active on the due date
    leave_before_due = person(places)
    change(leave_before_due, on=d("2027-02-01"), status=ON_LEAVE)  # out: on leave by then
    back_from_leave = person(places, status=ON_LEAVE)
    change(back_from_leave, on=d("2027-03-01"), status=ACTIVE)  # in: back before the due date
    plain = person(places)  # in

    result = report(d("2027-04-15"))

    progress = item(result, req)
    assert progress.count_date == DUE
    assert progress.due
    assert counted(result, req) == {
        hired_on_due.pk,
        separated_on_due.pk,
        separated_after.pk,
        leave_after_due.pk,
        back_from_leave.pk,
        plain.pk,
    }
    assert progress.tally.audience == 6
    assert {hired_after.pk, separated_before.pk, separated_undated.pk, on_leave_now.pk}.isdisjoint(
        counted(result, req)
    )
    assert leave_before_due.pk not in counted(result, req)


def test_a_requirement_not_yet_due_counts_on_the_as_of_date(year, places):
    # Due 2027-03-31, looked at on 2027-01-15: the count date is 2027-01-15.
    req = requirement(year)
    hired_later = person(places, hired_on=d("2027-02-01"))  # hired before the due, after today
    separated_since = person(places, status=SEPARATED, separated_on=d("2027-01-10"))
    leaving_later = person(places, status=SEPARATED, separated_on=d("2027-02-28"))
    on_leave_since = person(places)
    change(on_leave_since, on=d("2027-01-05"), status=ON_LEAVE)
    on_leave_later = person(places)
    change(on_leave_later, on=d("2027-02-05"), status=ON_LEAVE)

    result = report(d("2027-01-15"))

    assert item(result, req).count_date == d("2027-01-15")
    assert not item(result, req).due
    assert counted(result, req) == {leaving_later.pk, on_leave_later.pk}
    assert {hired_later.pk, separated_since.pk, on_leave_since.pk}.isdisjoint(counted(result, req))


def test_a_separation_recorded_on_or_before_the_last_day_still_counts_that_day(year, places):
    # Due 2027-03-31. Both separations are entered on the due date itself, which the history
    # starts the separated stretch from: the last day (separated_on) still counts, as it does
    # without history.
    req = requirement(year)
    last_day_on_due = person(places)
    change(last_day_on_due, on=DUE, status=SEPARATED, separated_on=DUE)
    leaving_next_month = person(places, "B")
    change(leaving_next_month, on=DUE, status=SEPARATED, separated_on=d("2027-04-30"))
    left_before = person(places)
    change(left_before, on=DUE, status=SEPARATED, separated_on=d("2027-03-15"))
    on_leave_then_separated = person(places)
    change(on_leave_then_separated, on=d("2027-01-10"), status=ON_LEAVE)
    change(on_leave_then_separated, on=DUE, status=SEPARATED, separated_on=DUE)

    result = report(d("2027-06-01"))

    assert {e.staff_id: e.building_id for e in item(result, req).entries} == {
        last_day_on_due.pk: places["A"].pk,
        leaving_next_month.pk: places["B"].pk,
    }
    assert counted(report(d("2027-04-15"), scope=Scope(frozenset({places["B"].pk}))), req) == {
        leaving_next_month.pk
    }


def test_a_person_who_moved_counts_where_they_were_on_each_due_date(year, places):
    before_move = requirement(year, due_on=d("2026-12-15"))
    after_move = requirement(year, due_on=d("2027-03-01"))
    in_a_before = requirement(year, due_on=d("2026-12-15"), buildings=[places["A"]])
    in_a_after = requirement(year, due_on=d("2027-03-01"), buildings=[places["A"]])
    in_b_after = requirement(year, due_on=d("2027-03-01"), buildings=[places["B"]])
    mover = person(places, "A")
    change(mover, on=d("2027-01-10"), building=places["B"])

    result = report(d("2027-04-01"))

    # Building A until 2027-01-09, B from 2027-01-10.
    (entry,) = item(result, before_move).entries
    assert (entry.staff_id, entry.building_id) == (mover.pk, places["A"].pk)
    (entry,) = item(result, after_move).entries
    assert (entry.staff_id, entry.building_id) == (mover.pk, places["B"].pk)
    assert item(result, before_move).by_building[places["A"].pk].audience == 1
    assert places["B"].pk not in item(result, before_move).by_building
    assert counted(result, in_a_before) == {mover.pk}
    assert counted(result, in_a_after) == set()
    assert counted(result, in_b_after) == {mover.pk}

    # A leader of A sees them for the December requirement only.
    scoped = report(d("2027-04-01"), scope=Scope(frozenset({places["A"].pk})))
    assert counted(scoped, before_move) == {mover.pk}
    assert counted(scoped, after_move) == set()


def test_a_position_change_counts_the_position_held_on_each_due_date(year, places):
    counselors_before = requirement(year, due_on=d("2026-12-15"), positions=[places["counselor"]])
    counselors_after = requirement(year, due_on=d("2027-03-01"), positions=[places["counselor"]])
    teachers_before = requirement(year, due_on=d("2026-12-15"), positions=[places["teacher"]])
    promoted = person(places, position="teacher")
    change(promoted, on=d("2027-01-10"), position=places["counselor"])

    result = report(d("2027-04-01"))

    assert counted(result, counselors_before) == set()
    assert counted(result, counselors_after) == {promoted.pk}
    assert counted(result, teachers_before) == {promoted.pk}
    assert item(result, teachers_before).by_position == {
        places["teacher"].pk: item(result, teachers_before).tally
    }
    assert item(result, counselors_after).entries[0].position_id == places["counselor"].pk


# Audiences


def test_audiences_and_across_kinds_or_within_a_kind(year, places):
    #         building  position   groups
    # p1      A         teacher    G
    # p2      A         counselor  H
    # p3      B         teacher    -
    # p4      B         counselor  G
    p1 = person(places, "A", "teacher")
    p2 = person(places, "A", "counselor")
    p3 = person(places, "B", "teacher")
    p4 = person(places, "B", "counselor")
    group_g = f.StaffGroupFactory(members=[p1, p4])
    group_h = f.StaffGroupFactory(members=[p2])
    teacher, counselor = places["teacher"], places["counselor"]
    cases = {
        "everyone": (requirement(year), {p1, p2, p3, p4}),
        "teachers": (requirement(year, positions=[teacher]), {p1, p3}),
        "building A": (requirement(year, buildings=[places["A"]]), {p1, p2}),
        "group G": (requirement(year, groups=[group_g]), {p1, p4}),
        "groups G or H": (requirement(year, groups=[group_g, group_h]), {p1, p2, p4}),
        "teachers in A": (requirement(year, positions=[teacher], buildings=[places["A"]]), {p1}),
        "either position in B": (
            requirement(year, positions=[teacher, counselor], buildings=[places["B"]]),
            {p3, p4},
        ),
        "counselors in G": (requirement(year, positions=[counselor], groups=[group_g]), {p4}),
        "A or B, in G": (
            requirement(year, buildings=[places["A"], places["B"]], groups=[group_g]),
            {p1, p4},
        ),
        "teachers in B in H": (
            requirement(year, positions=[teacher], buildings=[places["B"]], groups=[group_h]),
            set(),
        ),
    }

    result = report(d("2027-04-01"))

    found = {name: counted(result, req) for name, (req, _people) in cases.items()}
    assert found == {name: {p.pk for p in people} for name, (_req, people) in cases.items()}
    assert item(result, cases["teachers in B in H"][0]).status == Status.NO_AUDIENCE


# Completions: the window, late, voided, clock hours


def test_course_completions_count_inside_the_window_only(year, places):
    course = f.CourseFactory()
    this_year = requirement(year, course=course)
    any_time = requirement(year, course=course, count_completions_before_plan_year=True)
    before_year = person(places)
    complete(before_year, course, "2026-06-15")  # before 2026-07-01
    first_day = person(places)
    complete(first_day, course, "2026-07-01")
    on_due = person(places)
    complete(on_due, course, "2027-03-31")
    late = person(places)
    complete(late, course, "2027-04-10")
    voided = person(places)
    complete(voided, course, "2026-10-01", voided_at=f.local(2026, 10, 2), void_reason="Typo")
    other_course = person(places)
    complete(other_course, f.CourseFactory(), "2026-10-01")
    nothing = person(places)

    result = report(d("2027-05-01"))

    assert states(result, this_year) == {
        before_year.pk: MISSING,
        first_day.pk: COMPLETED,
        on_due.pk: COMPLETED,
        late.pk: LATE,
        voided.pk: MISSING,
        other_course.pk: MISSING,
        nothing.pk: MISSING,
    }
    # 2 of 7 = 28.6%
    assert (item(result, this_year).tally.audience, item(result, this_year).tally.completed) == (
        7,
        2,
    )
    assert item(result, this_year).tally.percent == 28.6
    assert item(result, this_year).window_start == YEAR_START
    assert states(result, any_time)[before_year.pk] == COMPLETED
    assert states(result, any_time)[late.pk] == LATE
    assert item(result, any_time).tally.completed == 3
    assert item(result, any_time).window_start is None
    entries = {e.staff_id: e for e in item(result, this_year).entries}
    assert entries[late.pk].completed_on == d("2027-04-10")
    assert entries[on_due.pk].completed_on == DUE
    assert entries[before_year.pk].completed_on is None
    assert LATE.outstanding is False and MISSING.outstanding and ENROLLED.outstanding


def test_an_on_time_completion_wins_over_a_late_one(year, places):
    course = f.CourseFactory()
    req = requirement(year, course=course)
    twice = person(places)
    complete(twice, course, "2026-09-01")
    complete(twice, course, "2027-04-10")

    result = report(d("2027-05-01"))

    (entry,) = item(result, req).entries
    assert (entry.state, entry.completed_on) == (COMPLETED, d("2026-09-01"))


def test_a_completion_after_the_as_of_date_is_not_counted_yet(year, places):
    course = f.CourseFactory()
    req = requirement(year, course=course)
    complete(person(places), course, "2027-02-01")

    assert item(report(d("2027-01-15")), req).tally.completed == 0
    assert item(report(d("2027-02-01")), req).tally.completed == 1


def test_clock_hours_add_up_across_the_strand_inside_the_window(year, places):
    strand, elsewhere = f.StrandFactory(), f.StrandFactory()
    c1, c2, c3 = (f.CourseFactory(strand=strand) for _ in range(3))
    other = f.CourseFactory(strand=elsewhere)
    req = requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=6)
    exact = person(places)  # 3 + 3 = 6: reached on the second day
    complete(exact, c1, "2026-09-01")
    complete(exact, c2, "2027-01-10")
    more = person(places)  # 2 + 2.5 + 4 = 8.5: reached on the third day
    complete(more, c1, "2026-09-01", hours="2.00")
    complete(more, c2, "2026-10-01", hours="2.50")
    complete(more, c3, "2026-11-01", hours="4.00")
    short = person(places)  # 3 + 2.5 = 5.5
    complete(short, c1, "2026-09-01")
    complete(short, c2, "2027-01-10", hours="2.50")
    other_strand = person(places)  # 3 in the strand + 3 elsewhere
    complete(other_strand, c1, "2026-09-01")
    complete(other_strand, other, "2026-10-01")
    before_year = person(places)  # 3 before July 1 + 3 in the year = 3 in the window
    complete(before_year, c1, "2026-06-01")
    complete(before_year, c2, "2026-10-01")
    late = person(places)  # 3 in the year + 3 after the due date
    complete(late, c1, "2026-09-01")
    complete(late, c3, "2027-04-05")
    voided = person(places)  # 3 + 3 voided
    complete(voided, c1, "2026-09-01")
    complete(voided, c2, "2026-10-01", voided_at=f.local(2026, 10, 3), void_reason="Duplicate")

    result = report(d("2027-05-01"))

    progress = item(result, req)
    assert states(result, req) == {
        exact.pk: COMPLETED,
        more.pk: COMPLETED,
        short.pk: MISSING,
        other_strand.pk: MISSING,
        before_year.pk: MISSING,
        late.pk: LATE,
        voided.pk: MISSING,
    }
    entries = {e.staff_id: e for e in progress.entries}
    assert entries[exact.pk].completed_on == d("2027-01-10")
    assert entries[more.pk].completed_on == d("2026-11-01")
    assert entries[late.pk].completed_on == d("2027-04-05")
    assert (progress.tally.audience, progress.tally.completed) == (7, 2)
    assert progress.strand_id == strand.pk


def test_clock_hours_before_the_plan_year_count_when_the_requirement_says_so(year, places):
    strand = f.StrandFactory()
    c1, c2 = f.CourseFactory(strand=strand), f.CourseFactory(strand=strand)
    req = requirement(
        year,
        kind=RequirementKind.CLOCK_HOURS,
        strand=strand,
        clock_hours=6,
        count_completions_before_plan_year=True,
    )
    early = person(places)
    complete(early, c1, "2025-09-01")
    complete(early, c2, "2026-10-01")

    assert states(report(d("2027-05-01")), req) == {early.pk: COMPLETED}


def test_enrolled_means_a_live_place_in_a_session_not_cancelled(year, places):
    course = f.CourseFactory()
    req = requirement(year, course=course)
    published = f.SessionFactory(course=course)
    draft = f.SessionFactory(course=course, status=SessionStatus.DRAFT)
    cancelled = f.SessionFactory(course=course, status=SessionStatus.CANCELLED)
    elsewhere = f.SessionFactory()  # another course
    people = {}
    for name, session, status in (
        ("enrolled", published, EnrollmentStatus.ENROLLED),
        ("pending", published, EnrollmentStatus.PENDING_APPROVAL),
        ("waitlisted", published, EnrollmentStatus.WAITLISTED),
        ("in a draft", draft, EnrollmentStatus.ENROLLED),
        ("withdrawn", published, EnrollmentStatus.WITHDRAWN),
        ("declined", published, EnrollmentStatus.DECLINED),
        ("cancelled session", cancelled, EnrollmentStatus.ENROLLED),
        ("other course", elsewhere, EnrollmentStatus.ENROLLED),
    ):
        people[name] = person(places)
        f.EnrollmentFactory(staff=people[name], session=session, status=status)
    people["done and enrolled"] = person(places)
    f.EnrollmentFactory(staff=people["done and enrolled"], session=published)
    complete(people["done and enrolled"], course, "2026-10-01")

    found = states(report(d("2027-01-15")), req)

    assert {name: found[p.pk] for name, p in people.items()} == {
        "enrolled": ENROLLED,
        "pending": ENROLLED,
        "waitlisted": ENROLLED,
        "in a draft": ENROLLED,
        "withdrawn": MISSING,
        "declined": MISSING,
        "cancelled session": MISSING,
        "other course": MISSING,
        "done and enrolled": COMPLETED,
    }


def test_clock_hours_enrolled_in_any_course_of_the_strand(year, places):
    strand = f.StrandFactory()
    req = requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=6)
    in_strand, outside = person(places), person(places)
    f.EnrollmentFactory(staff=in_strand, session=f.SessionFactory(course__strand=strand))
    f.EnrollmentFactory(staff=outside, session=f.SessionFactory())

    assert states(report(d("2027-01-15")), req) == {in_strand.pk: ENROLLED, outside.pk: MISSING}


# Rates by building, position, goal and strand


@pytest.fixture
def six_people(places):
    """A: 4 people, 3 completed (75%): 3 teachers of whom 2 completed, 1 counselor who did.
    B: 2 people, 1 completed (50%): 1 teacher who did, 1 counselor who did not.
    District: 6, 4 completed (66.7%). Teachers: 4, 3 (75%); counselors: 2, 1 (50%)."""
    course = f.CourseFactory()
    people = {
        "a1": person(places, "A", "teacher"),
        "a2": person(places, "A", "teacher"),
        "a3": person(places, "A", "teacher"),
        "a4": person(places, "A", "counselor"),
        "b1": person(places, "B", "teacher"),
        "b2": person(places, "B", "counselor"),
    }
    for name in ("a1", "a2", "a4", "b1"):
        complete(people[name], course, "2026-10-01")
    return course, people


def test_rates_by_building_position_and_district(year, places, six_people):
    course, people = six_people
    req = requirement(year, course=course, target_percent=70)

    result = report(d("2027-04-01"))

    progress = item(result, req)
    a, b = places["A"].pk, places["B"].pk
    teacher, counselor = places["teacher"].pk, places["counselor"].pk
    assert (progress.tally.audience, progress.tally.completed) == (6, 4)
    assert progress.tally.percent == 66.7
    assert progress.tally.rate == pytest.approx(4 / 6)
    assert {k: (t.audience, t.completed) for k, t in progress.by_building.items()} == {
        a: (4, 3),
        b: (2, 1),
    }
    assert progress.by_building[a].percent == 75.0
    assert progress.by_building[b].percent == 50.0
    assert {k: (t.audience, t.completed) for k, t in progress.by_position.items()} == {
        teacher: (4, 3),
        counselor: (2, 1),
    }
    assert progress.status == Status.BEHIND  # past due, 66.7% < 70%
    assert [building.pk for building in result.shown_buildings()] == [a, b]
    # Every view's rows by position: by name, and no "No position" row (everyone has one).
    by_name = sorted([places["teacher"], places["counselor"]], key=lambda p: p.name.casefold())
    assert result.breakdown_places("position") == by_name
    assert result.breakdown_places("building") == result.shown_buildings()
    assert (result.total.audience, result.total.completed) == (6, 4)
    # The people behind "A: 1 missing" and "counselors: 1 missing".
    missing_in_a = people_of(result, states=[MISSING], building_id=a)
    assert [entry.staff_id for _item, entry in missing_in_a] == [people["a3"].pk]
    missing_counselors = people_of(result, states=[MISSING], position_id=counselor)
    assert [entry.staff_id for _item, entry in missing_counselors] == [people["b2"].pk]
    assert people_of(result, requirement_ids=[]) == []


def test_a_building_leader_report_counts_only_their_building(year, places, six_people):
    course, people = six_people
    req = requirement(year, course=course, target_percent=70)

    result = report(d("2027-04-01"), scope=Scope(frozenset({places["A"].pk})))

    progress = item(result, req)
    assert counted(result, req) == {people[n].pk for n in ("a1", "a2", "a3", "a4")}
    assert (progress.tally.audience, progress.tally.completed) == (4, 3)
    assert progress.status == Status.MET  # 75% >= 70%
    assert set(progress.by_building) == {places["A"].pk}
    assert result.people_ids() == sorted(
        (people[n].pk for n in ("a1", "a2", "a3", "a4")),
        key=lambda pk: result.staff[pk].sort_name,
    )


def test_people_without_a_building_or_position_are_tallied_under_none(year, places):
    req = requirement(year)
    nowhere = person(places, building=None, position=None)

    result = report(d("2027-04-01"))

    progress = item(result, req)
    assert counted(result, req) == {nowhere.pk}
    assert progress.by_building[None].audience == 1
    assert progress.by_position[None].audience == 1
    assert counted(report(d("2027-04-01"), scope=Scope(frozenset({places["A"].pk}))), req) == set()


def test_goal_tally_and_worst_status_and_strands(year, places, six_people):
    course, _people = six_people
    goal = f.GoalFactory(plan_year=year)
    # Same six people, as of 2027-04-01 (both past due):
    # met: 4/6 = 66.7% >= 60 -> met.  behind: 4/6 < 90 -> behind.
    met = requirement(year, goal=goal, course=course, target_percent=60)
    behind = requirement(year, goal=goal, course=course, target_percent=90)
    other_goal = f.GoalFactory(plan_year=year)
    only_met = requirement(year, goal=other_goal, course=course, target_percent=50)
    strand = f.StrandFactory()
    hours = requirement(
        year,
        goal=other_goal,
        kind=RequirementKind.CLOCK_HOURS,
        strand=strand,
        clock_hours=3,
        target_percent=10,
    )  # nobody has hours in this strand: 0/6 -> behind

    result = report(d("2027-04-01"))

    goals = {g.goal.pk: g for g in result.goals}
    first = goals[goal.pk]
    assert [r.requirement.pk for r in first.requirements] == [met.pk, behind.pk]
    assert (first.tally.audience, first.tally.completed) == (12, 8)
    assert first.status == Status.BEHIND
    assert first.met == 1
    second = goals[other_goal.pk]
    assert [r.requirement.pk for r in second.requirements] == [only_met.pk, hours.pk]
    assert (second.tally.audience, second.tally.completed) == (12, 4)
    assert second.status == Status.BEHIND
    assert second.met == 1
    # By strand: the course's strand has three requirements of 6 people, 4 done each.
    assert {k: (t.audience, t.completed) for k, t in result.by_strand.items()} == {
        course.strand_id: (18, 12),
        strand.pk: (6, 0),
    }
    assert set(result.strands) == {course.strand_id, strand.pk}
    assert (result.total.audience, result.total.completed) == (24, 12)


def test_a_goal_with_one_met_and_one_unstaffed_requirement_is_met(year, places, six_people):
    course, _people = six_people
    goal = f.GoalFactory(plan_year=year)
    requirement(year, goal=goal, course=course, target_percent=60)
    requirement(year, goal=goal, buildings=[f.BuildingFactory()])  # nobody works there

    (only,) = report(d("2027-04-01")).goals

    assert [r.status for r in only.requirements] == [Status.MET, Status.NO_AUDIENCE]
    assert only.status == Status.MET


# Status


# Plan year from 2026-07-01, due 2026-10-09 (100 days later), target 80%, 10 people.
# On 2026-08-20 (day 50) the straight line expects 80 * 50 / 100 = 40%.
STATUS_DUE = d("2026-10-09")
DAY_50 = d("2026-08-20")


@pytest.mark.parametrize(
    ("done", "as_of", "status", "expected"),
    [
        (8, DAY_50, Status.MET, 40.0),  # 80% >= 80 target, before the due date
        (10, DAY_50, Status.MET, 40.0),
        (5, DAY_50, Status.ON_TRACK, 40.0),  # 50% above the line
        (4, DAY_50, Status.ON_TRACK, 40.0),  # 40% on the line
        (3, DAY_50, Status.AT_RISK, 40.0),  # 30% = 40 - AT_RISK_POINTS
        (2, DAY_50, Status.BEHIND, 40.0),  # 20% further below
        (0, YEAR_START, Status.ON_TRACK, 0.0),  # first day: nothing expected yet
        (0, d("2026-06-01"), Status.ON_TRACK, 0.0),  # before the year
        (7, STATUS_DUE, Status.AT_RISK, 80.0),  # the due day itself: still on the line
        (6, STATUS_DUE, Status.BEHIND, 80.0),  # 60%: more than 10 points below on the day
        (7, d("2026-10-10"), Status.BEHIND, 80.0),  # past due, 70% < 80%
        (8, d("2026-10-10"), Status.MET, 80.0),  # past due, reached
    ],
)
def test_status_rules(year, places, done, as_of, status, expected):
    assert AT_RISK_POINTS == 10
    course = f.CourseFactory()
    req = requirement(year, course=course, due_on=STATUS_DUE, target_percent=80)
    people = [person(places) for _ in range(10)]
    for staff in people[:done]:
        complete(staff, course, "2026-07-01")

    progress = item(report(as_of), req)

    assert (progress.tally.audience, progress.tally.completed) == (10, done)
    assert progress.status == status
    assert progress.expected_percent == expected
    assert (
        progress.status.label
        == {
            Status.MET: "Met",
            Status.ON_TRACK: "On track",
            Status.AT_RISK: "At risk",
            Status.BEHIND: "Behind",
        }[status]
    )


def test_expected_rate_is_rounded_to_a_tenth(year, places):
    # Due 2026-07-31, 30 days after 2026-07-01; target 50. On 2026-07-11 (day 10): 50 * 10 / 30
    # = 16.67 -> 16.7. Nobody completed: 0 is more than 10 points below -> behind.
    req = requirement(year, due_on=d("2026-07-31"), target_percent=50)
    person(places)

    progress = item(report(d("2026-07-11")), req)

    assert progress.expected_percent == 16.7
    assert progress.status == Status.BEHIND


@pytest.mark.parametrize(
    ("done", "status"), [(1, Status.ON_TRACK), (0, Status.BEHIND)], ids=["on the line", "below"]
)
def test_a_rate_exactly_on_the_line_is_on_track(year, places, done, status):
    # Same line: 50 * 10 / 30 = 16.666...%, shown as 16.7. One of six people is 16.666...%
    # too: exactly on the line, though it rounds to 16.7 only when computed the same way.
    course = f.CourseFactory()
    req = requirement(year, course=course, due_on=d("2026-07-31"), target_percent=50)
    people = [person(places) for _ in range(6)]
    for staff in people[:done]:
        complete(staff, course, "2026-07-05")

    progress = item(report(d("2026-07-11")), req)

    assert progress.expected_percent == 16.7
    assert progress.status == status


def test_at_risk_boundary_is_exact(year, places):
    # Due 2026-07-31 (30 days), target 90; on 2026-07-21 (day 20) the line is 60%. At risk
    # down to 50%: 1 of 2 is exactly 50% -> at risk.
    course = f.CourseFactory()
    req = requirement(year, course=course, due_on=d("2026-07-31"), target_percent=90)
    done, _other = person(places), person(places)
    complete(done, course, "2026-07-05")

    progress = item(report(d("2026-07-21")), req)

    assert progress.expected_percent == 60.0
    assert progress.status == Status.AT_RISK


def test_no_audience(year, places):
    req = requirement(year, buildings=[places["B"]])
    person(places, "A")

    progress = item(report(DUE), req)

    assert progress.status == Status.NO_AUDIENCE
    assert progress.tally.rate is None and progress.tally.percent is None
    assert progress.status.label == "No audience"


# Trend


def test_trend_is_cumulative_by_month_end_against_the_audience(year, places):
    # Due 2026-09-30, seen on 2026-08-20: count date 2026-08-20, months July and August (to the
    # 20th). p1 completed before the year (counted: the requirement allows it), p2 on 07-15, p3
    # on 08-20, p4 on 08-21 (after the count date: not yet), p5 nothing.
    course = f.CourseFactory()
    req = requirement(
        year,
        course=course,
        due_on=d("2026-09-30"),
        count_completions_before_plan_year=True,
    )
    p1, p2, p3, p4, _p5 = (person(places) for _ in range(5))
    complete(p1, course, "2026-05-01")
    complete(p2, course, "2026-07-15")
    complete(p3, course, "2026-08-20")
    complete(p4, course, "2026-08-21")

    trend = item(report(d("2026-08-20")), req).trend

    assert [(p.month_end, p.completed, p.audience, p.percent) for p in trend] == [
        (d("2026-07-31"), 2, 5, 40.0),
        (d("2026-08-20"), 3, 5, 60.0),
    ]


def test_trend_stops_at_the_due_date_and_leaves_out_late_completions(year, places):
    # Due 2026-09-15, seen on 2026-11-01: months July, August, September (to the 15th).
    course = f.CourseFactory()
    req = requirement(year, course=course, due_on=d("2026-09-15"))
    on_time, late, _nothing = (person(places) for _ in range(3))
    complete(on_time, course, "2026-08-31")
    complete(late, course, "2026-10-01")

    trend = item(report(d("2026-11-01")), req).trend

    assert [(p.month_end, p.completed, p.audience) for p in trend] == [
        (d("2026-07-31"), 0, 3),
        (d("2026-08-31"), 1, 3),
        (d("2026-09-15"), 1, 3),
    ]
    assert trend[1].percent == 33.3


def test_trend_crosses_the_new_year(year, places):
    req = requirement(year, due_on=d("2027-01-10"))
    person(places)

    trend = item(report(d("2027-02-01")), req).trend

    assert [p.month_end for p in trend] == [
        d("2026-07-31"),
        d("2026-08-31"),
        d("2026-09-30"),
        d("2026-10-31"),
        d("2026-11-30"),
        d("2026-12-31"),
        d("2027-01-10"),
    ]


def test_no_trend_before_the_plan_year_begins(year, places):
    req = requirement(year)
    person(places)

    assert item(report(d("2026-06-01")), req).trend == []


# Filters


def test_filters_narrow_people_and_requirements(year, places, six_people):
    course, people = six_people
    strand = f.StrandFactory()
    by_course = requirement(year, course=course)
    by_hours = requirement(
        year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=3, target_percent=10
    )
    other_year = f.PlanYearFactory(
        plan=year.plan, name="2027-28", starts_on=d("2027-07-01"), ends_on=d("2028-06-30")
    )
    next_year = requirement(other_year, course=course, due_on=d("2028-03-31"))
    as_of = d("2027-04-01")

    def chosen(**filters):
        return [r.requirement.pk for r in report(as_of, **filters).requirements]

    assert chosen() == [by_course.pk, by_hours.pk, next_year.pk]
    assert chosen(plan_year=year) == [by_course.pk, by_hours.pk]
    assert chosen(plan_year=other_year) == [next_year.pk]
    assert chosen(strand_id=strand.pk) == [by_hours.pk]
    assert chosen(strand_id=course.strand_id) == [by_course.pk, next_year.pk]
    assert chosen(requirement_id=by_hours.pk) == [by_hours.pk]
    assert report(as_of, plan_year=year).plan_year == year

    in_b = report(as_of, building_ids=frozenset({places["B"].pk}))
    assert counted(in_b, by_course) == {people["b1"].pk, people["b2"].pk}
    assert (item(in_b, by_course).tally.audience, item(in_b, by_course).tally.completed) == (2, 1)
    counselors = report(as_of, position_ids=frozenset({places["counselor"].pk}))
    assert counted(counselors, by_course) == {people["a4"].pk, people["b2"].pk}
    both = report(
        as_of,
        building_ids=frozenset({places["A"].pk}),
        position_ids=frozenset({places["counselor"].pk}),
    )
    assert counted(both, by_course) == {people["a4"].pk}
    # A filter inside a leader's scope cannot reach past it.
    outside = report(
        as_of,
        scope=Scope(frozenset({places["A"].pk})),
        building_ids=frozenset({places["B"].pk}),
    )
    assert counted(outside, by_course) == set()


def test_clock_hours_in_hundredths_reach_the_hours_exactly(year, places):
    strand = f.StrandFactory()
    c1, c2, c3 = (f.CourseFactory(strand=strand) for _ in range(3))
    req = requirement(
        year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=Decimal("1.25")
    )
    exact = person(places)  # 0.75 + 0.50 = 1.25
    complete(exact, c1, "2026-09-01", hours="0.75")
    complete(exact, c2, "2026-10-01", hours="0.50")
    just_short = person(places)  # 0.42 + 0.41 + 0.41 = 1.24
    complete(just_short, c1, "2026-09-01", hours="0.42")
    complete(just_short, c2, "2026-10-01", hours="0.41")
    complete(just_short, c3, "2026-11-01", hours="0.41")
    thirds = person(places)  # 0.33 + 0.33 + 0.59 = 1.25
    complete(thirds, c1, "2026-09-01", hours="0.33")
    complete(thirds, c2, "2026-10-01", hours="0.33")
    complete(thirds, c3, "2026-11-01", hours="0.59")

    result = report(d("2027-05-01"))

    assert states(result, req) == {
        exact.pk: COMPLETED,
        just_short.pk: MISSING,
        thirds.pk: COMPLETED,
    }
    entries = {e.staff_id: e for e in item(result, req).entries}
    assert entries[thirds.pk].completed_on == d("2026-11-01")


# Totals only: the same numbers without the people


@pytest.fixture
def varied_district(year, places):
    """Transfers, position changes, leave, separations (dated and not), hires after a count
    date, people with no building or position, groups, on-time, late, early, voided and future
    completions, clock hours in fractions, requirements due before and after the as-of days."""
    earlier = f.PlanYearFactory(starts_on=d("2025-07-01"), ends_on=d("2026-06-30"))
    strand, other_strand = f.StrandFactory(), f.StrandFactory()
    courses = [f.CourseFactory(strand=strand) for _ in range(3)]
    other = f.CourseFactory(strand=other_strand)
    group = f.StaffGroupFactory()
    people = []
    for i in range(48):
        building = (None, "A", "B", "B")[i % 4] if i % 11 else None
        position = ("teacher", "counselor", None)[i % 3]
        fields = {}
        if i % 9 == 0:
            fields["hired_on"] = d("2027-01-20")
        if i % 13 == 0:
            fields.update(status=SEPARATED, separated_on=d("2026-12-31") if i % 2 else None)
        if i % 17 == 0:
            fields["status"] = ON_LEAVE
        staff = person(places, building, position, **fields)
        people.append(staff)
        if i % 5 == 0:
            change(staff, on=d("2026-11-15"), building=places["AB"[i % 2]])
        if i % 7 == 0:
            change(staff, on=d("2027-02-01"), position=places["counselor"])
        if i % 8 == 3:
            change(staff, on=d("2027-01-05"), status=ON_LEAVE)
        if i % 10 == 4:
            change(staff, on=d("2027-02-20"), status=SEPARATED, separated_on=d("2027-02-28"))
        if i % 3 == 0:
            group.members.add(staff)
        for k, course in enumerate(courses):
            if (i + k) % 4 == 0:
                month = 1 + (i * 5 + k * 3) % 14  # some after the due dates, some before July
                year_number, month = (2026, month + 5) if month <= 7 else (2027, month - 7)
                complete(staff, course, f"{year_number}-{month:02d}-{1 + i % 27:02d}", hours="1.25")
        if i % 6 == 1:
            complete(staff, other, "2026-10-10", hours="0.50")
            complete(
                staff,
                courses[0],
                "2026-08-10",
                voided_at=f.local(2026, 8, 12),
                void_reason="Duplicate",
            )
        if i % 12 == 2:
            complete(staff, courses[1], "2025-10-01")  # before the plan year
        if i % 5 == 2:
            f.EnrollmentFactory(staff=staff, session=f.SessionFactory(course=courses[i % 3]))
    goal = f.GoalFactory(plan_year=year)
    requirement(year, course=courses[0], goal=goal, due_on=d("2026-12-15"))
    requirement(year, course=courses[1], goal=goal, positions=[places["teacher"]])
    requirement(year, course=courses[1], count_completions_before_plan_year=True, groups=[group])
    requirement(
        year, course=courses[2], buildings=[places["B"]], due_on=d("2027-06-15"), target_percent=5
    )
    requirement(
        year,
        kind=RequirementKind.CLOCK_HOURS,
        strand=strand,
        clock_hours=Decimal("2.50"),
        goal=goal,
    )
    requirement(
        year,
        kind=RequirementKind.CLOCK_HOURS,
        strand=other_strand,
        clock_hours=Decimal("0.50"),
        positions=[places["counselor"]],
        buildings=[places["A"]],
    )
    requirement(earlier, course=courses[1], due_on=d("2026-05-31"))
    return {"people": people, "strand": strand, "earlier": earlier}


def numbers(result) -> dict:
    """Every number a report holds, apart from who is behind them."""
    return {
        "total": result.total,
        "by_strand": result.by_strand,
        "strands": set(result.strands),
        "goals": [
            (
                goal.goal.pk,
                goal.tally,
                goal.status,
                goal.met,
                [i.requirement.pk for i in goal.requirements],
            )
            for goal in result.goals
        ],
        "requirements": [
            (
                i.requirement.pk,
                i.count_date,
                i.window_start,
                i.tally,
                i.expected_percent,
                i.status,
                list(i.by_building.items()),
                list(i.by_position.items()),
                i.trend,
            )
            for i in result.requirements
        ],
    }


@pytest.mark.parametrize("as_of", ["2026-12-15", "2027-01-31", "2027-03-31", "2027-07-20"])
@pytest.mark.parametrize(
    "narrowed",
    ["district", "leader of B", "building A", "counselors", "strand", "earlier plan year"],
)
def test_totals_only_equal_the_full_reports_numbers(varied_district, places, as_of, narrowed):
    scope, filters = Scope(), {}
    if narrowed == "leader of B":
        scope = Scope(frozenset({places["B"].pk}))
    elif narrowed == "building A":
        filters["building_ids"] = frozenset({places["A"].pk})
    elif narrowed == "counselors":
        filters["position_ids"] = frozenset({places["counselor"].pk})
    elif narrowed == "strand":
        filters["strand_id"] = varied_district["strand"].pk
    elif narrowed == "earlier plan year":
        filters["plan_year"] = varied_district["earlier"]
    full = progress_report(scope=scope, filters=Filters(**filters), as_of=d(as_of))
    totals = progress_totals(scope=scope, filters=Filters(**filters), as_of=d(as_of))

    assert numbers(totals) == numbers(full)
    assert full.total.audience and full.total.completed  # the data set counts something
    assert full.people and not totals.people
    assert all(not i.entries for i in totals.requirements) and not totals.staff


def test_the_varied_district_has_every_state(varied_district):
    full = progress_report(as_of=d("2027-03-31"))

    found = {entry.state for i in full.requirements for entry in i.entries}

    assert found == set(PersonState)
    assert {i.status for i in full.requirements} >= {Status.MET, Status.BEHIND}


def test_a_totals_only_report_names_no_one(varied_district):
    totals = progress_totals(as_of=d("2027-03-31"))

    with pytest.raises(ValueError):
        people_of(totals)


def test_totals_only_queries_do_not_grow_with_staff(year, places):
    strand = f.StrandFactory()
    courses = [f.CourseFactory(strand=strand) for _ in range(2)]
    group = district_of(5, places, courses, strand)
    requirement(year, course=courses[0], groups=[group], positions=[places["teacher"]])
    requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=3)

    def totals_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            progress_totals(as_of=d("2027-01-15"))
        return len(queries)

    small = totals_queries()
    district_of(45, places, courses, strand)

    assert totals_queries() == small
    assert small < count_queries()  # no enrollments to load


# Queries


def district_of(n: int, places, courses, strand):
    """n people over both buildings, some moved (history), some on leave, in a group, with
    completions and enrollments."""
    group = f.StaffGroupFactory()
    for i in range(n):
        staff = person(places, "AB"[i % 2], ("teacher", "counselor")[i % 2])
        if i % 3 == 0:
            change(staff, on=d("2026-11-01"), building=places["AB"[(i + 1) % 2]])
        if i % 4 == 0:
            group.members.add(staff)
        complete(staff, courses[i % len(courses)], "2026-10-01")
        f.EnrollmentFactory(staff=staff, session=f.SessionFactory(course__strand=strand))
    return group


def count_queries(**filters) -> int:
    with CaptureQueriesContext(connection) as queries:
        report(d("2027-01-15"), **filters)
    return len(queries)


def test_query_count_does_not_grow_with_staff(year, places):
    strand = f.StrandFactory()
    courses = [f.CourseFactory(strand=strand) for _ in range(2)]
    group = district_of(5, places, courses, strand)
    requirement(year, course=courses[0], groups=[group], positions=[places["teacher"]])
    requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=3)
    small = count_queries()

    district_of(45, places, courses, strand)
    large = count_queries()

    assert small == large


def test_query_count_does_not_grow_with_requirements(year, places):
    strand = f.StrandFactory()
    courses = [f.CourseFactory(strand=strand) for _ in range(6)]
    group = district_of(10, places, courses, strand)
    requirement(year, course=courses[0], groups=[group], buildings=[places["A"]])
    requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=3)
    small = count_queries()

    for course in courses[1:]:
        requirement(year, course=course, groups=[group], positions=[places["teacher"]])
        requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=6)
    large = count_queries()

    assert len(report(d("2027-01-15")).requirements) == 12
    assert small == large


# Next sessions


def test_next_sessions_published_not_started_registration_open_soonest_first(year):
    now = f.local(2026, 9, 1, 12)
    strand = f.StrandFactory()
    course = f.CourseFactory(strand=strand)
    sibling = f.CourseFactory(strand=strand)
    by_course = requirement(year, course=course)
    by_hours = requirement(year, kind=RequirementKind.CLOCK_HOURS, strand=strand, clock_hours=6)

    def session(days: float, **fields):
        made = f.SessionFactory(course=fields.pop("course", course), **fields)
        f.MeetingFactory(session=made, starts_at=now + dt.timedelta(days=days))
        return made

    soon = session(2, capacity=3)
    f.EnrollmentFactory(session=soon)  # 1 of 3 seats taken
    f.EnrollmentFactory(session=soon, status=EnrollmentStatus.WITHDRAWN)  # holds no seat
    closing_tomorrow = session(3, registration_closes_at=now + dt.timedelta(days=1))
    later = session(10)
    latest = session(20)
    session(1, status=SessionStatus.DRAFT)
    session(1, status=SessionStatus.CANCELLED)
    session(5, registration_closes_at=now - dt.timedelta(hours=1))
    started = session(-1)
    f.MeetingFactory(session=started, starts_at=now + dt.timedelta(days=6))
    sibling_session = session(4, course=sibling)
    f.SessionFactory(course=course)  # no meeting yet: nothing to offer

    found = next_sessions([by_course, by_hours], now=now)

    assert [s.pk for s in found[by_course.pk]] == [soon.pk, closing_tomorrow.pk, later.pk]
    assert [s.pk for s in found[by_hours.pk]] == [soon.pk, closing_tomorrow.pk, sibling_session.pk]
    assert found[by_course.pk][0].seats_left == 2
    assert found[by_course.pk][0].first_starts_at == now + dt.timedelta(days=2)
    assert found[by_course.pk][0].course.pk == course.pk
    everything = next_sessions([by_course], now=now, limit=10)
    assert [s.pk for s in everything[by_course.pk]] == [
        soon.pk,
        closing_tomorrow.pk,
        later.pk,
        latest.pk,
    ]
    assert next_sessions([], now=now) == {}


def test_next_sessions_is_empty_for_a_course_with_none_coming(year):
    req = requirement(year)
    assert next_sessions([req], now=f.local(2026, 9, 1)) == {req.pk: []}


def test_next_sessions_offers_a_group_session_only_to_that_groups_requirement(year):
    now = f.local(2026, 9, 1, 12)
    course = f.CourseFactory()
    cohort = f.StaffGroupFactory()
    for_everyone = requirement(year, course=course)
    for_the_cohort = requirement(year, course=course, groups=[cohort])
    kept = f.SessionFactory(course=course, restricted_to_group=cohort)
    f.MeetingFactory(session=kept, starts_at=now + dt.timedelta(days=2))
    open_to_all = f.SessionFactory(course=course)
    f.MeetingFactory(session=open_to_all, starts_at=now + dt.timedelta(days=9))
    reloaded = list(requirements_of(Filters()))

    found = next_sessions(reloaded, now=now)

    assert [s.pk for s in found[for_everyone.pk]] == [open_to_all.pk]
    assert [s.pk for s in found[for_the_cohort.pk]] == [kept.pk, open_to_all.pk]
