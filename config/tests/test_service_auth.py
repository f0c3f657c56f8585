import pytest
from rest_framework import exceptions
from rest_framework.test import APIRequestFactory

from config import service_auth

factory = APIRequestFactory()


@pytest.fixture(autouse=True)
def _token(settings):
    settings.INTERNAL_API_TOKEN = "right-token"


def authenticate(header: str | None):
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    request = factory.get("/", **extra)
    return service_auth.ServiceTokenAuthentication().authenticate(request)


def test_the_right_token_authenticates_a_service():
    principal, token = authenticate("Service right-token")
    assert isinstance(principal, service_auth.ServicePrincipal)
    assert principal.is_authenticated
    assert principal.caller == "gateway"
    assert str(principal) == "service"
    assert token == "right-token"


def test_another_callers_token_names_that_caller(settings):
    settings.INTERNAL_API_READERS = {"users": "users-token"}

    principal, _ = authenticate("Service users-token")

    assert principal.caller == "users"
    assert authenticate("Service right-token")[0].caller == "gateway"
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate("Service users-token-but-longer")


@pytest.mark.parametrize("header", [None, "", "Bearer right-token", "Service"])
def test_a_missing_credential_is_not_authenticated(header):
    with pytest.raises(exceptions.NotAuthenticated):
        authenticate(header)


def test_a_wrong_token_fails():
    with pytest.raises(exceptions.AuthenticationFailed):
        authenticate("Service wrong-token")


def test_failures_name_the_scheme_so_they_are_401():
    auth = service_auth.ServiceTokenAuthentication()
    assert auth.authenticate_header(factory.get("/")) == "Service"


def test_only_the_gateway_is_permitted_by_default():
    permission = service_auth.IsService()
    request = factory.get("/")
    request.user = service_auth.ServicePrincipal()
    assert permission.has_permission(request, None)
    request.user = service_auth.ServicePrincipal("users")
    assert not permission.has_permission(request, None)
    request.user = None
    assert not permission.has_permission(request, None)


def test_an_operation_may_let_other_callers_in():
    permission = service_auth.callers_allowed("gateway", "users")()
    request = factory.get("/")
    for caller, allowed in [("gateway", True), ("users", True), ("x", False)]:
        request.user = service_auth.ServicePrincipal(caller)
        assert permission.has_permission(request, None) is allowed
    request.user = None
    assert not permission.has_permission(request, None)


def test_client_headers():
    assert service_auth.service_headers("t") == {"Authorization": "Service t"}
