import pytest

from config.idempotency import keys
from config.problems import ProblemError


def test_printable_ascii_up_to_255_characters_is_a_key():
    assert keys.parse(None) is None
    assert keys.parse("a" * 255) == "a" * 255
    assert keys.parse(" ~x-1") == " ~x-1"
    assert keys.from_headers({"Idempotency-Key": "k-1"}) == "k-1"
    assert keys.from_headers({}) is None


@pytest.mark.parametrize(
    "bad", ["", "a" * 256, "caf\u00e9", "tab\there", "nl\n", "\x7f"]
)
def test_anything_else_is_invalid(bad):
    with pytest.raises(ProblemError) as refused:
        keys.parse(bad)
    assert (refused.value.status, refused.value.code) == (
        400,
        "invalid_idempotency_key",
    )
    assert "1-255 printable ASCII" in refused.value.detail


def test_only_a_replay_carries_the_replayed_header():
    assert keys.replayed_headers(True) == {"Idempotent-Replayed": "true"}
    assert keys.replayed_headers(False) is None
