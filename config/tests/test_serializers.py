import pytest
from django.http import QueryDict
from rest_framework import serializers

from config.serializers import StrictInputSerializer


class _Input(StrictInputSerializer):
    name = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    flag = serializers.BooleanField(required=False)
    needed = serializers.CharField(required=False)


def _errors(data, serializer_class=_Input) -> dict:
    serializer = serializer_class(data=data)
    assert not serializer.is_valid()
    return {
        name: [error.code for error in errors]
        for name, errors in serializer.errors.items()
    }


def test_declared_members_of_the_right_types_pass():
    serializer = _Input(data={"name": "0", "count": 3, "flag": False})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"name": "0", "count": 3, "flag": False}


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("name", 0),
        ("name", True),
        ("count", "3"),
        ("count", True),
        ("count", 3.5),
        ("flag", 1),
        ("flag", "true"),
    ],
)
def test_a_value_of_another_json_type_is_refused(member, value):
    assert _errors({member: value}) == {member: ["wrong_type"]}


def test_unknown_members_are_refused_with_drfs_own_errors():
    class _Required(_Input):
        needed = serializers.CharField()

    assert _errors({"date": "2026-01-01", "name": 1}, _Required) == {
        "date": ["unknown_field"],
        "name": ["wrong_type"],
        "needed": ["required"],
    }


def test_a_query_string_refuses_unknown_repeated_and_empty_parameters():
    query = QueryDict("name=&count=1&count=2&sort=asc&flag=true")
    assert _errors(query) == {
        "name": ["empty_parameter"],
        "count": ["repeated_parameter"],
        "sort": ["unknown_field"],
    }


def test_a_query_string_is_text_and_parsed_by_the_fields():
    serializer = _Input(data=QueryDict("count=7&flag=true"))
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == {"count": 7, "flag": True}
