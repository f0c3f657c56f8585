"""A request id from outside is used only when it is harmless."""

import threading

import pytest

from config import request_ids

HOSTILE = {
    "empty": "",
    "too-long": "a" * (request_ids.MAX_LENGTH + 1),
    "crlf": "abc\r\nX-Injected: 1",
    "lf-forged-log-line": 'abc\n2026-01-01 INFO forged "line"',
    "nul": "abc\x00def",
    "escape": "abc\x1b[31mred",
    "tab": "abc\tdef",
    "space": "abc def",
    "non-ascii": "r\u00e9sum\u00e9",
    "latin-1-bytes-as-text": "\xc3\xa9t\xc3\xa9",
    "quote": 'abc"def',
    "json-breaker": '"},{"level":"CRITICAL',
    "percent": "%(message)s",
    "angle": "<script>",
}


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_value_is_never_well_formed_and_is_replaced(value):
    assert not request_ids.well_formed(value)
    made = request_ids.accepted(value)
    assert made != value
    assert request_ids.well_formed(made)


@pytest.mark.parametrize(
    "value",
    [
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "0b8d5a12-7f0c-4c43-9d0c-2d4f1b3c9e77",
        "Root=1-5759e988-bd862e3fe1be46a994272793",
        "dGhlIGlk+/w==",
        "a",
        "x" * request_ids.MAX_LENGTH,
        "svc:edge.01_abc",
    ],
)
def test_a_well_formed_value_is_taken_as_it_is(value):
    assert request_ids.well_formed(value)
    assert request_ids.accepted(value) == value


@pytest.mark.parametrize("value", [None, 42, b"abc", ["abc"]])
def test_anything_but_a_string_is_replaced(value):
    assert not request_ids.well_formed(value)
    assert request_ids.well_formed(request_ids.accepted(value))


def test_made_ids_are_fresh_hex():
    first, second = request_ids.make(), request_ids.make()
    assert first != second
    assert len(first) == 32
    assert int(first, 16) >= 0


def test_bound_sets_the_id_for_the_block_and_restores_the_outer_one():
    assert request_ids.current() is None
    with request_ids.bound("outer") as outer:
        assert outer == request_ids.current() == "outer"
        with request_ids.bound(None):
            assert request_ids.current() is None
        assert request_ids.current() == "outer"
    assert request_ids.current() is None


def test_bound_restores_even_when_the_block_fails():
    with pytest.raises(RuntimeError), request_ids.bound("failing"):
        raise RuntimeError
    assert request_ids.current() is None


def test_bind_and_unbind_pair_up():
    token = request_ids.bind("task")
    assert request_ids.current() == "task"
    request_ids.unbind(token)
    assert request_ids.current() is None


def test_each_thread_has_its_own_id():
    seen = {}

    def serve(name: str, started: threading.Barrier) -> None:
        with request_ids.bound(name):
            started.wait(5)
            seen[name] = request_ids.current()

    started = threading.Barrier(2)
    threads = [
        threading.Thread(target=serve, args=(name, started))
        for name in ("one", "two")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert seen == {"one": "one", "two": "two"}
    assert request_ids.current() is None
