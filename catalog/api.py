"""The read-only catalog API: strands, courses, buildings and sessions with their meetings.

The catalog is public information (it is also published as an iCal feed), so every endpoint here
is open to anonymous clients. Which sessions a client sees is still decided by
catalog.access.visible_sessions: drafts only reach district PD and the draft's facilitators.
"""

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from learning import access
from learning.models import Building, StaffGroup, StaffMember

from .filters import CourseFilterSet, SessionFilterSet
from .models import Course, Meeting, RegistrationState, Session, Strand
from .selectors import session_list

# Serializers: small nested shapes first, then one serializer per endpoint.


class StrandSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Strand
        fields = ["id", "code", "name"]


class CourseSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Course
        fields = ["id", "code", "title"]


class BuildingSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "code", "name"]


class StaffGroupSummarySerializer(serializers.ModelSerializer):
    """The group a session is restricted to; its slug is what the `audience` filter takes."""

    class Meta:
        model = StaffGroup
        fields = ["id", "slug", "name"]


class FacilitatorSerializer(serializers.ModelSerializer):
    """A facilitator as the public catalog shows them: a name, never an email or employee id."""

    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = StaffMember
        fields = ["id", "name"]


class StrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Strand
        fields = ["id", "code", "name", "description", "colour"]


class CourseSerializer(serializers.ModelSerializer):
    strand = StrandSummarySerializer(read_only=True)
    prerequisites = CourseSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "strand",
            "summary",
            "clock_hours",
            "format",
            "prerequisites",
            "evaluation_required",
            "requires_approval",
            "active",
        ]


class BuildingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Building
        fields = ["id", "code", "name", "kind", "address"]


class SessionCourseSerializer(serializers.ModelSerializer):
    """The course of a session, with what a catalog listing shows next to the session."""

    strand = StrandSummarySerializer(read_only=True)

    class Meta:
        model = Course
        fields = ["id", "code", "title", "clock_hours", "strand"]


class MeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "uid", "starts_at", "ends_at", "room", "status", "sequence"]


class SessionSerializer(serializers.ModelSerializer):
    """A session with its seat counts and meetings, as shaped by catalog.selectors."""

    course = SessionCourseSerializer(read_only=True)
    display_title = serializers.CharField(read_only=True)
    building = BuildingSummarySerializer(read_only=True, allow_null=True)
    restricted_to_group = StaffGroupSummarySerializer(read_only=True, allow_null=True)
    audience_positions = serializers.SerializerMethodField(
        help_text="Codes of the positions that may enroll themselves (the course's and the "
        "session's); empty: any position."
    )
    audience_buildings = serializers.SerializerMethodField(
        help_text="Codes of the buildings whose staff may enroll themselves (the course's and the "
        "session's); empty: any building."
    )
    audience_words = serializers.CharField(
        read_only=True,
        help_text='Who may enroll themselves, in words ("" when anyone may).',
    )
    requires_approval = serializers.BooleanField(
        source="approval_required",
        read_only=True,
        help_text="Whether enrollment waits for approval (the session or its course asks for it).",
    )
    virtual_url = serializers.SerializerMethodField(
        help_text="The meeting link; only for current staff and district PD (empty otherwise)."
    )
    facilitators = FacilitatorSerializer(many=True, read_only=True)
    meetings = MeetingSerializer(many=True, read_only=True)
    # Annotations of the selector: declared explicitly because the model has no such fields.
    seats_taken = serializers.IntegerField(read_only=True)
    seats_left = serializers.IntegerField(read_only=True)
    waitlist_length = serializers.IntegerField(read_only=True)
    first_starts_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Start of the first meeting."
    )
    last_ends_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="End of the last meeting."
    )
    registration_state = serializers.SerializerMethodField(
        help_text=(
            "Whether one may register now, or why not: draft, cancelled, ended (the last meeting "
            "is over), not_yet_open, open or closed (the registration window)."
        )
    )

    class Meta:
        model = Session
        fields = [
            "id",
            "course",
            "title",
            "display_title",
            "building",
            "room",
            "virtual_url",
            "capacity",
            "seats_taken",
            "seats_left",
            "waitlist_length",
            "registration_opens_at",
            "registration_closes_at",
            "registration_state",
            "status",
            "restricted_to_group",
            "audience_positions",
            "audience_buildings",
            "audience_words",
            "requires_approval",
            "facilitators",
            "meetings",
            "first_starts_at",
            "last_ends_at",
        ]

    def get_virtual_url(self, session: Session) -> str:
        request = self.context.get("request")
        user = request.user if request is not None else None
        return session.virtual_url if access.may_see_meeting_links(user) else ""

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audience_positions(self, session: Session) -> list[str]:
        return sorted(
            {p.code for p in session.course.audience_positions.all()}
            | {p.code for p in session.audience_positions.all()}
        )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audience_buildings(self, session: Session) -> list[str]:
        return sorted(
            {b.code for b in session.course.audience_buildings.all()}
            | {b.code for b in session.audience_buildings.all()}
        )

    @extend_schema_field(serializers.ChoiceField(choices=RegistrationState.choices))
    def get_registration_state(self, session: Session) -> str:
        # One moment for the whole response, so every row is judged at the same time.
        return session.registration_state(self.context.get("now") or timezone.now()).value


# ViewSets


class StrandViewSet(viewsets.ReadOnlyModelViewSet):
    """The strands of the plan's work; every course belongs to one."""

    permission_classes = [AllowAny]
    queryset = Strand.objects.order_by("order", "name")
    serializer_class = StrandSerializer


class CourseViewSet(viewsets.ReadOnlyModelViewSet):
    """The courses of the catalog, active or not, with their strand and prerequisites."""

    permission_classes = [AllowAny]
    queryset = (
        Course.objects.select_related("strand")
        .prefetch_related(Prefetch("prerequisites", queryset=Course.objects.order_by("code")))
        .order_by("strand__order", "code")
    )
    serializer_class = CourseSerializer
    filterset_class = CourseFilterSet


class BuildingViewSet(viewsets.ReadOnlyModelViewSet):
    """The district's active buildings, so clients can offer them as session filters."""

    permission_classes = [AllowAny]
    queryset = Building.objects.filter(active=True).order_by("name", "code")
    serializer_class = BuildingSerializer


class SessionViewSet(viewsets.ReadOnlyModelViewSet):
    """Sessions the client may see (drafts only for district PD and their facilitators), ordered
    by their first meeting, with seat counts, facilitators and meetings. An invalid filter value
    is a 400 naming the filter."""

    permission_classes = [AllowAny]
    serializer_class = SessionSerializer
    filterset_class = SessionFilterSet

    def get_queryset(self) -> QuerySet[Session]:
        # Visible and shaped, but unfiltered: the filter backend applies SessionFilterSet (the
        # one the catalog page and feed use) once, and answers invalid values with a 400.
        return session_list(user=self.request.user)

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}
