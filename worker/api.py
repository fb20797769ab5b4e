"""The jobs API: a long job's state, to poll after an answer 202 (an import sent with
`Prefer: respond-async`). Each person sees their own jobs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from core.api.exceptions import refusal_responses

from .models import Job


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(allow_null=True, read_only=True)
    finished = serializers.BooleanField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="job-detail")

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "title",
            "status",
            "stage",
            "done",
            "total",
            "percent",
            "finished",
            "message",
            "result_url",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary="Your jobs", description="The long jobs you started, newest first."),
    retrieve=extend_schema(
        summary="A job's state",
        description=(
            "Poll until `finished`; then `status` is `done` or `failed`, `message` says what "
            "happened and `result_url` where to see it (an import run's page; its API resource "
            "is /api/v1/imports/<id>/)."
        ),
        responses={200: JobSerializer, **refusal_responses(404)},
    ),
)
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JobSerializer
    filter_backends = []

    def get_queryset(self):
        # An anonymous request (the schema's) owns no job.
        return Job.objects.filter(created_by_id=self.request.user.pk).defer("payload", "result")
