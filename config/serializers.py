"""The base of every request serializer: refuse what is not expected.

DRF is lenient where a payments API must not be: it drops body members it
does not know (a client sending ``date`` believes it was stored), turns
``0`` into the string ``"0"`` and ``1`` into ``True``, and treats ``?at=``
as if ``at`` were absent. Each of these hides a client's bug, so an input
serializer built on :class:`StrictInputSerializer` refuses, with a 400
naming every offending member:

- in a JSON body: members the serializer does not declare, and values of
  the wrong JSON type for text, boolean and integer fields (a string field
  takes a JSON string only, and so on; amounts keep their documented
  choice of string or number);
- in a query string: unknown parameters, parameters given twice, and
  parameters given with an empty value.
"""

from collections.abc import Mapping
from typing import Any

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

UNKNOWN_FIELD = "unknown_field"
WRONG_TYPE = "wrong_type"
REPEATED_PARAMETER = "repeated_parameter"
EMPTY_PARAMETER = "empty_parameter"

# The JSON type each kind of field takes in a body; the first match wins.
_JSON_TYPES: tuple[tuple[type[serializers.Field], type, str], ...] = (
    (serializers.BooleanField, bool, "a boolean"),
    (serializers.IntegerField, int, "an integer"),
    (serializers.CharField, str, "a string"),
    (serializers.ChoiceField, str, "a string"),
    (serializers.UUIDField, str, "a string"),
    (serializers.DateField, str, "a string"),
    (serializers.DateTimeField, str, "a string"),
)


def _refusal(message: str, code: str) -> list[ErrorDetail]:
    return [ErrorDetail(message, code=code)]


def _expected_type(field: serializers.Field) -> tuple[type, str] | None:
    """Returns the JSON type a body field takes, if it takes only one."""
    return next(
        (
            (python_type, name)
            for field_class, python_type, name in _JSON_TYPES
            if isinstance(field, field_class)
        ),
        None,
    )


def _has_type(value: Any, python_type: type) -> bool:
    """Tells whether a decoded JSON value is of a type (a bool is no int)."""
    if isinstance(value, bool):
        return python_type is bool
    return isinstance(value, python_type)


class StrictInputSerializer(serializers.Serializer):
    """A request body or query string that refuses surprises."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        """Validates as DRF does, adding the refusals of this module.

        Args:
            data: The parsed body (a mapping) or ``request.query_params``.

        Returns:
            The validated values.

        Raises:
            ValidationError: Every refusal, DRF's own included, by member.
        """
        if isinstance(data, QueryDict):
            refusals = self._query_refusals(data)
        elif isinstance(data, Mapping):
            refusals = self._body_refusals(data)
        else:
            refusals = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if refusals:
                raise serializers.ValidationError(
                    {**error.detail, **refusals}
                ) from error
            raise
        if refusals:
            raise serializers.ValidationError(refusals)
        return value

    def _unknown(self, names: Any) -> dict[str, list[ErrorDetail]]:
        return {
            str(name): _refusal(
                f"Unknown field; expected one of: {', '.join(self.fields)}.",
                UNKNOWN_FIELD,
            )
            for name in names
            if name not in self.fields
        }

    def _body_refusals(
        self, data: Mapping[str, Any]
    ) -> dict[str, list[ErrorDetail]]:
        refusals = self._unknown(data)
        for name, field in self.fields.items():
            expected = _expected_type(field)
            value = data.get(name)
            if expected is None or value is None:
                continue
            python_type, type_name = expected
            if not _has_type(value, python_type):
                refusals[name] = _refusal(f"Must be {type_name}.", WRONG_TYPE)
        return refusals

    def _query_refusals(self, data: QueryDict) -> dict[str, list[ErrorDetail]]:
        refusals = self._unknown(data)
        for name, values in data.lists():
            if name in refusals:
                continue
            if len(values) > 1:
                refusals[name] = _refusal(
                    "Given more than once.", REPEATED_PARAMETER
                )
            elif not values[0]:
                refusals[name] = _refusal(
                    "Empty; leave the parameter out instead.",
                    EMPTY_PARAMETER,
                )
        return refusals
