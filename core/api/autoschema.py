"""The API's AutoSchema: every operation also documents the errors it can answer, not only its
success, so that a client (and a schema-driven test) knows every status it may meet:

- 400 for a request body (invalid fields, or a refusal of a rule) and for a list's filters and
  page number;
- 403 everywhere: credentials missing or invalid (session authentication comes first, so DRF
  answers 403, not 401), or not permitted;
- 404 where the path names an object (including an id that is not a number) and for a page past
  a list's last.

Statuses an operation documents itself (with extend_schema) are kept as they are."""

import re

from drf_spectacular import authentication
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from core.api.exceptions import BAD_REQUEST, FIELD_ERRORS, refusal_responses

PATH_PARAMETER = re.compile(r"\{\w+\}")


class ValidationErrorsExtension(OpenApiSerializerExtension):
    """DRF's `{field: [messages]}`; a nested field answers an object or a list of them."""

    target_class = "core.api.exceptions.ValidationErrorsSerializer"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": "Invalid fields: `{field: [messages]}` (nested fields nest).",
            "additionalProperties": {"anyOf": [{"type": "array"}, {"type": "object"}]},
            "minProperties": 1,
        }


class ErrorResponsesAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status, response in self._error_responses().items():
            code = str(status)
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def _error_responses(self) -> dict[int, OpenApiResponse]:
        errors = dict(refusal_responses(403))
        has_body = self.method in ("POST", "PUT", "PATCH")
        paginated = (
            self.method == "GET" and self._is_list_view() and self._get_paginator() is not None
        )
        if has_body:
            errors[400] = BAD_REQUEST
        elif paginated or self.get_filter_backends():
            errors[400] = FIELD_ERRORS
        if PATH_PARAMETER.search(self.path) or paginated:
            errors.update(refusal_responses(404))
        return errors


class SessionScheme(authentication.SessionScheme):
    """The session scheme (cookieAuth) for the API's own session authentication, which
    drf-spectacular's extension matches only by its exact class."""

    target_class = "core.api.authentication.SessionAuthentication"
