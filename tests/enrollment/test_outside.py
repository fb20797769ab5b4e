"""Outside learning: a person submits an activity done elsewhere with evidence; district PD
approves it (a completion with source "outside", in the strand, hours as approved) or declines it
with a reason, and the person is mailed either way. Bad input (dates, hours beyond the days,
evidence missing, empty, too big, of another type or named as one type while another) is refused
with a message naming the field, and writes nothing: no row, no file. The evidence is served
only to its owner, district PD and administrators."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import refusals as r
from enrollment import selectors, services
from enrollment.choices import CompletionSource, OutsideActivityStatus
from enrollment.models import Completion, OutsideActivity
from tests import factories as f
from tests.enrollment.test_pages_participant import messages_of, text
from tests.enrollment.test_services import refusal_of

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ZIP_BYTES = b"PK\x03\x04" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _evidence_of_this_test_only(settings, tmp_path):
    settings.EVIDENCE_ROOT = tmp_path / "evidence"


@pytest.fixture
def strand(db):
    return f.StrandFactory(code="sel", name="Social-Emotional Learning")


def evidence_files() -> list[Path]:
    root = Path(OutsideActivity._meta.get_field("evidence").storage.location)
    assert root == Path(settings.EVIDENCE_ROOT).resolve()
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def submit(teacher, strand, *, actor=None, **changes):
    today = timezone.localdate()
    values = {
        "title": "MiASCD Fall Conference",
        "provider": "MiASCD",
        "starts_on": today - dt.timedelta(days=9),
        "ends_on": today - dt.timedelta(days=8),
        "hours": Decimal("12"),
        "strand": strand,
        "evidence": SimpleUploadedFile("certificate.pdf", f.PDF_BYTES, "application/pdf"),
    }
    values.update(changes)
    return services.outside_activity_submit(staff=teacher, actor=actor or teacher.user, **values)


def test_a_submission_keeps_its_evidence_under_a_name_of_its_own(teacher, strand):
    activity = submit(teacher, strand)

    assert activity.status == OutsideActivityStatus.SUBMITTED
    assert (activity.evidence_type, activity.evidence_name) == (
        "application/pdf",
        "certificate.pdf",
    )
    (stored,) = evidence_files()
    assert stored.read_bytes() == f.PDF_BYTES
    assert "certificate" not in stored.name and stored.suffix == ".pdf"


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"hours": Decimal("21")}, "hours", "21 hours is more than the activity's 2 days allow"),
        ({"hours": Decimal("0")}, "hours", "more than 0"),
        (
            {"ends_on": timezone.localdate() - dt.timedelta(days=10)},
            "ends_on",
            "cannot end before it starts",
        ),
        ({"ends_on": timezone.localdate() + dt.timedelta(days=1)}, "ends_on", "has not come yet"),
        ({"evidence": None}, "evidence", "Attach evidence"),
        ({"evidence": SimpleUploadedFile("empty.pdf", b"")}, "evidence", "empty.pdf is empty"),
        (
            {"evidence": SimpleUploadedFile("notes.zip", ZIP_BYTES)},
            "evidence",
            "notes.zip is not a PDF, PNG or JPEG",
        ),
        (
            {"evidence": SimpleUploadedFile("certificate.pdf", PNG_BYTES, "application/pdf")},
            "evidence",
            "certificate.pdf is named as a PDF but its contents are a PNG image",
        ),
    ],
)
def test_bad_input_is_refused_by_field_and_writes_nothing(teacher, strand, changes, field, says):
    refusal = refusal_of(submit, teacher, strand, **changes)

    assert refusal.status == 400
    assert refusal.details == {"field": field}
    assert says in refusal.message
    assert not OutsideActivity.objects.exists()
    assert evidence_files() == []


def test_an_oversized_file_is_refused_with_its_size(settings, teacher, strand):
    settings.OUTSIDE_EVIDENCE_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("scan.pdf", f.PDF_BYTES + b"0" * (3 * 1024 * 1024))

    refusal = refusal_of(submit, teacher, strand, evidence=big)

    assert refusal.message == "The file scan.pdf is 3.0 MB; the largest accepted is 2.0 MB."
    assert evidence_files() == []


def test_nobody_submits_for_someone_else(teacher, leader, strand):
    refusal = refusal_of(submit, teacher, strand, actor=leader.user)

    assert refusal.code == r.NOT_PERMITTED
    assert not OutsideActivity.objects.exists()


def test_approval_credits_the_strand_with_the_hours_approved_and_mails(
    mailed, teacher, district_pd, strand
):
    activity = submit(teacher, strand)

    with mailed as mail:
        services.outside_activity_approve(
            activity=activity, actor=district_pd.user, hours=Decimal("10.5")
        )

    activity.refresh_from_db()
    completion = activity.completion
    assert activity.status == OutsideActivityStatus.APPROVED
    assert (completion.source, completion.clock_hours) == (
        CompletionSource.OUTSIDE,
        Decimal("10.5"),
    )
    assert (completion.course.code, completion.course.strand) == ("outside-sel", strand)
    assert not completion.course.active
    assert completion.completed_on == activity.ends_on
    assert "MiASCD Fall Conference, MiASCD" in completion.evidence
    (message,) = mail
    assert message.to == [teacher.email]
    assert message.subject == "Credit approved: MiASCD Fall Conference"
    assert "10.5 clock hours in Social-Emotional Learning (you asked for 12)" in message.body
    again = refusal_of(services.outside_activity_approve, activity=activity, actor=district_pd.user)
    assert again.code == r.NOT_PENDING
    assert Completion.objects.count() == 1


def test_a_decline_needs_a_reason_and_mails_it(mailed, teacher, district_pd, strand):
    activity = submit(teacher, strand)
    refusal = refusal_of(
        services.outside_activity_decline, activity=activity, actor=district_pd.user, reason=" "
    )
    assert refusal.code == r.REASON_REQUIRED

    with mailed as mail:
        services.outside_activity_decline(
            activity=activity, actor=district_pd.user, reason="No agenda attached."
        )

    activity.refresh_from_db()
    assert (activity.status, activity.decision_reason) == (
        OutsideActivityStatus.DECLINED,
        "No agenda attached.",
    )
    assert "Reason: No agenda attached." in mail[0].body
    assert not Completion.objects.exists()


def test_only_district_pd_decides(teacher, leader, strand):
    activity = submit(teacher, strand)

    refusal = refusal_of(services.outside_activity_approve, activity=activity, actor=leader.user)

    assert refusal.code == r.NOT_PERMITTED


# The pages


def test_the_page_submits_with_a_file_and_lists_it(client, teacher, strand):
    client.force_login(teacher.user)
    today = timezone.localdate()

    response = client.post(
        reverse("enrollment:outside"),
        {
            "title": "Restorative Justice Summer Institute",
            "provider": "Oakland University",
            "starts_on": (today - dt.timedelta(days=30)).isoformat(),
            "ends_on": (today - dt.timedelta(days=28)).isoformat(),
            "hours": "18",
            "strand": strand.pk,
            "evidence": SimpleUploadedFile("agenda.png", PNG_BYTES, "image/png"),
        },
        follow=True,
    )

    assert messages_of(response)[0].startswith("Submitted for review")
    page = text(response)
    assert "Restorative Justice Summer Institute" in page and "Waiting for review" in page


def test_a_refused_submission_names_the_field_on_the_page(client, teacher, strand):
    client.force_login(teacher.user)
    today = timezone.localdate()

    response = client.post(
        reverse("enrollment:outside"),
        {
            "title": "One long day",
            "provider": "A district nearby",
            "starts_on": today.isoformat(),
            "ends_on": today.isoformat(),
            "hours": "30",
            "strand": strand.pk,
            "evidence": SimpleUploadedFile("certificate.pdf", f.PDF_BYTES),
        },
    )

    assert response.status_code == 400
    assert "Hours: 30 hours is more than the activity's 1 day allows" in text(response)
    assert not OutsideActivity.objects.exists()


def test_the_evidence_is_served_to_its_owner_and_district_pd_only(
    client, teacher, leader, district_pd, strand
):
    activity = submit(teacher, strand)
    url = reverse("enrollment:outside-evidence", args=[activity.pk])

    client.force_login(teacher.user)
    own = client.get(url)
    client.force_login(district_pd.user)
    reviewed = client.get(url)
    client.force_login(leader.user)  # their building leader: not theirs to see
    other = client.get(url)

    assert own.status_code == reviewed.status_code == 200
    assert b"".join(own.streaming_content) == f.PDF_BYTES
    assert own["Content-Type"] == "application/pdf"
    assert own["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in own["Content-Security-Policy"]
    assert other.status_code == 404


def test_the_review_page_takes_the_same_queries_for_3_and_for_30(client, district_pd, strand):
    def count(n: int) -> int:
        while OutsideActivity.objects.count() < n:
            f.OutsideActivityFactory(strand=strand)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("enrollment:outside-review")).status_code == 200
        return len(queries)

    client.force_login(district_pd.user)
    assert count(3) == count(30)


def test_an_approved_activity_counts_towards_the_strand_s_hours(teacher, district_pd, strand):
    activity = submit(teacher, strand)
    services.outside_activity_approve(activity=activity, actor=district_pd.user)

    outside = [
        c for c in selectors.transcript(staff=teacher).years[0].completions if c.source == "outside"
    ]

    assert [c.clock_hours for c in outside] == [Decimal("12.00")]


def test_my_outside_learning_takes_the_same_queries_for_3_and_for_30(client, teacher, strand):
    def count(n: int) -> int:
        while OutsideActivity.objects.count() < n:
            f.OutsideActivityFactory(staff=teacher, strand=strand)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("enrollment:outside")).status_code == 200
        return len(queries)

    client.force_login(teacher.user)
    assert count(3) == count(30)
