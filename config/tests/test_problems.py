import json

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.test import RequestFactory
from rest_framework import exceptions, serializers
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from config import problems
from config.errors import DomainError
from config.problems import Code, ProblemError


def handle(exc: Exception):
    return problems.exception_handler(exc, {})


class FailingView(APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request):
        raise ProblemError(status=400, code="bad_thing", detail="Bad thing.")


def test_problems_are_served_as_problem_json():
    response = FailingView.as_view()(APIRequestFactory().get("/"))
    response.render()
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["code"] == "bad_thing"


def test_a_problem_error_renders_rfc9457_with_headers():
    response = handle(
        ProblemError(
            status=409,
            code="account_not_ready",
            detail="Try again shortly.",
            headers={"Retry-After": "1"},
        )
    )
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response["Retry-After"] == "1"
    assert response.data == {
        "type": "urn:savings:problem:account_not_ready",
        "title": "Conflict",
        "status": 409,
        "detail": "Try again shortly.",
        "code": "account_not_ready",
    }


def test_a_domain_error_answers_its_services_status():
    handle_with = problems.exception_handler_for({"x_taken": 409})
    response = handle_with(
        DomainError(
            code="x_taken",
            detail="Taken.",
            errors={"x": ["Taken."]},
            retry_after=2,
        ),
        {},
    )
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert response["Retry-After"] == "2"
    assert response.data == {
        "type": "urn:savings:problem:x_taken",
        "title": "Conflict",
        "status": 409,
        "detail": "Taken.",
        "code": "x_taken",
        "errors": {"x": ["Taken."]},
    }


def test_a_domain_error_without_retry_after_sets_no_header():
    response = handle(DomainError(code=Code.IDEMPOTENCY_KEY_REUSED))
    assert (response.status_code, response.data["detail"]) == (
        422,
        "Unprocessable Entity",
    )
    assert not response.has_header("Retry-After")


def test_a_code_without_a_status_fails_loudly():
    with pytest.raises(LookupError, match="'x_unknown' has no HTTP status"):
        handle(DomainError(code="x_unknown"))


def test_detail_defaults_to_the_title():
    response = handle(ProblemError(status=404, code="x_not_found"))
    assert response.data["detail"] == "Not Found"
    assert "errors" not in response.data


class NestedSerializer(serializers.Serializer):
    name = serializers.CharField()


class OuterSerializer(serializers.Serializer):
    amount = serializers.CharField()
    inner = NestedSerializer()
    items = NestedSerializer(many=True)

    def validate(self, attrs):
        raise serializers.ValidationError("whole body is wrong")


def test_validation_errors_are_flattened_per_field():
    serializer = OuterSerializer(
        data={"inner": {}, "items": [{}, {"name": "a"}]}
    )
    assert not serializer.is_valid()
    response = handle(exceptions.ValidationError(serializer.errors))
    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert response.data["errors"] == {
        "amount": ["This field is required."],
        "inner.name": ["This field is required."],
        "items.0.name": ["This field is required."],
    }
    assert response.data["detail"] == "This field is required."


def test_lists_of_nested_errors_are_numbered():
    error = exceptions.ValidationError(
        {"items": [{"name": ["Too long."]}, "Not a list."]}
    )
    assert handle(error).data["errors"] == {
        "items.0.name": ["Too long."],
        "items": ["Not a list."],
    }


def test_non_field_errors_keep_their_key():
    serializer = OuterSerializer(
        data={"amount": "1", "inner": {"name": "a"}, "items": []}
    )
    assert not serializer.is_valid()
    response = handle(exceptions.ValidationError(serializer.errors))
    assert response.data["errors"] == {
        "non_field_errors": ["whole body is wrong"]
    }


def test_a_shared_field_code_names_the_whole_problem():
    error = exceptions.ValidationError(
        {"amount": [serializers.ErrorDetail("bad", code="invalid_amount")]}
    )
    assert handle(error).data["code"] == "invalid_amount"


@pytest.mark.parametrize(
    "detail", [[], {}, "plain message", {"a": []}, {"a": {}, "b": ["x"]}]
)
def test_odd_validation_details_still_give_a_problem(detail):
    response = handle(exceptions.ValidationError(detail))
    assert response.status_code == 400
    assert response.data["code"] == "validation_error"
    assert response.data["detail"]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (exceptions.ParseError("bad json"), 400, Code.MALFORMED_JSON),
        (
            exceptions.UnsupportedMediaType("text/plain"),
            415,
            "unsupported_media_type",
        ),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.AuthenticationFailed(), 401, "invalid_token"),
        (exceptions.PermissionDenied(), 403, "permission_denied"),
        (DjangoPermissionDenied(), 403, "permission_denied"),
        (exceptions.NotFound(), 404, "not_found"),
        (Http404(), 404, "not_found"),
        (exceptions.MethodNotAllowed("PUT"), 405, "method_not_allowed"),
        (exceptions.NotAcceptable(), 406, "not_acceptable"),
        (problems.PayloadTooLargeError(), 413, "payload_too_large"),
        (RequestDataTooBig(), 413, "payload_too_large"),
    ],
)
def test_framework_errors_map_to_stable_codes(exc, status, code):
    response = handle(exc)
    assert response.status_code == status
    assert response.data["code"] == code
    assert response.data["status"] == status


def test_throttling_says_when_to_retry():
    response = handle(exceptions.Throttled(wait=2.5))
    assert response.status_code == 429
    assert response.data["code"] == "rate_limited"
    assert response["Retry-After"] == "3"  # DRF rounds the wait up


def test_authentication_failures_name_the_scheme():
    exc = exceptions.NotAuthenticated()
    exc.auth_header = 'Bearer realm="api"'
    response = handle(exc)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_unlisted_api_exception_uses_its_own_code():
    class TeapotError(exceptions.APIException):
        status_code = 418
        default_detail = "I am a teapot."
        default_code = "teapot"

    response = handle(TeapotError())
    assert response.status_code == 418
    assert response.data["code"] == "teapot"


def test_a_non_string_detail_is_rendered_as_text():
    response = handle(exceptions.NotFound(detail={"why": "gone"}))
    assert response.data["detail"] == str(
        exceptions.NotFound({"why": "gone"}).detail
    )


def test_unexpected_errors_are_left_to_the_500_handler():
    assert handle(RuntimeError("boom")) is None


@pytest.mark.parametrize(
    ("handler", "args", "status", "code"),
    [
        (problems.handler400, (Exception(),), 400, "validation_error"),
        (problems.handler403, (Exception(),), 403, "permission_denied"),
        (problems.handler404, (Http404(),), 404, "not_found"),
        (problems.handler500, (), 500, "internal_error"),
    ],
)
def test_django_error_pages_are_problems(handler, args, status, code):
    request = RequestFactory().get("/nowhere")
    response = handler(request, *args)
    body = json.loads(response.content)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert body["code"] == code
    assert "Traceback" not in response.content.decode()
