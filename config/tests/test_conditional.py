"""If-None-Match as RFC 9110 reads it; the answers built from a tag."""

import pytest
from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from config import conditional

TAG = '"abc"'


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        (None, None),
        ("*", {"*"}),
        ("  *\t", {"*"}),
        ('"abc"', {"abc"}),
        ('W/"abc"', {"abc"}),
        ('"a", W/"b" ,"c"', {"a", "b", "c"}),
        ('"a",,  ,"b",', {"a", "b"}),  # empty list elements are allowed
        ('"a,b"', {"a,b"}),  # a comma inside a tag is part of it
        ('""', {""}),
        ("", set()),
        ('"caf\xe9"', {"caf\xe9"}),  # obs-text
    ],
)
def test_the_tags_a_header_lists(header, tags):
    parsed = conditional.opaque_tags(header)

    assert parsed == (None if tags is None else frozenset(tags))


@pytest.mark.parametrize(
    "header",
    [
        "abc",  # not quoted
        '"abc',  # unterminated
        '"a"b',  # junk after a tag
        'w/"abc"',  # the weak prefix is case-sensitive
        '"a b"',  # no spaces inside a tag
        '"a"b"',
        '*, "a"',  # * stands alone
        '"a"; "b"',
        '"\x00"',
    ],
)
def test_a_malformed_header_lists_nothing(header):
    assert conditional.opaque_tags(header) is None
    assert not conditional.matches(header, TAG)


@pytest.mark.parametrize(
    "header",
    ['"abc"', 'W/"abc"', '"x", "abc"', "*", ' "zz" , W/"abc" '],
)
def test_a_match_compares_weakly(header):
    assert conditional.matches(header, TAG)
    assert conditional.matches(header, f"W/{TAG}")


@pytest.mark.parametrize("header", [None, "", '"abd"', '"ABC"', '"x", "y"'])
def test_no_match(header):
    assert not conditional.matches(header, TAG)


def test_nothing_matches_an_answer_without_a_tag():
    assert not conditional.matches("*", None)
    assert not conditional.matches('"abc"', None)


def test_a_strong_tag_is_the_hash_of_the_bytes():
    tag = conditional.strong_etag(b"{}")

    assert tag == conditional.strong_etag(b"{}")
    assert tag != conditional.strong_etag(b"{ }")
    assert tag[0] == tag[-1] == '"'
    assert len(tag) == 34


def test_a_value_tag_ignores_key_order_and_may_be_weak():
    one = conditional.value_etag({"a": 1, "b": [1, 2]})

    assert one == conditional.value_etag({"b": [1, 2], "a": 1})
    assert one != conditional.value_etag({"a": 1, "b": [2, 1]})
    assert conditional.value_etag({"a": 1, "b": [1, 2]}, weak=True) == (
        f"W/{one}"
    )


def test_a_304_keeps_every_header_but_the_contents():
    full = HttpResponse(b'{"a": 1}', content_type="application/json")
    full["ETag"] = TAG
    full["Cache-Control"] = "private, no-cache"
    full["Vary"] = "Authorization"
    full["Content-Language"] = "en"
    full["RateLimit"] = '"read";r=1;t=2'

    answer = conditional.not_modified(full)

    assert answer.status_code == 304
    assert answer.content == b""
    assert dict(answer.items()) == {
        "ETag": TAG,
        "Cache-Control": "private, no-cache",
        "Vary": "Authorization",
        "RateLimit": '"read";r=1;t=2',
    }


def _request(**headers: str) -> Request:
    return Request(APIRequestFactory().get("/", headers=headers))


def test_respond_builds_the_body_only_for_a_caller_without_it():
    built = []

    def body():
        built.append(1)
        return {"a": 1}

    full = conditional.respond(_request(), TAG, body)
    again = conditional.respond(_request(**{"If-None-Match": TAG}), TAG, body)

    assert (full.status_code, full.data, full["ETag"]) == (200, {"a": 1}, TAG)
    assert (again.status_code, again["ETag"]) == (304, TAG)
    assert built == [1]


def test_respond_without_a_tag_answers_in_full_untagged():
    answer = conditional.respond(
        _request(**{"If-None-Match": "*"}), None, lambda: {"a": 1}
    )

    assert answer.status_code == 200
    assert "ETag" not in answer
