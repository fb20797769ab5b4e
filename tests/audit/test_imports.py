"""The audit history of imports: every person a roster commit creates, changes, deactivates or
reactivates, and every completion a completion import records, with the importer, the source
"import" and the run."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.choices import AuditAction, AuditSource
from audit.models import AuditEntry
from audit.services import instance_values
from audit.tracked import initial_changes, spec_for
from enrollment.models import Completion
from imports import services
from learning.choices import StaffStatus
from learning.models import StaffMember
from tests import factories as f
from tests.imports.conftest import ROSTER_HEADER, csv_bytes

pytestmark = pytest.mark.django_db

HEADER = [*ROSTER_HEADER, "Status"]


def roster_commit(rows, *, actor, sync=False):
    result = services.roster_preview(
        source=csv_bytes(rows, header=HEADER), file_name="roster.csv", sync=sync, actor=actor
    )
    assert not result.run.errors, result.run.errors
    return services.roster_commit(run=result.run, actor=actor, confirm_large_deactivation=True)


def only(staff: StaffMember) -> AuditEntry:
    (entry,) = AuditEntry.objects.filter(model="learning.staffmember", object_id=staff.pk)
    return entry


def test_a_roster_commit_records_each_person_with_the_importer(district, hr):
    kept = f.StaffMemberFactory(
        employee_id="000301",
        first_name="Kim",
        last_name="Lane",
        email="kim@bps.example.org",
        building=district["maple"],
        position=district["teacher"],
    )
    leaving = f.StaffMemberFactory(
        employee_id="000302", building=district["maple"], position=district["teacher"]
    )
    returning = f.StaffMemberFactory(
        employee_id="000303",
        first_name="Ray",
        last_name="Moss",
        email="ray@bps.example.org",
        building=district["oak"],
        position=district["teacher"],
        status=StaffStatus.SEPARATED,
        separated_on=dt.date(2024, 6, 30),
    )
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    rows = [
        ["000301", "Kim", "Lane-Ortiz", "kim@bps.example.org", "oak", "principal", "Active"],
        ["000303", "Ray", "Moss", "ray@bps.example.org", "oak", "teacher", "Active"],
        ["000304", "Nia", "Nash", "nia@bps.example.org", "maple", "counselor", ""],
        # The HR login's own record stays on the roster.
        [
            hr.employee_id,
            hr.first_name,
            hr.last_name,
            hr.email,
            hr.building.code,
            hr.position.code,
            "Active",
        ],
    ]

    run = roster_commit(rows, actor=hr.user, sync=True)

    new = AuditEntry.objects.exclude(pk__in=before)
    assert {entry.source for entry in new} == {AuditSource.IMPORT}
    assert {entry.actor_id for entry in new} == {hr.user.pk}
    assert {entry.actor_label for entry in new} == {"hr"}
    assert {entry.reference for entry in new} == {f"import run {run.pk}"}

    changed = new.get(object_id=kept.pk)
    assert (changed.action, changed.staff_id) == (AuditAction.CHANGED, kept.pk)
    assert changed.changes == {
        "last_name": ["Lane", "Lane-Ortiz"],
        "building": [district["maple"].pk, district["oak"].pk],
        "position": [district["teacher"].pk, district["principal"].pk],
    }
    deactivated = new.get(object_id=leaving.pk)
    assert deactivated.changes == {
        "status": [StaffStatus.ACTIVE, StaffStatus.SEPARATED],
        "separated_on": [None, timezone.localdate().isoformat()],
    }
    reactivated = new.get(object_id=returning.pk)
    assert reactivated.changes["status"] == [StaffStatus.SEPARATED, StaffStatus.ACTIVE]
    assert reactivated.changes["separated_on"] == ["2024-06-30", None]

    nia = StaffMember.objects.get(employee_id="000304")
    created = new.get(object_id=nia.pk)
    assert (created.action, created.staff_id) == (AuditAction.CREATED, nia.pk)
    assert created.changes["employee_id"] == [None, "000304"]
    assert created.changes["last_name"] == [None, "Nash"]
    assert created.changes["position"] == [None, district["counselor"].pk]
    assert created.changes["status"] == [None, StaffStatus.ACTIVE]
    assert new.count() == 4

    # What the import wrote reads like a change made anywhere else: the same fields, by id.
    kept.refresh_from_db()
    kept.last_name = "Lane"
    kept.save()
    assert AuditEntry.objects.filter(object_id=kept.pk).first().changes == {
        "last_name": ["Lane-Ortiz", "Lane"]
    }


def test_a_new_persons_entry_holds_what_a_saved_person_would(district, hr):
    """The import spells the creation entries of its new people itself, as JSON text: each
    must be the entry record_created writes for the same person, every tracked field as the
    history stores it (ids, ISO dates, booleans, Unicode text, quotes and backslashes), empty
    values left out."""
    header = [*ROSTER_HEADER, "Preferred Name", "Status", "Hire Date"]
    rows = [
        [
            "000501",
            "José",
            "Núñez",
            "jose@bps.example.org",
            "maple",
            "teacher",
            "Pepe",
            "Active",
            "2019-08-15",
        ],
        ["000502", "Zoë", "O'Brien 🍎", "zoe@bps.example.org", "oak", "counselor", "", "", ""],
        [
            "000503",
            'Back\\slash "Bo"',
            "שלום",
            "bo@bps.example.org",
            "oak",
            "teacher",
            "\\N",
            "Active",
            "",
        ],
    ]
    result = services.roster_preview(
        source=csv_bytes(rows, header=header), file_name="roster.csv", actor=hr.user
    )
    assert not result.run.errors, result.run.errors
    services.roster_commit(run=result.run, actor=hr.user)

    spec = spec_for(StaffMember)
    for employee_id in ("000501", "000502", "000503"):
        person = StaffMember.objects.get(employee_id=employee_id)
        entry = only(person)
        assert (entry.action, entry.staff_id, entry.model) == (
            AuditAction.CREATED,
            person.pk,
            "learning.staffmember",
        )
        assert entry.changes == initial_changes(instance_values(spec, person))
    jose = only(StaffMember.objects.get(employee_id="000501")).changes
    assert jose["first_name"] == [None, "José"]
    assert jose["hired_on"] == [None, "2019-08-15"]
    assert jose["building"] == [None, district["maple"].pk]
    assert jose["managed_manually"] == [None, False]
    zoe = only(StaffMember.objects.get(employee_id="000502")).changes
    assert zoe["last_name"] == [None, "O'Brien 🍎"]
    assert "preferred_name" not in zoe and "hired_on" not in zoe
    bo = only(StaffMember.objects.get(employee_id="000503")).changes
    assert bo["first_name"] == [None, 'Back\\slash "Bo"']
    assert bo["preferred_name"] == [None, "\\N"]


def test_a_roster_commit_from_the_command_line_has_no_actor(district):
    result = services.roster_preview(
        source=csv_bytes([["000401", "Ann", "Lee", "ann@bps.example.org", "maple", "teacher"]]),
        file_name="roster.csv",
        actor=None,
    )
    run = services.roster_commit(run=result.run, actor=None)
    ann = StaffMember.objects.get(employee_id="000401")
    entry = only(ann)
    assert (entry.actor_id, entry.actor_label, entry.source, entry.reference) == (
        None,
        "",
        AuditSource.IMPORT,
        f"import run {run.pk}",
    )


def test_a_refused_roster_commit_records_nothing(district):
    result = services.roster_preview(
        source=csv_bytes([["000401", "Ann", "Lee", "ann@bps.example.org", "maple", "teacher"]]),
        file_name="roster.csv",
        actor=None,
    )
    f.StaffMemberFactory()  # the staff list changed: the preview is stale
    count = AuditEntry.objects.count()
    with pytest.raises(services.ImportRefused):
        services.roster_commit(run=result.run, actor=None)
    assert AuditEntry.objects.count() == count


def test_a_completion_import_records_each_completion(hr):
    ann = f.StaffMemberFactory(employee_id="000101")
    course = f.CourseFactory(code="crt-101", clock_hours=3)
    content = (
        b"Employee ID,Course Code,Completed On,Clock Hours,Evidence\r\n"
        b"000101,crt-101,2025-10-01,3,MDE #1\r\n"
    )
    result = services.completions_preview(source=content, file_name="c.csv", actor=hr.user)

    run = services.completions_commit(run=result.run, actor=hr.user)

    completion = Completion.objects.get()
    entry = AuditEntry.objects.get(model="enrollment.completion")
    assert (entry.object_id, entry.action, entry.staff_id, entry.actor_id) == (
        completion.pk,
        AuditAction.CREATED,
        ann.pk,
        hr.user.pk,
    )
    assert (entry.source, entry.reference) == (AuditSource.IMPORT, f"import run {run.pk}")
    assert entry.changes["course"] == [None, course.pk]
    assert entry.changes["clock_hours"] == [None, "3.00"]
    assert entry.changes["evidence"] == [None, "MDE #1"]
    assert entry.changes["source"] == [None, "import"]
