"""learning.changes: the data's generation moves with every committed write to the tracked
data, through signals and through the bulk writes that record themselves, and never with a
rolled-back write or a write to untracked data."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from calendars.models import FeedToken
from catalog.choices import MeetingStatus
from enrollment import services as enrollment_services
from enrollment.choices import EnrollmentStatus
from enrollment.models import Enrollment
from imports import services as import_services
from learning import changes
from learning.models import DataChange
from tests import factories as f
from tests.imports.conftest import csv_bytes, person_row

pytestmark = pytest.mark.django_db


def moves(write) -> bool:
    before = changes.generation()
    write()
    return changes.generation() != before


def test_saves_deletes_and_links_of_tracked_models_move_the_generation(teacher):
    session = f.SessionFactory()
    meeting = f.MeetingFactory(session=session)
    group = f.StaffGroupFactory()

    def edit_meeting():
        meeting.status = MeetingStatus.CANCELLED
        meeting.save()

    assert moves(edit_meeting)
    assert moves(lambda: f.EnrollmentFactory(staff=teacher, session=session))
    assert moves(lambda: group.members.add(teacher))
    assert moves(lambda: group.members.remove(teacher))
    assert moves(lambda: session.facilitators.add(teacher))
    assert moves(lambda: session.facilitators.clear())
    assert moves(lambda: Enrollment.objects.filter(staff=teacher).delete())
    assert moves(lambda: f.CompletionFactory(staff=teacher))


def test_writes_to_untracked_data_leave_it(teacher):
    token = f.FeedTokenFactory(staff=teacher)
    assert not moves(lambda: User.objects.create_user("someone-else"))
    assert not moves(lambda: FeedToken.objects.filter(pk=token.pk).update(fetch_count=3))


def test_a_rolled_back_write_leaves_no_change(teacher):
    before = changes.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        teacher.first_name = "Zoë"
        teacher.save()
        raise RuntimeError("the write fails after the save")
    assert changes.generation() == before


def test_one_transaction_records_one_change_until_the_generation_is_read(teacher):
    changes.generation()
    count = DataChange.objects.count()
    with transaction.atomic():
        for name in ("José", "Zoë", "Núñez"):
            teacher.first_name = name
            teacher.save()
    assert DataChange.objects.count() == count + 1

    # A reader inside the same transaction (only a test does that) must see a later write.
    with transaction.atomic():
        teacher.first_name = "Ana"
        teacher.save()
        seen = changes.generation()
        teacher.first_name = "Bea"
        teacher.save()
        assert changes.generation() != seen


def test_a_savepoint_rolled_back_takes_its_change_with_it_and_the_next_write_records_again(
    teacher,
):
    with transaction.atomic():
        before = changes.generation()
        with pytest.raises(RuntimeError), transaction.atomic():
            teacher.first_name = "Zoë"
            teacher.save()
            raise RuntimeError("rolled back to the savepoint")
        assert changes.generation() == before
        teacher.first_name = "José"
        teacher.save()
        assert changes.generation() != before


def test_old_changes_are_pruned_after_commit_and_the_generation_still_moves(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(changes, "PRUNE_EVERY", 5)
    monkeypatch.setattr(changes, "KEEP", 2)
    seen = set()
    for _ in range(12):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            changes.record()
        generation = changes.generation()
        assert generation not in seen
        seen.add(generation)
    assert DataChange.objects.count() < 12


def test_bulk_writes_of_the_services_record_their_change(district_pd, teacher):
    session = f.SessionFactory()
    f.MeetingFactory(session=session)
    f.EnrollmentFactory(staff=teacher, session=session, status=EnrollmentStatus.ENROLLED)

    # Cancelling a session cancels its enrollments with one UPDATE.
    assert moves(
        lambda: enrollment_services.session_cancel(
            session=session, actor=district_pd.user, reason="Low numbers"
        )
    )


def test_a_roster_commit_written_as_plain_rows_records_its_change(building):
    f.PositionFactory(code="teacher")
    content = csv_bytes([person_row(900, building=building.code)])
    result = import_services.roster_preview(source=content, file_name="roster.csv", actor=None)
    assert moves(lambda: import_services.roster_commit(run=result.run, actor=None))


@pytest.mark.django_db(transaction=True)
def test_committed_writes_move_the_generation_and_rolled_back_ones_do_not():
    staff = f.StaffMemberFactory()
    first = changes.generation()
    with transaction.atomic():
        staff.first_name = "Zoë"
        staff.save()
    second = changes.generation()
    with pytest.raises(RuntimeError), transaction.atomic():
        staff.first_name = "José"
        staff.save()
        raise RuntimeError("rolled back")
    # Outside a transaction each save is committed on its own.
    assert changes.generation() == second != first
    staff.first_name = "Ana"
    staff.save()
    assert changes.generation() != second
