"""factory_boy factories for every model; tests build their data with these."""

import datetime as dt
import itertools
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from calendars.models import FeedToken
from catalog.choices import SessionStatus
from catalog.models import Course, Meeting, Session, Strand
from enrollment.choices import EnrollmentStatus
from enrollment.models import Attendance, Completion, Enrollment, Evaluation, OutsideActivity
from imports.choices import ImportKind
from imports.models import ImportRun
from learning.access import DISTRICT_PD_GROUP, HR_GROUP
from learning.choices import PositionCategory
from learning.models import (
    Building,
    Goal,
    Plan,
    PlanYear,
    Position,
    Requirement,
    StaffGroup,
    StaffMember,
)

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # set_password only hashes in memory; store it.
        if create:
            instance.save()


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"bldg-{n}")
    name = factory.Sequence(lambda n: f"Building {n}")
    address = factory.Sequence(lambda n: f"{100 + n} Main St, Birmingham, MI 48009")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position
        django_get_or_create = ("code",)

    code = "teacher"
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    category = PositionCategory.TEACHER


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    # "F" keeps factory-made staff apart from the numeric ids of the import test files.
    employee_id = factory.Sequence(lambda n: f"F{n:06d}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    email = factory.LazyAttribute(lambda o: f"{o.employee_id}@staff.example.org")
    building = factory.SubFactory(BuildingFactory)
    position = factory.SubFactory(PositionFactory)
    hired_on = dt.date(2020, 8, 20)

    @factory.post_generation
    def leads(self, create, extracted, **kwargs):
        if create and extracted:
            self.leads_buildings.set(extracted)


class StaffGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffGroup
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"group-{n}")
    name = factory.Sequence(lambda n: f"Group {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


_login_numbers = itertools.count(1)


def login_for(staff: StaffMember | None = None, *, groups=(), superuser=False, username=None):
    """A user with a password of PASSWORD, linked to staff when given."""
    user = UserFactory(
        username=username or f"login{next(_login_numbers)}",
        groups=list(groups),
        is_superuser=superuser,
        is_staff=superuser,
    )
    if staff is not None:
        staff.user = user
        staff.save(update_fields=["user"])
    return user


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    name = "BPS, Better Together"
    starts_on = dt.date(2025, 7, 1)
    ends_on = dt.date(2028, 6, 30)


class PlanYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanYear

    plan = factory.SubFactory(PlanFactory)
    name = "2026-27"
    starts_on = dt.date(2026, 7, 1)
    ends_on = dt.date(2027, 6, 30)


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Goal

    plan_year = factory.SubFactory(PlanYearFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")


class StrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strand
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"strand-{n}")
    name = factory.Sequence(lambda n: f"Strand {n}")


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    code = factory.Sequence(lambda n: f"c-{n}")
    title = factory.Sequence(lambda n: f"Course {n}")
    strand = factory.SubFactory(StrandFactory)
    clock_hours = Decimal("3.00")


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Requirement

    goal = factory.SubFactory(GoalFactory)
    course = factory.SubFactory(CourseFactory)
    target_percent = 90
    due_on = dt.date(2027, 6, 30)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    course = factory.SubFactory(CourseFactory)
    building = factory.SubFactory(BuildingFactory)
    room = "Media Center"
    capacity = 20
    status = SessionStatus.PUBLISHED


def local(year, month, day, hour=16, minute=0) -> dt.datetime:
    """An aware datetime in the district's zone."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    session = factory.SubFactory(SessionFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2))


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    staff = factory.SubFactory(StaffMemberFactory)
    session = factory.SubFactory(SessionFactory)
    status = EnrollmentStatus.ENROLLED


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    enrollment = factory.SubFactory(EnrollmentFactory)
    meeting = factory.SubFactory(
        MeetingFactory, session=factory.SelfAttribute("..enrollment.session")
    )
    present = True


class EvaluationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Evaluation

    enrollment = factory.SubFactory(EnrollmentFactory)
    content_rating = 4
    facilitator_rating = 5
    relevance_rating = 4


class CompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Completion

    staff = factory.SubFactory(StaffMemberFactory)
    course = factory.SubFactory(CourseFactory)
    completed_on = dt.date(2026, 10, 1)
    clock_hours = Decimal("3.00")


class FeedTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FeedToken

    staff = factory.SubFactory(StaffMemberFactory)


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    kind = ImportKind.ROSTER
    file_name = "roster.xlsx"
    file_sha256 = "0" * 64


__all__ = ["DISTRICT_PD_GROUP", "HR_GROUP", "PASSWORD"]


# The smallest well-formed PDF header: enough for the evidence check, which reads the first bytes.
PDF_BYTES = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class OutsideActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutsideActivity

    staff = factory.SubFactory(StaffMemberFactory)
    title = "MiASCD Fall Conference"
    provider = "MiASCD"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=20))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=1))
    hours = Decimal("12")
    strand = factory.SubFactory(StrandFactory)
    evidence = factory.django.FileField(filename="certificate.pdf", data=PDF_BYTES)
    evidence_name = "certificate.pdf"
    evidence_type = "application/pdf"
    evidence_size = len(PDF_BYTES)
