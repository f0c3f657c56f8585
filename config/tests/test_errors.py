from config.errors import Code, DomainError


def test_a_domain_error_holds_its_code_and_hints():
    error = DomainError(
        code=Code.INVALID_RANGE,
        detail="'from' is after 'to'.",
        errors={"from": ["Too late."]},
        retry_after=1,
    )
    assert (error.code, type(error.code)) == ("invalid_range", str)
    assert str(error) == error.detail == "'from' is after 'to'."
    assert (error.errors, error.retry_after) == ({"from": ["Too late."]}, 1)


def test_a_bare_domain_error_reads_as_its_code():
    error = DomainError(code="x_refused")
    assert str(error) == "x_refused"
    assert (error.detail, error.errors, error.retry_after) == ("", None, None)
