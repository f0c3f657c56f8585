import pytest

from config import idempotency
from config.problems import ProblemError


def test_printable_ascii_up_to_255_characters_is_a_key():
    assert idempotency.key_parse(None) is None
    assert idempotency.key_parse("a" * 255) == "a" * 255
    assert idempotency.key_parse(" ~x-1") == " ~x-1"
    assert idempotency.key_from({"Idempotency-Key": "k-1"}) == "k-1"
    assert idempotency.key_from({}) is None


@pytest.mark.parametrize(
    "bad", ["", "a" * 256, "caf\u00e9", "tab\there", "nl\n", "\x7f"]
)
def test_anything_else_is_invalid(bad):
    with pytest.raises(ProblemError) as refused:
        idempotency.key_parse(bad)
    assert (refused.value.status, refused.value.code) == (
        400,
        "invalid_idempotency_key",
    )
    assert "1-255 printable ASCII" in refused.value.detail
