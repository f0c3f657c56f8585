"""Service credentials for the internal APIs.

The gateway calls users and accounting with ``Authorization: Service
<token>``. Each internal API accepts one token per caller: the gateway's,
named by its settings' ``INTERNAL_API_TOKEN``, which every operation
takes, and any other service's in ``INTERNAL_API_READERS`` (accounting's
for the users admin), which only the operations naming that caller take
(:func:`callers_allowed`: 403 elsewhere). Anything else is a 401 before
any view runs. Tokens are compared in constant time.
"""

import hmac
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from config import contracts

KEYWORD = "Service"
# The caller whose token is INTERNAL_API_TOKEN: every operation's.
GATEWAY = contracts.GATEWAY_CALLER


class ServicePrincipal:
    """The authenticated caller of an internal API: another service.

    Attributes:
        caller: Which service: :data:`GATEWAY`, or a name of the settings'
            ``INTERNAL_API_READERS``.
    """

    is_authenticated = True
    is_active = True
    is_staff = False
    pk = None

    def __init__(self, caller: str = GATEWAY) -> None:
        self.caller = caller

    def __str__(self) -> str:
        return "service"


def _callers() -> dict[str, str]:
    """Returns each caller's expected token (the gateway's first)."""
    return {
        GATEWAY: settings.INTERNAL_API_TOKEN,
        **getattr(settings, "INTERNAL_API_READERS", {}),
    }


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates ``Authorization: Service <token>``."""

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, str]:
        """Checks the service token.

        Args:
            request: The incoming request.

        Returns:
            The calling service and its token.

        Raises:
            NotAuthenticated: No service credential was sent.
            AuthenticationFailed: The credential is wrong.
        """
        header = authentication.get_authorization_header(request).decode(
            "latin-1"
        )
        scheme, _, token = header.partition(" ")
        if scheme != KEYWORD or not token:
            raise exceptions.NotAuthenticated(
                "A service credential is required."
            )
        # Every token is compared: the time taken does not say which
        # caller's a guess came closest to.
        matched = [
            caller
            for caller, expected in _callers().items()
            if hmac.compare_digest(token.encode(), expected.encode())
        ]
        if not matched:
            raise exceptions.AuthenticationFailed("Invalid service credential.")
        return ServicePrincipal(matched[0]), token

    def authenticate_header(self, request: Request) -> str:
        """Names the scheme so that failures are 401, not 403."""
        del request
        return KEYWORD


class IsService(permissions.BasePermission):
    """Allows only the gateway: every operation's default."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Returns whether the caller is the gateway."""
        del view
        return _caller(request) == GATEWAY


def _caller(request: Request) -> str | None:
    """Returns the calling service's name, None if no service."""
    user = request.user
    return user.caller if isinstance(user, ServicePrincipal) else None


def callers_allowed(*callers: str) -> type[permissions.BasePermission]:
    """Returns a permission that lets these services call an operation.

    Args:
        *callers: :data:`GATEWAY` and names of ``INTERNAL_API_READERS``.

    Returns:
        A permission class for the view's ``permission_classes``.
    """

    class CallersAllowed(permissions.BasePermission):
        """Allows the named services only."""

        def has_permission(self, request: Request, view: Any) -> bool:
            """Returns whether the caller is one of them."""
            del view
            return _caller(request) in callers

    return CallersAllowed


def service_headers(token: str) -> dict[str, str]:
    """Returns the headers a client sends to call an internal API."""
    return {"Authorization": f"{KEYWORD} {token}"}


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Service <token>`` in internal schemas.

    drf-spectacular registers it on import, which happens whenever the
    authentication class above is loaded.
    """

    target_class = "config.service_auth.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """Returns the security scheme of an internal API."""
        del auto_schema
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`{KEYWORD} <this service's token>`",
        }
