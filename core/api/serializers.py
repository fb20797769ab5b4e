"""What every request body of the API shares: a field the endpoint does not take is a 400 naming
it, rather than silently dropped, so a client learns of its typo ("overide_window") instead of
wondering why the option had no effect."""

from collections.abc import Mapping

from rest_framework import serializers

MSG_UNKNOWN_FIELD = "Unknown field. This request takes: {known}."
MSG_UNKNOWN_FIELD_NONE = "Unknown field. This request takes no fields."

# Sent by the browsable API's HTML forms along with the fields; not a field of any request.
IGNORED_KEYS = frozenset({"csrfmiddlewaretoken"})


class RejectUnknownFieldsMixin:
    """For request serializers: keys of the body that are not writable fields answer
    `{key: ["Unknown field. This request takes: ..."]}`. Nested serializers check their own
    objects the same way."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = [name for name, field in self.fields.items() if not field.read_only]
            unknown = sorted(
                str(key) for key in data if key not in known and key not in IGNORED_KEYS
            )
            if unknown:
                message = (
                    MSG_UNKNOWN_FIELD.format(known=", ".join(known))
                    if known
                    else MSG_UNKNOWN_FIELD_NONE
                )
                raise serializers.ValidationError({key: [message] for key in unknown})
        return super().to_internal_value(data)


class InputSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """A request body: only its declared fields."""


class NaturalKeyRelatedField(serializers.SlugRelatedField):
    """An object named by its natural key (a building's or position's code). A key with a NUL
    character names nothing (PostgreSQL cannot even compare such text), so it is refused as
    unknown before any query."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)
