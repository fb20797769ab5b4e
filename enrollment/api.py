"""The enrollment API: enrolling and assigning, the enrollments list with withdrawals and
approvals, attendance, evaluations, completions and the transcript.

The rules live in enrollment.services and answer a refusal (core.api.exceptions renders it);
reads go through enrollment.selectors, scoped by learning.access, and every write answers with
the object re-read through the same scoped selector the list uses."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import access as session_access
from catalog import selectors as catalog_selectors
from catalog.api import CourseSummarySerializer
from catalog.models import Course, Meeting, Session
from core import refusals
from core.api.exceptions import refusal_responses
from core.api.serializers import InputSerializer, NaturalKeyRelatedField
from core.ids import MAX_ID
from learning import access
from learning.models import Building, Position, StaffMember

from . import selectors, services
from .choices import EnrollmentStatus
from .filters import CompletionFilterSet, EnrollmentFilterSet
from .models import (
    COMMENT_MAX_LENGTH,
    REQUEST_NOTE_MAX_LENGTH,
    Completion,
    Enrollment,
    Evaluation,
)

# Serializers: what is shown


def _record_scope(context: dict) -> access.RecordScope:
    # Decided once per response and kept in the serializer context shared by every row.
    if "record_scope" not in context:
        request = context.get("request")
        context["record_scope"] = access.record_scope(request.user if request else None)
    return context["record_scope"]


def _is_own(context: dict, staff_id: int) -> bool:
    return _record_scope(context).own_staff_id == staff_id


class StaffSummarySerializer(serializers.ModelSerializer):
    """A person as the enrollment API shows them: never an email; the employee id only to the
    person, their building leaders and district PD (a facilitator's roster shows names)."""

    name = serializers.CharField(source="display_name", read_only=True)
    building = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Code of the person's building."
    )
    employee_id = serializers.SerializerMethodField(
        help_text="HR's id; null unless you are the person, their building leader or district PD."
    )

    class Meta:
        model = StaffMember
        fields = ["id", "employee_id", "name", "building"]

    def get_employee_id(self, staff: StaffMember) -> str | None:
        return staff.employee_id if _record_scope(self.context).covers(staff) else None


class EnrollmentSessionSerializer(serializers.ModelSerializer):
    course = CourseSummarySerializer(read_only=True)
    display_title = serializers.CharField(read_only=True)
    building = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Session
        fields = ["id", "display_title", "course", "building", "status"]


class EnrollmentSerializer(serializers.ModelSerializer):
    """An enrollment as shaped by selectors.enrollment_list: the person, the session, the status
    with its waitlist position or approval hold, the session's dates and what credit still
    needs."""

    staff = StaffSummarySerializer(read_only=True)
    session = EnrollmentSessionSerializer(read_only=True)
    waitlist_position = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="1 = next to get a seat; null unless waitlisted."
    )
    first_starts_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Start of the session's first meeting."
    )
    last_ends_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="End of the session's last meeting."
    )
    has_evaluation = serializers.SerializerMethodField(
        help_text="Whether the person's evaluation is in; shown to the person only (null to "
        "anyone else), so nobody can tell who said what."
    )
    decision_reason = serializers.SerializerMethodField(
        help_text="Why it was declined, withdrawn or cancelled; for the person, their building "
        "leaders and district PD (empty for anyone else)."
    )
    request_note = serializers.SerializerMethodField(
        help_text="The person's note to their building leader with a request; for the person, "
        "their building leaders and district PD (empty for anyone else)."
    )
    missing = serializers.SerializerMethodField(
        help_text='What still stands between the enrollment and credit, e.g. "evaluation due" '
        "(evaluations listed for the person only)."
    )

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "staff",
            "session",
            "status",
            "source",
            "requested_at",
            "status_changed_at",
            "hold_expires_at",
            "waitlist_position",
            "approved_at",
            "decision_reason",
            "request_note",
            "first_starts_at",
            "last_ends_at",
            "has_evaluation",
            "missing",
        ]
        read_only_fields = fields

    def get_has_evaluation(self, enrollment: Enrollment) -> bool | None:
        return enrollment.has_evaluation if _is_own(self.context, enrollment.staff_id) else None

    def get_decision_reason(self, enrollment: Enrollment) -> str:
        covered = _record_scope(self.context).covers(enrollment.staff)
        return enrollment.decision_reason if covered else ""

    def get_request_note(self, enrollment: Enrollment) -> str:
        covered = _record_scope(self.context).covers(enrollment.staff)
        return enrollment.request_note if covered else ""

    def get_missing(self, enrollment: Enrollment) -> list[str]:
        # Expects with_attendance_counts' annotations, so no row costs a query.
        return selectors.missing_for_credit(
            enrollment,
            at=self.context.get("now") or timezone.now(),
            include_evaluation=_is_own(self.context, enrollment.staff_id),
        )


class TranscriptEnrollmentSerializer(EnrollmentSerializer):
    class Meta(EnrollmentSerializer.Meta):
        fields = [name for name in EnrollmentSerializer.Meta.fields if name != "missing"]
        read_only_fields = fields


class CompletionSerializer(serializers.ModelSerializer):
    """A completion, voided ones included (with when and why), so corrections stay visible."""

    staff = StaffSummarySerializer(read_only=True)
    course = CourseSummarySerializer(read_only=True)
    session = serializers.IntegerField(
        source="enrollment.session_id",
        read_only=True,
        allow_null=True,
        help_text="The session it was earned in; null for manual and imported records.",
    )
    recorded_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Completion
        fields = [
            "id",
            "staff",
            "course",
            "enrollment",
            "session",
            "completed_on",
            "clock_hours",
            "source",
            "evidence",
            "verification_code",
            "recorded_at",
            "voided_at",
            "void_reason",
        ]
        read_only_fields = fields


class TranscriptCompletionSerializer(CompletionSerializer):
    class Meta(CompletionSerializer.Meta):
        fields = [name for name in CompletionSerializer.Meta.fields if name != "staff"]
        read_only_fields = fields


class EvaluationSerializer(serializers.ModelSerializer):
    session = EnrollmentSessionSerializer(source="enrollment.session", read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "enrollment",
            "session",
            "content_rating",
            "facilitator_rating",
            "relevance_rating",
            "comment",
            "submitted_at",
        ]
        read_only_fields = fields


class RatingAveragesSerializer(serializers.Serializer):
    content_rating = serializers.FloatField(allow_null=True)
    facilitator_rating = serializers.FloatField(allow_null=True)
    relevance_rating = serializers.FloatField(allow_null=True)


class EvaluationSummarySerializer(serializers.Serializer):
    """A session's evaluations in aggregate, never who said what. Below `minimum` responses the
    averages are null and no comments are shown."""

    responses = serializers.IntegerField()
    participants = serializers.IntegerField()
    minimum = serializers.IntegerField(help_text="Responses needed before anything is shown.")
    shown = serializers.BooleanField()
    averages = RatingAveragesSerializer()
    comments = serializers.ListField(
        child=serializers.CharField(), help_text="In alphabetical order, so none can be traced."
    )


class SchoolYearSerializer(serializers.Serializer):
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class TranscriptYearSerializer(serializers.Serializer):
    school_year = SchoolYearSerializer()
    clock_hours = serializers.DecimalField(
        max_digits=None, decimal_places=2, help_text="Voided completions not counted."
    )
    completions = TranscriptCompletionSerializer(many=True)


class TranscriptSerializer(serializers.Serializer):
    staff = StaffSummarySerializer()
    clock_hours = serializers.DecimalField(max_digits=None, decimal_places=2)
    years = TranscriptYearSerializer(many=True, help_text="Newest first.")
    in_progress = TranscriptEnrollmentSerializer(many=True)


class AttendanceChangeSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField(source="enrollment_id")
    present = serializers.BooleanField()
    created = serializers.BooleanField(help_text="False when an earlier mark was corrected.")


class AttendanceResultSerializer(serializers.Serializer):
    changed = AttendanceChangeSerializer(many=True, help_text="The marks that changed.")
    recorded = serializers.IntegerField(help_text="How many marks the request held.")


class AssignedStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(
        allow_null=True, help_text="Null for an id outside the user's scope."
    )


ASSIGNMENT_OUTCOMES = [
    (EnrollmentStatus.ENROLLED.value, EnrollmentStatus.ENROLLED.label),
    (EnrollmentStatus.PENDING_APPROVAL.value, EnrollmentStatus.PENDING_APPROVAL.label),
    (EnrollmentStatus.WAITLISTED.value, EnrollmentStatus.WAITLISTED.label),
    ("refused", "Refused"),
]


class AssignmentResultSerializer(serializers.Serializer):
    staff = AssignedStaffSerializer()
    outcome = serializers.ChoiceField(choices=ASSIGNMENT_OUTCOMES)
    waitlist_position = serializers.IntegerField(allow_null=True)
    code = serializers.CharField(allow_null=True, help_text="Why it was refused.")
    message = serializers.CharField(allow_null=True)


# Serializers: what is sent


def id_field(**kwargs) -> serializers.IntegerField:
    # Bounded so an id too large for the database is a 400, not an overflow.
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """An id among the objects the user may see (`scope(user)`); any other does not exist."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        if request is None:
            return self.queryset.none()
        return self.scope(request.user)


@extend_schema_field(
    {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "Course id or code."}
)
class CourseReferenceField(serializers.Field):
    default_error_messages = {
        "does_not_exist": 'No course has the id or code "{value}".',
        "invalid": "Give a course id or code.",
    }

    def to_internal_value(self, data) -> Course:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str) and "\x00" in data:
            # No code holds one, and PostgreSQL cannot compare text that does.
            self.fail("does_not_exist", value=data.replace("\x00", ""))
        courses = Course.objects.all()
        if isinstance(data, str):
            value = data.strip()
            course = courses.filter(code=value).first()
            if course is None and value.isdigit():
                course = courses.filter(pk=int(value)).first()
        else:
            course = courses.filter(pk=data).first()
        if course is None:
            self.fail("does_not_exist", value=data)
        return course

    def to_representation(self, value: Course) -> int:
        return value.pk


class EnrollSerializer(InputSerializer):
    staff = id_field(
        required=False,
        allow_null=True,
        help_text="Whom to enroll (building leaders and district PD); yourself if left out.",
    )
    override_window = serializers.BooleanField(
        default=False, help_text="Enroll outside the registration window (district PD only)."
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=REQUEST_NOTE_MAX_LENGTH,
        help_text="A note to the building leader who approves a request (sessions that need "
        "approval).",
    )


class AssignSerializer(InputSerializer):
    session = ScopedPrimaryKeyRelatedField(
        scope=session_access.visible_sessions, queryset=Session.objects.all()
    )
    staff = serializers.ListField(
        child=id_field(),
        required=False,
        max_length=5000,
        help_text="Chosen people (staff ids), assigned first and in this order.",
    )
    position = NaturalKeyRelatedField(
        slug_field="code",
        queryset=Position.objects.all(),
        required=False,
        allow_null=True,
        help_text="Everyone of this position in your scope (with `building`: of both).",
    )
    building = NaturalKeyRelatedField(
        slug_field="code",
        queryset=Building.objects.all(),
        required=False,
        allow_null=True,
        help_text="Everyone of this building in your scope.",
    )
    override_window = serializers.BooleanField(
        default=False, help_text="Assign outside the registration window (district PD only)."
    )
    include_credited = serializers.BooleanField(
        default=False,
        help_text="Also assign people who have already completed the course (left out with "
        "code already_credited otherwise).",
    )

    def validate(self, data: dict) -> dict:
        if not (data.get("staff") or data.get("position") or data.get("building")):
            raise ValidationError({"staff": ["Name the people, or a position or building."]})
        return data


class ReasonSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AttendanceMarkSerializer(InputSerializer):
    enrollment = id_field()
    present = serializers.BooleanField()


class AttendanceSerializer(InputSerializer):
    meeting = serializers.PrimaryKeyRelatedField(queryset=Meeting.objects.all())
    records = AttendanceMarkSerializer(many=True, allow_empty=False)

    def validate_meeting(self, meeting: Meeting) -> Meeting:
        if meeting.session_id != self.context["session"].pk:
            raise ValidationError(refusals.MSG_MEETING_OF_OTHER_SESSION)
        return meeting


class EvaluationCreateSerializer(InputSerializer):
    enrollment = id_field(help_text="Your enrollment in the session.")
    content_rating = serializers.IntegerField(min_value=1, max_value=5)
    facilitator_rating = serializers.IntegerField(min_value=1, max_value=5)
    relevance_rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH
    )


class CompletionCreateSerializer(InputSerializer):
    staff = ScopedPrimaryKeyRelatedField(
        scope=access.visible_staff, queryset=StaffMember.objects.all()
    )
    course = CourseReferenceField()
    completed_on = serializers.DateField()
    clock_hours = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        help_text="The course's clock hours if left out.",
    )
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required: a certificate, agenda or sign-in sheet that shows the credit.",
    )


# Permissions


class IsDistrictPD(BasePermission):
    message = "Only district PD may do this."
    code = refusals.NOT_PERMITTED

    def has_permission(self, request, view) -> bool:
        return access.is_district_pd(request.user)


# Views


def _reread_enrollment(request, pk: int) -> Enrollment:
    return selectors.with_attendance_counts(selectors.enrollment_list(user=request.user)).get(pk=pk)


class RefusalSaidSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The refusal's code, as the enroll action answers it.")
    message = serializers.CharField(help_text="The refusal, in words for the person.")


class EligibilitySerializer(serializers.Serializer):
    """Where the signed-in person stands with a session, before any click: their live place,
    or what enrolling would do (the enroll action answers the same, by the same rules)."""

    session = serializers.IntegerField()
    place = serializers.ChoiceField(
        choices=EnrollmentStatus.choices,
        allow_null=True,
        help_text="The status of the person's live place in the session; null without one.",
    )
    waitlist_position = serializers.IntegerField(allow_null=True)
    action = serializers.ChoiceField(
        choices=["enroll", "request", "waitlist"],
        allow_null=True,
        help_text="What enrolling would do: a seat, a request for approval holding a seat, or "
        "a waitlist place; null when they have a place or it would be refused.",
    )
    refusal = RefusalSaidSerializer(
        allow_null=True, help_text="Why enrolling would be refused; null when it would not."
    )
    completed_on = serializers.DateField(
        allow_null=True,
        help_text="The day they last completed the session's course, if they have: enrolling "
        "again is allowed (a refresher).",
    )


class SessionActionsViewSet(viewsets.GenericViewSet):
    """What one does with a session beyond reading it in the catalog: enroll (oneself, or one's
    staff), and for its facilitators and district PD, attendance and the evaluation summary."""

    pagination_class = None
    filter_backends = []
    # For the browsable API's forms; each action names its serializers itself.
    serializer_classes = {
        "enroll": EnrollSerializer,
        "attendance": AttendanceSerializer,
        "evaluation_summary": EvaluationSummarySerializer,
        "eligibility": EligibilitySerializer,
    }

    def get_queryset(self) -> QuerySet[Session]:
        if self.action in ("enroll", "eligibility"):
            return session_access.visible_sessions(self.request.user)
        return session_access.manageable_sessions(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.serializer_classes.get(self.action, EnrollSerializer)

    @extend_schema(
        summary="Enroll in a session",
        description=(
            "Enroll yourself, or (building leaders, district PD) one of your staff. A full "
            "session is not refused: the answer is 201 with status `waitlisted` and the "
            "`waitlist_position`; a session needing approval answers `pending_approval` with "
            "`hold_expires_at`. Refusals: 409 (registration closed or not open, already "
            "enrolled, schedule conflict, not in the audience, prerequisites missing...), 403 "
            "(`override_window` by anyone but district PD), 404 (a session or person outside "
            "your scope)."
        ),
        request=EnrollSerializer,
        responses={201: EnrollmentSerializer, **refusal_responses(400, 403, 404, 409)},
    )
    def enroll(self, request, pk=None) -> Response:
        session = self.get_object()
        body = EnrollSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        staff = self._staff(body.validated_data.get("staff"))
        placement = services.enrollment_create(
            staff=staff,
            session=session,
            actor=request.user,
            override_window=body.validated_data["override_window"],
            note=body.validated_data["note"],
        )
        enrollment = _reread_enrollment(request, placement.enrollment.pk)
        return Response(
            EnrollmentSerializer(enrollment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Your standing with a session, before enrolling",
        description=(
            "Your live place in the session, or what enrolling would do (`action`) or why it "
            "would be refused (`refusal`, with the code and message the enroll action would "
            "answer), and when you last completed its course. 404 for a login with no staff "
            "record, or a session you may not see."
        ),
        responses={200: EligibilitySerializer, **refusal_responses(404)},
    )
    def eligibility(self, request, pk=None) -> Response:
        staff = access.staff_of(request.user)
        if staff is None:
            raise NotFound("This login has no staff record.")
        now = timezone.now()
        session = get_object_or_404(catalog_selectors.shape_sessions(self.get_queryset()), pk=pk)
        place = selectors.session_place(user=request.user, session=session, at=now)
        decided = place.eligibility
        enrollment = place.enrollment
        body = {
            "session": session.pk,
            "place": enrollment.status if enrollment else None,
            "waitlist_position": enrollment.waitlist_position if enrollment else None,
            "action": decided.action if decided else None,
            "refusal": (
                {"code": decided.code, "message": decided.reason}
                if decided and decided.refusal
                else None
            ),
            "completed_on": decided.completed_on if decided else None,
        }
        return Response(EligibilitySerializer(body).data)

    def _staff(self, staff_id: int | None) -> StaffMember:
        if staff_id is None:
            own = access.staff_of(self.request.user)
            if own is None:
                raise ValidationError(
                    {"staff": ["This login has no staff record: say whom to enroll."]}
                )
            return own
        return get_object_or_404(access.actionable_staff(self.request.user), pk=staff_id)

    @extend_schema(
        summary="Record attendance at a meeting",
        description=(
            "Mark one person or the whole roster present or absent at one meeting of the "
            "session (its facilitators and district PD). Late corrections are recorded with who "
            "and when; completions follow."
        ),
        request=AttendanceSerializer,
        responses={200: AttendanceResultSerializer, **refusal_responses(400, 404, 409)},
    )
    def attendance(self, request, pk=None) -> Response:
        session = self.get_object()
        body = AttendanceSerializer(data=request.data, context={"session": session})
        body.is_valid(raise_exception=True)
        marks = {mark["enrollment"]: mark["present"] for mark in body.validated_data["records"]}
        changes = services.attendance_record(
            meeting=body.validated_data["meeting"], marks=marks, actor=request.user
        )
        return Response(
            AttendanceResultSerializer({"changed": changes, "recorded": len(marks)}).data
        )

    @extend_schema(
        summary="A session's evaluations in aggregate",
        description="For its facilitators and district PD; never who said what.",
        responses={200: EvaluationSummarySerializer, **refusal_responses(404)},
    )
    def evaluation_summary(self, request, pk=None) -> Response:
        session = self.get_object()
        return Response(
            EvaluationSummarySerializer(selectors.evaluation_summary(session=session)).data
        )


@extend_schema_view(
    list=extend_schema(
        description=(
            "Enrollments you may see: your own; a building leader's staff; a facilitator's "
            "rosters; all for district PD. An invalid filter value is a 400 naming the filter."
        )
    ),
    retrieve=extend_schema(responses={200: EnrollmentSerializer, **refusal_responses(404)}),
)
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enrollments in the user's scope, newest request first, with decisions on them."""

    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilterSet
    # What the actions take; they answer with an EnrollmentSerializer (or assignment results).
    input_serializer_classes = {
        "withdraw": ReasonSerializer,
        "decline": ReasonSerializer,
        "assign": AssignSerializer,
    }

    def get_queryset(self) -> QuerySet[Enrollment]:
        return selectors.with_attendance_counts(selectors.enrollment_list(user=self.request.user))

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.input_serializer_classes.get(self.action, EnrollmentSerializer)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _answer(self, enrollment: Enrollment) -> Response:
        enrollment = _reread_enrollment(self.request, enrollment.pk)
        return Response(
            EnrollmentSerializer(enrollment, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Withdraw from a session",
        description="The seat goes at once to the head of the waitlist.",
        request=ReasonSerializer,
        responses={200: EnrollmentSerializer, **refusal_responses(404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def withdraw(self, request, pk=None) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        enrollment = services.enrollment_withdraw(
            enrollment=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return self._answer(enrollment)

    @extend_schema(
        summary="Approve a pending request",
        description="A building leader (of the person's building) or district PD.",
        request=None,
        responses={200: EnrollmentSerializer, **refusal_responses(404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request, pk=None) -> Response:
        enrollment = services.enrollment_approve(enrollment=self.get_object(), actor=request.user)
        return self._answer(enrollment)

    @extend_schema(
        summary="Decline a pending request",
        description="The reason is required (`reason_required`): the person is told.",
        request=ReasonSerializer,
        responses={200: EnrollmentSerializer, **refusal_responses(400, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def decline(self, request, pk=None) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        enrollment = services.enrollment_decline(
            enrollment=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return self._answer(enrollment)

    @extend_schema(
        summary="Assign people to a session",
        description=(
            "Building leaders and district PD assign chosen people (ids), and/or everyone of a "
            "position or building in their scope, with the rules of enrolling. The answer has a "
            "result per person; ids outside your scope are refused `not_permitted`. Anyone "
            "else gets a 404, as on the assign page."
        ),
        request=AssignSerializer,
        responses={
            200: AssignmentResultSerializer(many=True),
            **refusal_responses(400, 403, 404),
        },
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def assign(self, request) -> Response:
        body = AssignSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = body.validated_data
        requested = list(dict.fromkeys(data.get("staff") or []))
        people = []
        if requested:
            found = {
                person.pk: person
                for person in selectors.assignable_staff(user=request.user, staff_ids=requested)
            }
            people += [found[pk] for pk in requested if pk in found]
        if data.get("position") or data.get("building"):
            people += selectors.assignable_staff(
                user=request.user, position=data.get("position"), building=data.get("building")
            )
        results = [
            {
                "staff": {"id": result.staff.pk, "name": result.staff.display_name},
                "outcome": result.outcome,
                "waitlist_position": result.placement and result.placement.waitlist_position,
                "code": result.refusal and result.refusal.code,
                "message": result.refusal and result.refusal.message,
            }
            for result in services.enrollments_assign(
                staff=people,
                session=data["session"],
                actor=request.user,
                override_window=data["override_window"],
                include_credited=data["include_credited"],
            )
        ]
        resolved = {person.pk for person in people}
        results += [
            {
                "staff": {"id": pk, "name": None},
                "outcome": "refused",
                "waitlist_position": None,
                "code": refusals.NOT_PERMITTED,
                "message": refusals.MSG_NOT_ASSIGNABLE,
            }
            for pk in requested
            if pk not in resolved
        ]
        return Response(AssignmentResultSerializer(results, many=True).data)


@extend_schema_view(
    list=extend_schema(
        description=(
            "Completions of the staff you may see, newest first, voided ones included (with "
            "`voided_at` and `void_reason`). An invalid filter value is a 400 naming the filter."
        )
    ),
    retrieve=extend_schema(responses={200: CompletionSerializer, **refusal_responses(404)}),
)
class CompletionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Credit for courses: from sessions, imports, or recorded by district PD with evidence."""

    serializer_class = CompletionSerializer
    filterset_class = CompletionFilterSet
    input_serializer_classes = {"create": CompletionCreateSerializer, "void": ReasonSerializer}

    def get_queryset(self) -> QuerySet[Completion]:
        return selectors.completion_list(user=self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return self.input_serializer_classes.get(self.action, CompletionSerializer)

    def _answer(self, completion: Completion, http_status: int = 200) -> Response:
        completion = self.get_queryset().get(pk=completion.pk)
        return Response(CompletionSerializer(completion).data, status=http_status)

    def get_permissions(self):
        if self.action in ("create", "void"):
            return [IsAuthenticated(), IsDistrictPD()]
        return super().get_permissions()

    @extend_schema(
        summary="Record a completion (external PD)",
        description="District PD only. The course's clock hours apply unless others are given.",
        request=CompletionCreateSerializer,
        responses={201: CompletionSerializer, **refusal_responses(400, 403, 409)},
    )
    def create(self, request) -> Response:
        body = CompletionCreateSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        completion = services.completion_record(actor=request.user, **body.validated_data)
        return self._answer(completion, http_status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Void a completion",
        description="District PD only, with a reason; the completion stays in the history.",
        request=ReasonSerializer,
        responses={200: CompletionSerializer, **refusal_responses(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def void(self, request, pk=None) -> Response:
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        completion = services.completion_void(
            completion=self.get_object(), reason=body.validated_data["reason"], actor=request.user
        )
        return self._answer(completion)


@extend_schema_view(list=extend_schema(description="Your own evaluations, newest first."))
class EvaluationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A participant's post-session surveys: only ever their own."""

    serializer_class = EvaluationSerializer

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return EvaluationCreateSerializer if self.action == "create" else EvaluationSerializer

    def get_queryset(self) -> QuerySet[Evaluation]:
        own = access.staff_of(self.request.user)
        if own is None:
            return Evaluation.objects.none()
        return (
            Evaluation.objects.filter(enrollment__staff=own)
            .select_related(
                "enrollment__session__course",
                "enrollment__session__building",
            )
            .order_by("-submitted_at", "-pk")
        )

    @extend_schema(
        summary="Evaluate a session",
        description=(
            "The participant's own survey, open once the last meeting has ended; once per "
            "enrollment. Another person's enrollment is a 404."
        ),
        request=EvaluationCreateSerializer,
        responses={201: EvaluationSerializer, **refusal_responses(400, 404, 409)},
    )
    def create(self, request) -> Response:
        body = EvaluationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        own = access.staff_of(request.user)
        enrollment = get_object_or_404(
            Enrollment.objects.filter(staff=own).select_related("session"),
            pk=data.pop("enrollment"),
        )
        evaluation = services.evaluation_submit(enrollment=enrollment, actor=request.user, **data)
        return Response(
            EvaluationSerializer(self.get_queryset().get(pk=evaluation.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class TranscriptView(APIView):
    """The signed-in person's completions and clock hours per school year, newest first, and the
    enrollments still in progress."""

    @extend_schema(
        summary="Your transcript",
        responses={200: TranscriptSerializer, **refusal_responses(404)},
    )
    def get(self, request) -> Response:
        staff = access.staff_of(request.user)
        if staff is None:
            raise NotFound("This login has no staff record, so it has no transcript.")
        # With the request, so the person's own details (employee id, evaluations) are shown.
        transcript = selectors.transcript(staff=staff)
        return Response(TranscriptSerializer(transcript, context={"request": request}).data)
