"""The imports API: upload a file (multipart) for a preview with the same content as the HR page,
read the runs, and commit a preview. HR and administrators only: others see no runs."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from core.api.exceptions import refusal_body, refusal_responses
from core.api.serializers import InputSerializer
from learning import access
from learning.models import StaffMember
from worker.api import JobSerializer

from . import jobs, selectors, services
from .choices import ImportKind
from .filters import StaffDirectoryFilterSet
from .forms import parse_mapping
from .models import ImportRun
from .readers import UnreadableFile

# The parts of a change set a client sees; the rest (fingerprint, the error report's cells) is
# the commit's business.
CHANGE_KEYS = {
    ImportKind.ROSTER: (
        "create_buildings",
        "create_positions",
        "create",
        "update",
        "reactivate",
        "deactivate",
    ),
    ImportKind.COMPLETIONS: ("create", "unchanged"),
}


class ImportUploadSerializer(InputSerializer):
    file = serializers.FileField(
        allow_empty_file=True, help_text="CSV, XLSX, XLS or ODS (the first sheet)."
    )
    kind = serializers.ChoiceField(choices=ImportKind.choices, default=ImportKind.ROSTER)
    sync = serializers.BooleanField(
        default=False, help_text="Roster: deactivate active staff missing from the file."
    )
    create_missing = serializers.BooleanField(
        default=False, help_text="Roster: create unknown buildings and positions."
    )
    skip_invalid = serializers.BooleanField(
        default=False, help_text="Commit the valid rows even if other rows have errors."
    )
    mapping = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text='"Column=field" lines, for columns with unusual names.',
    )

    def validate_mapping(self, value: str) -> dict[str, str]:
        try:
            return parse_mapping(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class ImportCommitSerializer(InputSerializer):
    confirm_large_deactivation = serializers.BooleanField(
        default=False,
        help_text="Needed when a sync would deactivate more than the cap (10%) of active staff.",
    )
    skip_invalid = serializers.BooleanField(
        default=False,
        help_text="Apply the valid rows of a preview with errors, leaving the rows with errors "
        "out (needed unless the preview was made with skip_invalid).",
    )


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row number as the spreadsheet shows it.")
    column = serializers.CharField(help_text="The column as named in the file.")
    field = serializers.CharField()
    value = serializers.CharField()
    message = serializers.CharField()


class ImportRunSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    counts = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()
    errors = ImportRowErrorSerializer(many=True, read_only=True)
    needs_confirmation = serializers.SerializerMethodField()
    can_commit = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "file_name",
            "file_sha256",
            "file_size",
            "created_by",
            "created_at",
            "options",
            "outcome",
            "message",
            "committed_at",
            "counts",
            "changes",
            "errors",
            "needs_confirmation",
            "can_commit",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_counts(self, run: ImportRun) -> dict:
        return run.counts

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_changes(self, run: ImportRun) -> dict:
        """Roster: create_buildings, create_positions, create, update (field: [before, after]),
        reactivate, deactivate. Completions: create, unchanged."""
        changes = {key: run.change_set.get(key, []) for key in CHANGE_KEYS.get(run.kind, ())}
        if run.kind == ImportKind.ROSTER and run.change_set:
            # Stored compactly (one list per person); a client sees one object per person.
            changes["create"] = selectors.preview_of(run).creates
        return changes

    def get_needs_confirmation(self, run: ImportRun) -> bool:
        return selectors.preview_of(run).needs_confirmation

    def get_can_commit(self, run: ImportRun) -> bool:
        return (
            run.outcome != "committed"
            and bool(run.change_set)
            and (selectors.preview_of(run).can_commit)
        )


@extend_schema_view(
    list=extend_schema(
        summary="Import runs",
        description="HR and administrators: every run, newest first. Others: none.",
    ),
    retrieve=extend_schema(responses={200: ImportRunSerializer, **refusal_responses(404)}),
)
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Roster and completion imports: preview, then commit."""

    serializer_class = ImportRunSerializer
    filter_backends = []
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.import_runs(self.request.user)

    @extend_schema(
        summary="Upload a file for a preview",
        description=(
            "HR and administrators. Reads the file, checks every row and answers with the "
            "preview (counts, changes, errors); nothing else is written. A file that cannot be "
            "used answers 400 with `code` and `message`. With the header "
            "`Prefer: respond-async`, the worker previews the file: the answer is 202 with the "
            "job (its `url`, also in `Location`) to poll until it is finished."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: ImportRunSerializer,
            202: JobSerializer,
            **refusal_responses(400, 403),
        },
    )
    def create(self, request) -> Response:
        if not access.is_hr(request.user):
            raise PermissionDenied(services.MSG_NOT_PERMITTED)
        body = ImportUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if _asks_async(request):
            job = jobs.start_preview(user=request.user, upload=data["file"], data=data)
            return _accepted(request, job)
        try:
            preview = services.import_preview(
                kind=data["kind"],
                source=data["file"],
                file_name=data["file"].name,
                mapping=data["mapping"],
                sync=data["sync"],
                create_missing=data["create_missing"],
                skip_invalid=data["skip_invalid"],
                actor=request.user,
            )
        except UnreadableFile as error:
            return Response(
                refusal_body(error.code, error.message), status=status.HTTP_400_BAD_REQUEST
            )
        run = self.get_queryset().get(pk=preview.run.pk)
        return Response(ImportRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Commit a preview",
        description=(
            "Applies exactly the previewed change set in one transaction. Refusals answer 409 "
            "with `code`: has_errors, stale (preview again), needs_confirmation, "
            "already_committed, sync_rows_without_id, not_previewed. With the header "
            "`Prefer: respond-async`, the worker commits it: 202 with the job to poll."
        ),
        request=ImportCommitSerializer,
        responses={200: ImportRunSerializer, 202: JobSerializer, **refusal_responses(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None) -> Response:
        run = self.get_object()
        body = ImportCommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if _asks_async(request):
            job = jobs.start_commit(
                user=request.user,
                run=run,
                confirm_large_deactivation=body.validated_data["confirm_large_deactivation"],
                skip_invalid=body.validated_data["skip_invalid"],
            )
            return _accepted(request, job)
        try:
            services.import_commit(
                run=run,
                actor=request.user,
                confirm_large_deactivation=body.validated_data["confirm_large_deactivation"],
                skip_invalid=body.validated_data["skip_invalid"],
            )
        except services.ImportRefused as refusal:
            return Response(
                refusal_body(refusal.code, refusal.message, refusal.details),
                status=status.HTTP_409_CONFLICT,
            )
        return Response(ImportRunSerializer(self.get_queryset().get(pk=run.pk)).data)


def _asks_async(request) -> bool:
    """RFC 7240: the client would rather have 202 and a job to poll than wait."""
    preferences = request.headers.get("Prefer", "")
    return any(part.strip() == "respond-async" for part in preferences.split(","))


def _accepted(request, job) -> Response:
    body = JobSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class StaffSerializer(serializers.ModelSerializer):
    building = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Building code; null with none."
    )
    position = serializers.SlugRelatedField(
        slug_field="code", read_only=True, help_text="Position code; null with none."
    )
    has_login = serializers.SerializerMethodField()

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "employee_id",
            "first_name",
            "last_name",
            "preferred_name",
            "email",
            "building",
            "position",
            "status",
            "hired_on",
            "separated_on",
            "has_login",
        ]
        read_only_fields = fields

    def get_has_login(self, person: StaffMember) -> bool:
        return person.user_id is not None


class IsHR(BasePermission):
    message = services.MSG_NOT_PERMITTED

    def has_permission(self, request, view) -> bool:
        return access.is_hr(request.user)


@extend_schema_view(
    list=extend_schema(
        summary="Staff records",
        description=(
            "HR and administrators: every staff record, by name, with the staff page's search "
            "(`q`: names, email, employee ID) and filters (building and position codes, "
            "status). Anyone else: 403."
        ),
        responses={200: StaffSerializer(many=True), **refusal_responses(400, 403)},
    ),
    retrieve=extend_schema(responses={200: StaffSerializer, **refusal_responses(403, 404)}),
)
class StaffViewSet(viewsets.ReadOnlyModelViewSet):
    """The staff directory HR's page shows, for HR's scripts. Refused to anyone else, so that
    not even which building or position codes exist can be learned from its filters."""

    permission_classes = [IsAuthenticated, IsHR]
    serializer_class = StaffSerializer
    filterset_class = StaffDirectoryFilterSet

    def get_queryset(self):
        return selectors.staff_directory(self.request.user)
