"""OpenAPI schema adjustments for drf-spectacular. Extensions register themselves when this module
is imported, so the API's URLconf imports it before any schema is generated."""

from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import follow_field_source


class NaturalKeyFilterExtension(DjangoFilterExtension):
    """Types natural-key filters such as
    ``ModelMultipleChoiceFilter(field_name="strand__code", to_field_name="code")`` as the key's
    field (a string), the way our FilterSets filter by code.

    drf-spectacular 0.29+ appends ``to_field_name`` to ``field_name`` unconditionally, looks for
    ``strand.code.code``, and warns for every such filter
    (https://github.com/tfranzel/drf-spectacular/issues/1475). Here the key is appended only when
    ``field_name`` does not already end with it. Remove this once drf-spectacular fixes it."""

    priority = 1

    def _get_model_field(self, filter_field, model):
        if not filter_field.field_name:
            return None
        path = filter_field.field_name.split("__")
        to_field_name = filter_field.extra.get("to_field_name")
        if to_field_name is not None and path[-1] != to_field_name:
            path.append(to_field_name)
        return follow_field_source(model, path, emit_warnings=False)


class RejectUnknownFieldsExtension(OpenApiSerializerExtension):
    """Request bodies of serializers that refuse unknown fields say so: `additionalProperties:
    false`, so clients (and generated test cases) know an extra key is a 400."""

    target_class = "core.api.serializers.RejectUnknownFieldsMixin"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
