import pytest
from drf_spectacular.generators import SchemaGenerator

from accounting import errors
from accounting.api import problems
from config.idempotency import store
from config.testing import assert_statuses_documented


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


ERRORS = list(subclasses(errors.AccountingError))


@pytest.mark.parametrize("code", list(errors.ErrorCode))
def test_every_code_has_a_status(code):
    assert 400 <= problems.STATUSES[code] < 600


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: error.__name__)
def test_every_error_has_a_status_and_knows_no_http(error):
    assert error.error_code in problems.STATUSES
    assert not {"status", "status_code", "headers", "default_headers"} & set(
        vars(error)
    )


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (errors.InsufficientFundsError("Short."), 422, None),
        (errors.HolderNotReadyError(), 409, "1"),
        (store.KeyInFlightError(), 409, "1"),
        (errors.InvalidRangeError(), 400, None),
        (errors.GoalInvalidError("name", "Blank."), 400, None),
    ],
)
def test_the_handler_answers_the_mapped_status(error, status, retry_after):
    response = problems.exception_handler(error, {})

    assert response.status_code == status
    assert response.data["code"] == error.code
    assert response.data["detail"] == error.detail
    assert response.get("Retry-After") == retry_after


def test_the_schema_documents_each_code_under_its_status():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert_statuses_documented(schema, problems.STATUSES)
