"""Every successful read of the public API carries an ETag; 304 when current."""

import pytest

from config import conditional
from integration.clients import Service
from integration.tests import factories


@pytest.fixture
def me(upstream, user_id):
    """The caller's profile, as users answers it (no ETag of its own)."""
    user = factories.UserPayloadFactory(id=user_id)
    upstream.add(
        Service.USERS, "GET", f"/internal/v1/users/{user_id}", json=user
    )
    return user


@pytest.fixture
def balance(upstream, user_id):
    """The caller's balance as of an instant (the same body every time)."""
    body = factories.BalancePayloadFactory(at="2026-11-21T10:00:00Z")
    upstream.add(
        Service.ACCOUNTING,
        "GET",
        f"/internal/v1/holders/{user_id}/balance",
        json=body,
    )
    return body


def test_a_read_carries_a_strong_tag_of_its_bytes(auth_api, me):
    response = auth_api.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json() == me
    assert response["ETag"] == conditional.strong_etag(response.content)
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"]


def test_the_same_answer_has_the_same_tag_another_one_another(
    auth_api, upstream, user_id, me
):
    first = auth_api.get("/api/v1/me")
    again = auth_api.get("/api/v1/me")
    upstream.add(
        Service.USERS,
        "GET",
        f"/internal/v1/users/{user_id}",
        json={**me, "first_name": "Grace"},
    )
    changed = auth_api.get("/api/v1/me")

    assert first["ETag"] == again["ETag"]
    assert changed["ETag"] != first["ETag"]


@pytest.mark.parametrize(
    "header",
    [
        "{tag}",
        "W/{tag}",
        '"other", {tag}',
        '"other",W/{tag} ,',
        "*",
    ],
)
def test_if_none_match_naming_the_answer_is_a_304(auth_api, balance, header):
    del balance
    url = "/api/v1/balance?at=2026-11-21T10:00:00Z"
    full = auth_api.get(url)

    answer = auth_api.get(
        url, HTTP_IF_NONE_MATCH=header.format(tag=full["ETag"])
    )

    assert answer.status_code == 304
    assert answer.content == b""
    assert "Content-Type" not in answer
    for name in ("ETag", "Cache-Control", "Vary", "RateLimit-Policy"):
        assert answer[name] == full[name], name
    assert answer["RateLimit"]  # the request counted like any other


@pytest.mark.parametrize(
    "header",
    [
        "",
        '"nope"',
        "abc",
        '"unterminated',
        '*, "x"',
        "W/",
        '"a"junk',
        "\x7f",
    ],
)
def test_any_other_if_none_match_is_a_full_answer(auth_api, me, header):
    response = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH=header)

    assert response.status_code == 200
    assert response.json() == me
    assert response["ETag"]


def test_balances_are_read_afresh_every_time(auth_api, upstream, balance):
    del balance
    url = "/api/v1/balance?at=2026-11-21T10:00:00Z"
    full = auth_api.get(url)
    again = auth_api.get(url, HTTP_IF_NONE_MATCH=full["ETag"])

    assert again.status_code == 304
    # Both asked accounting, unconditionally: money is never kept.
    assert len(upstream.sent) == 2
    assert all("If-None-Match" not in s.request.headers for s in upstream.sent)


def test_a_head_is_tagged_like_its_get(auth_api, me):
    del me
    get = auth_api.get("/api/v1/me")
    head = auth_api.head("/api/v1/me")
    current = auth_api.head("/api/v1/me", HTTP_IF_NONE_MATCH=get["ETag"])

    assert (head.status_code, head["ETag"]) == (200, get["ETag"])
    assert (current.status_code, current["ETag"]) == (304, get["ETag"])


def test_errors_carry_no_tag(auth_api, api, upstream, user_id):
    upstream.add(
        Service.USERS,
        "GET",
        f"/internal/v1/users/{user_id}",
        status=401,
        json=factories.problem(401, "user_inactive"),
    )

    refused = auth_api.get("/api/v1/me", HTTP_IF_NONE_MATCH="*")
    anonymous = api.get("/api/v1/me", HTTP_IF_NONE_MATCH="*")
    unknown = auth_api.get("/api/v1/nowhere", HTTP_IF_NONE_MATCH="*")

    assert [r.status_code for r in (refused, anonymous, unknown)] == [
        401,
        401,
        404,
    ]
    for response in (refused, anonymous, unknown):
        assert "ETag" not in response
        assert response["Content-Type"].startswith("application/problem+json")


def test_writes_carry_no_tag(auth_api, upstream, user_id):
    upstream.add(
        Service.USERS,
        "PATCH",
        f"/internal/v1/users/{user_id}",
        json=factories.UserPayloadFactory(id=user_id),
    )

    response = auth_api.patch(
        "/api/v1/me", {"first_name": "Ada"}, format="json"
    )

    assert response.status_code == 200
    assert "ETag" not in response


def test_pages_outside_the_api_are_not_tagged(api):
    response = api.get("/healthz", HTTP_IF_NONE_MATCH="*")

    assert response.status_code == 200
    assert "ETag" not in response
