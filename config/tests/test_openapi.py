"""config.openapi: what every service's schema says beyond drf-spectacular."""

from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config import openapi
from config.serializers import StrictInputSerializer
from config.testing import documented_problems


class Plain(serializers.Serializer):
    name = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    secret = serializers.CharField(trim_whitespace=False)
    email = serializers.EmailField()


class Strict(StrictInputSerializer):
    name = serializers.CharField()


class Optional(StrictInputSerializer):
    name = serializers.CharField(required=False)


class Lists(StrictInputSerializer):
    bounded = Strict(many=True, min_length=2, max_length=5)
    not_empty = Strict(many=True, allow_empty=False)
    any_length = Strict(many=True)


DOCS = openapi.ProblemDocs(
    credential={401: ["not_authenticated"]},
    always={503: ["database_unavailable"]},
    details={"not_authenticated": "Who are you?"},
)


class PlainApi(APIView):
    @extend_schema(
        operation_id="plain",
        request=Plain,
        responses={201: Plain, **DOCS(authenticated=False)},
    )
    def post(self, request):
        return Response(status=201)


class StrictApi(APIView):
    @openapi.links(
        201, Again={"operationId": "strict", "parameters": {"x": "$url"}}
    )
    @extend_schema(
        operation_id="strict",
        request=Strict,
        responses={201: None, **DOCS({409: ["taken"]}, json_body=True)},
    )
    def post(self, request):
        return Response(status=201)


class ListsApi(APIView):
    @extend_schema(operation_id="lists", request=Lists, responses={204: None})
    def post(self, request):
        return Response(status=204)


class ShapesApi(APIView):
    @extend_schema(
        operation_id="shapes",
        request=PolymorphicProxySerializer(
            component_name="Shapes",
            serializers=[Strict, Optional],
            resource_type_field_name=None,
        ),
        responses={204: None},
    )
    def post(self, request):
        return Response(status=204)


def generate() -> dict:
    return SchemaGenerator(
        patterns=[
            path("plain", PlainApi.as_view()),
            path("strict", StrictApi.as_view()),
            path("shapes", ShapesApi.as_view()),
            path("lists", ListsApi.as_view()),
        ]
    ).get_schema(request=None, public=True)


def test_text_fields_say_what_they_refuse_in_requests_only():
    components = generate()["components"]["schemas"]

    plain = components["PlainRequest"]["properties"]
    assert plain["name"]["pattern"] == r"^[^\u0000]*[^\u0000\s][^\u0000]*$"
    assert plain["note"]["pattern"] == r"^[^\u0000]*$"
    assert plain["secret"]["pattern"] == r"^[^\u0000]*$"
    assert "pattern" not in plain["email"]
    assert "additionalProperties" not in components["PlainRequest"]
    assert "pattern" not in components["Plain"]["properties"]["name"]


def test_a_strict_request_takes_no_other_member():
    components = generate()["components"]["schemas"]

    assert components["StrictRequest"]["additionalProperties"] is False


def test_a_body_of_several_shapes_is_required_when_each_shape_is():
    paths = generate()["paths"]

    assert paths["/shapes"]["post"]["requestBody"].get("required") is None
    assert paths["/strict"]["post"]["requestBody"]["required"] is True


def test_links_land_on_their_response():
    paths = generate()["paths"]

    assert paths["/strict"]["post"]["responses"]["201"]["links"] == {
        "Again": {"operationId": "strict", "parameters": {"x": "$url"}}
    }
    assert "links" not in paths["/plain"]["post"]["responses"]["201"]


def test_problem_docs_merge_the_shared_codes_in_order():
    paths = generate()["paths"]
    strict = paths["/strict"]["post"]
    plain = paths["/plain"]["post"]

    assert documented_problems(strict) == {
        "400": {"malformed_json", "validation_error"},
        "401": {"not_authenticated"},
        "409": {"taken"},
        "413": {"payload_too_large"},
        "415": {"unsupported_media_type"},
        "503": {"database_unavailable"},
    }
    assert documented_problems(plain) == {"503": {"database_unavailable"}}
    (unauthenticated,) = (
        example["value"]
        for example in strict["responses"]["401"]["content"][
            openapi.PROBLEM_MEDIA_TYPE
        ]["examples"].values()
    )
    assert unauthenticated["detail"] == "Who are you?"
    assert strict["responses"]["400"]["description"] == (
        "Problem codes: `malformed_json`, `validation_error`."
    )


def test_a_list_of_objects_says_how_many_items_it_takes():
    lists = generate()["components"]["schemas"]["ListsRequest"]["properties"]

    assert (lists["bounded"]["minItems"], lists["bounded"]["maxItems"]) == (
        2,
        5,
    )
    assert lists["not_empty"]["minItems"] == 1
    assert "maxItems" not in lists["not_empty"]
    assert "minItems" not in lists["any_length"]
    assert "maxItems" not in lists["any_length"]
