import pytest
from drf_spectacular.generators import SchemaGenerator

from config.errors import OUTAGE_RETRY_AFTER
from config.testing import assert_statuses_documented
from integration import errors
from integration.api import problems
from integration.clients import UpstreamProblemError
from integration.tests import factories

OWN_ERRORS = [
    error
    for error in errors.GatewayError.__subclasses__()
    if error is not UpstreamProblemError
]


@pytest.mark.parametrize("code", list(errors.ErrorCode))
def test_every_code_has_a_status(code):
    assert 400 <= problems.STATUSES[code] < 600


@pytest.mark.parametrize("error", OWN_ERRORS, ids=lambda error: error.__name__)
def test_every_own_error_has_a_status_and_knows_no_http(error):
    assert error.error_code in problems.STATUSES
    assert not {"status", "status_code", "headers", "default_headers"} & set(
        vars(error)
    )


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (errors.UpstreamUnavailableError("Out."), 503, OUTAGE_RETRY_AFTER),
        (errors.UpstreamTimeoutError("Slow."), 504, None),
        (errors.BadGatewayError("Odd."), 502, None),
        (errors.SameCurrencyError("Same.", errors={"x": ["Same."]}), 400, None),
        (errors.ApiKeyInvalidError("Not a key."), 401, None),
    ],
)
def test_the_gateways_own_errors_answer_the_mapped_status(
    error, status, retry_after
):
    response = problems.exception_handler(error, {})

    assert response.status_code == status
    assert (response.data["code"], response.data["detail"]) == (
        error.code,
        error.detail,
    )
    assert response.data.get("errors") == error.errors
    expected = None if retry_after is None else str(retry_after)
    assert response.get("Retry-After") == expected


def test_a_services_problem_passes_through_as_it_came():
    body = factories.problem(503, "database_unavailable", "Out.")
    body["extra"] = {"kept": True}
    error = UpstreamProblemError(
        status=503, body=body, headers={"Retry-After": "5"}
    )

    response = problems.exception_handler(error, {})

    assert (response.status_code, response.data) == (503, body)
    assert response["Retry-After"] == "5"
    assert response.content_type == "application/problem+json"
    assert (error.code, error.detail) == ("database_unavailable", "Out.")


def test_the_schema_documents_each_code_under_its_status():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert_statuses_documented(schema, problems.STATUSES)
