"""Sign-up, tokens and /me through the gateway."""

import httpx
import pytest

from config.testing import assert_problem
from integration.clients import Service
from integration.tests import factories

USERS = "/internal/v1/users"


class TestSignup:
    url = "/api/v1/auth/signup"

    def test_creates_the_user(self, api, upstream, settings):
        user = factories.UserPayloadFactory(email="ada@example.com")
        upstream.add(Service.USERS, "POST", USERS, status=201, json=user)

        response = api.post(
            self.url,
            {
                "email": "ada@example.com",
                "password": " secret with spaces ",
                "first_name": "Ada",
            },
            HTTP_IDEMPOTENCY_KEY="signup-1",
        )

        assert response.status_code == 201
        assert response.json() == user
        sent = upstream.last
        assert (sent.service, sent.request.method, sent.path) == (
            Service.USERS,
            "POST",
            USERS,
        )
        assert sent.json == {
            "email": "ada@example.com",
            "password": " secret with spaces ",
            "first_name": "Ada",
        }
        assert sent.request.headers["Idempotency-Key"] == "signup-1"
        assert sent.request.headers["Authorization"] == (
            f"Service {settings.USERS_SERVICE_TOKEN}"
        )

    def test_needs_no_token_and_ignores_a_bad_one(self, api, upstream):
        upstream.add(
            Service.USERS,
            "POST",
            USERS,
            status=201,
            json=factories.UserPayloadFactory(),
        )
        api.credentials(HTTP_AUTHORIZATION="Bearer expired.or.bad")
        response = api.post(self.url, {"email": "a@b.co", "password": "x"})
        assert response.status_code == 201

    def test_replays_are_forwarded_with_their_header(self, api, upstream):
        user = factories.UserPayloadFactory()
        upstream.add(
            Service.USERS,
            "POST",
            USERS,
            status=201,
            json=user,
            headers={"Idempotent-Replayed": "true"},
        )
        response = api.post(
            self.url,
            {"email": "a@b.co", "password": "x"},
            HTTP_IDEMPOTENCY_KEY="k",
        )
        assert response.status_code == 201
        assert response["Idempotent-Replayed"] == "true"

    @pytest.mark.parametrize(
        "body",
        [
            {"password": "x"},
            {"email": "not-an-email", "password": "x"},
            {"email": "a@b.co"},
            {"email": "a@b.co", "password": "x", "first_name": "x" * 151},
        ],
    )
    def test_refuses_bad_input_before_calling_users(self, api, upstream, body):
        response = api.post(self.url, body)
        problem = assert_problem(response, 400, "validation_error")
        assert problem["errors"]
        assert upstream.sent == []

    @pytest.mark.parametrize(
        ("status", "code"),
        [(409, "email_taken"), (400, "weak_password")],
    )
    def test_passes_the_users_judgement_through(
        self, api, upstream, status, code
    ):
        body = factories.problem(status, code, "From users.")
        upstream.add(Service.USERS, "POST", USERS, status=status, json=body)
        response = api.post(self.url, {"email": "a@b.co", "password": "x"})
        assert assert_problem(response, status, code) == body

    @pytest.mark.parametrize(
        ("status", "code"),
        [(422, "idempotency_key_reused"), (409, "idempotency_key_in_flight")],
    )
    def test_passes_idempotency_conflicts_through(
        self, api, upstream, status, code
    ):
        upstream.add(
            Service.USERS,
            "POST",
            USERS,
            status=status,
            json=factories.problem(status, code),
        )
        response = api.post(
            self.url,
            {"email": "a@b.co", "password": "y"},
            HTTP_IDEMPOTENCY_KEY="k",
        )
        assert_problem(response, status, code)


class TestTokenObtain:
    url = "/api/v1/auth/token"

    def test_returns_the_tokens(self, api, upstream):
        tokens = factories.TokensPayloadFactory()
        upstream.add(Service.USERS, "POST", "/internal/v1/tokens", json=tokens)

        response = api.post(
            self.url, {"email": "ada@example.com", "password": "pw"}
        )

        assert response.status_code == 200
        assert response.json() == tokens
        assert upstream.last.json == {
            "email": "ada@example.com",
            "password": "pw",
        }

    def test_bad_credentials_pass_through(self, api, upstream):
        body = factories.problem(401, "invalid_credentials", "Bad login.")
        upstream.add(
            Service.USERS, "POST", "/internal/v1/tokens", status=401, json=body
        )
        response = api.post(self.url, {"email": "a@b.co", "password": "pw"})
        assert assert_problem(response, 401, "invalid_credentials") == body

    def test_refuses_a_missing_password(self, api, upstream):
        assert_problem(
            api.post(self.url, {"email": "a"}), 400, "validation_error"
        )
        assert upstream.sent == []

    def test_a_long_wrong_password_is_bad_credentials(self, api, upstream):
        # Up to the users service's own bound, a password is its to judge:
        # a wrong one is 401, not a 400 that names the password.
        body = factories.problem(401, "invalid_credentials", "Bad login.")
        upstream.add(
            Service.USERS, "POST", "/internal/v1/tokens", status=401, json=body
        )
        password = "p" * 1024
        response = api.post(self.url, {"email": "a@b.co", "password": password})
        assert assert_problem(response, 401, "invalid_credentials") == body
        assert upstream.last.json["password"] == password

    def test_refuses_a_password_beyond_the_users_bound(self, api, upstream):
        response = api.post(
            self.url, {"email": "a@b.co", "password": "p" * 1025}
        )
        assert_problem(response, 400, "validation_error")
        assert upstream.sent == []


class TestTokenRefresh:
    url = "/api/v1/auth/token/refresh"
    path = "/internal/v1/tokens/refresh"

    def test_returns_a_new_access_token(self, api, upstream):
        tokens = factories.TokensPayloadFactory()
        del tokens["refresh"]
        upstream.add(Service.USERS, "POST", self.path, json=tokens)

        response = api.post(self.url, {"refresh": "r.e.f"})

        assert response.status_code == 200
        assert response.json() == tokens
        assert upstream.last.json == {"refresh": "r.e.f"}

    def test_keeps_a_rotated_refresh_token(self, api, upstream):
        tokens = factories.TokensPayloadFactory(refresh="new.refresh.token")
        upstream.add(Service.USERS, "POST", self.path, json=tokens)
        response = api.post(self.url, {"refresh": "r.e.f"})
        assert response.json()["refresh"] == "new.refresh.token"

    def test_an_invalid_refresh_token_passes_through(self, api, upstream):
        upstream.add(
            Service.USERS,
            "POST",
            self.path,
            status=401,
            json=factories.problem(401, "invalid_token"),
        )
        response = api.post(self.url, {"refresh": "revoked"})
        assert_problem(response, 401, "invalid_token")


class TestMe:
    url = "/api/v1/me"

    def test_reads_the_callers_profile(self, auth_api, upstream, user_id):
        user = factories.UserPayloadFactory(id=user_id)
        upstream.add(Service.USERS, "GET", f"{USERS}/{user_id}", json=user)
        response = auth_api.get(self.url)
        assert response.status_code == 200
        assert response.json() == user

    def test_drops_fields_outside_the_contract(
        self, auth_api, upstream, user_id
    ):
        user = factories.UserPayloadFactory(id=user_id)
        upstream.add(
            Service.USERS,
            "GET",
            f"{USERS}/{user_id}",
            json={**user, "is_staff": True, "version": 3},
        )
        assert auth_api.get(self.url).json() == user

    def test_updates_only_what_was_sent(self, auth_api, upstream, user_id):
        user = factories.UserPayloadFactory(id=user_id, last_name="Byron")
        upstream.add(Service.USERS, "PATCH", f"{USERS}/{user_id}", json=user)

        response = auth_api.patch(
            self.url,
            {
                "last_name": "Byron",
                "password": "new-pw",
                "current_password": "old-pw",
            },
        )

        assert response.status_code == 200
        assert response.json() == user
        assert upstream.last.json == {
            "last_name": "Byron",
            "password": "new-pw",
            "current_password": "old-pw",
        }

    @pytest.mark.parametrize(
        ("status", "code"),
        [
            (409, "email_taken"),
            (400, "current_password_required"),
            (400, "invalid_current_password"),
            (400, "weak_password"),
        ],
    )
    def test_update_errors_pass_through(
        self, auth_api, upstream, user_id, status, code
    ):
        upstream.add(
            Service.USERS,
            "PATCH",
            f"{USERS}/{user_id}",
            status=status,
            json=factories.problem(status, code),
        )
        response = auth_api.patch(self.url, {"email": "taken@example.com"})
        assert_problem(response, status, code)

    def test_refuses_a_bad_email(self, auth_api, upstream):
        response = auth_api.patch(self.url, {"email": "nope"})
        assert_problem(response, 400, "validation_error")
        assert upstream.sent == []

    def test_deletes_the_caller(self, auth_api, upstream, user_id):
        upstream.add(
            Service.USERS,
            "DELETE",
            f"{USERS}/{user_id}",
            responder=lambda request: httpx.Response(204),
        )
        response = auth_api.delete(self.url)
        assert response.status_code == 204
        assert response.content == b""
        assert upstream.last.request.method == "DELETE"

    def test_needs_a_token(self, api, upstream):
        for method in (api.get, api.patch, api.delete):
            assert_problem(method(self.url), 401, "not_authenticated")
        assert upstream.sent == []
