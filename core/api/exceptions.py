"""How the API answers errors. A refusal of the enrollment rules answers with its status and
`{"code", "message", "details"?}`; other errors (not found, not permitted, not signed in) take the
same shape with DRF's code. Invalid fields keep DRF's usual `{field: [messages]}` with a 400."""

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core.refusals import CODES, Refusal

NOT_FOUND = "not_found"
API_PREFIX = "/api/"
MSG_BODY_OVER_LIMITS = "The request body is too large or has too many fields; send a list as JSON."


def refusal_body(code: str, message: str, details: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if details:
        body["details"] = details
    return body


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The site's 404 (Django's handler404). Under /api/ a URL that names nothing, such as an
    id that is not a number, answers like any other API 404: JSON, not the HTML page."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            refusal_body(NOT_FOUND, str(exceptions.NotFound.default_detail)), status=404
        )
    return defaults.page_not_found(request, exception)


def exception_handler(exc, context):
    if isinstance(exc, Refusal) and exc.status != 404:
        set_rollback()
        return Response(refusal_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, Refusal | Http404):
        # Whatever was not found, or is outside the user's scope, answers alike: the message of a
        # refusal may name a person the user may not see.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        # A model's full_clean() in a service: the client's values, not a server error.
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        # Django refuses a body over its limits while DRF parses it; answered in the API's
        # shape, not as Django's HTML 400 page.
        exc = exceptions.ParseError(MSG_BODY_OVER_LIMITS)
    response = drf_exception_handler(exc, context)
    if response is None or isinstance(exc, exceptions.ValidationError):
        return response
    codes = exc.get_codes()
    response.data = refusal_body(
        codes if isinstance(codes, str) else exc.default_code, str(exc.detail)
    )
    return response


class RefusalSerializer(serializers.Serializer):
    """The body of every error but invalid fields."""

    code = serializers.CharField(
        help_text=(
            "Stable and machine-readable. Refusals of the enrollment rules: "
            + ", ".join(CODES)
            + "; otherwise DRF's: not_found, not_authenticated, permission_denied, "
            "method_not_allowed, parse_error...; csrf_failed (403) for a write signed in by "
            "the session without a current CSRF token"
        )
    )
    message = serializers.CharField(help_text="For people.")
    details = serializers.DictField(
        required=False, help_text="Facts behind the refusal, e.g. the clashing session's id."
    )


class ValidationErrorsSerializer(serializers.Serializer):
    """The body of invalid fields, `{field: [messages]}`; its schema is
    core.api.autoschema.ValidationErrorsExtension's."""


_DESCRIPTIONS = {
    400: "Refused (`code` and `message`), or invalid fields (`{field: [messages]}`).",
    403: "Not permitted, or credentials missing or invalid.",
    404: "Not found, or outside the user's scope.",
    409: "Refused: the request conflicts with the state of things (`code` says which rule).",
}

# A 400 is either body: a refusal of a rule, or DRF's invalid fields.
BAD_REQUEST = OpenApiResponse(
    PolymorphicProxySerializer(
        component_name="BadRequest",
        serializers=[RefusalSerializer, ValidationErrorsSerializer],
        resource_type_field_name=None,
        many=False,
    ),
    description=_DESCRIPTIONS[400],
)
FIELD_ERRORS = OpenApiResponse(
    ValidationErrorsSerializer, description="Invalid filters or page: `{parameter: [messages]}`."
)


def refusal_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error responses for extend_schema(responses=...)."""
    return {
        status: BAD_REQUEST
        if status == 400
        else OpenApiResponse(RefusalSerializer, description=_DESCRIPTIONS[status])
        for status in statuses
    }
