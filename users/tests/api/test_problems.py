import pytest
from drf_spectacular.generators import SchemaGenerator

from config.idempotency import store
from config.testing import assert_statuses_documented
from users import errors
from users.api import problems

ERRORS = errors.UsersError.__subclasses__()


@pytest.mark.parametrize("code", list(errors.ErrorCode))
def test_every_code_has_a_status(code) -> None:
    assert 400 <= problems.STATUSES[code] < 600


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.__name__)
def test_every_error_has_a_status_and_knows_no_http(error) -> None:
    assert error.error_code in problems.STATUSES
    assert not {"status", "status_code", "headers", "default_headers"} & set(
        vars(error)
    )


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (errors.EmailTakenError(), 409, None),
        (
            errors.WeakPasswordError(errors={"password": ["Too short."]}),
            400,
            None,
        ),
        (errors.InvalidCredentialsError(), 401, None),
        (errors.InvalidTokenError(), 401, None),
        (store.KeyInFlightError(), 409, "1"),
        (store.KeyReusedError(), 422, None),
    ],
)
def test_the_handler_answers_the_mapped_status(
    error, status, retry_after
) -> None:
    response = problems.exception_handler(error, {})

    assert response.status_code == status
    assert (response.data["code"], response.data["detail"]) == (
        error.code,
        error.detail,
    )
    assert response.data.get("errors") == error.errors
    assert response.get("Retry-After") == retry_after


def test_the_schema_documents_each_code_under_its_status() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert_statuses_documented(schema, problems.STATUSES)
