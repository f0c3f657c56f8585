"""Service credentials for the internal APIs.

The gateway calls users and accounting with ``Authorization: Service
<token>``. Each internal API accepts exactly one token, named by its
settings' ``INTERNAL_API_TOKEN``; anything else is a 401 before any view
runs. Tokens are compared in constant time.
"""

import hmac
from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

KEYWORD = "Service"


class ServicePrincipal:
    """The authenticated caller of an internal API: another service."""

    is_authenticated = True
    is_active = True
    is_staff = False
    pk = None

    def __str__(self) -> str:
        return "service"


class ServiceTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates ``Authorization: Service <token>``."""

    def authenticate(self, request: Request) -> tuple[ServicePrincipal, str]:
        """Checks the service token.

        Args:
            request: The incoming request.

        Returns:
            The service principal and its token.

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
        if not hmac.compare_digest(
            token.encode(), settings.INTERNAL_API_TOKEN.encode()
        ):
            raise exceptions.AuthenticationFailed("Invalid service credential.")
        return ServicePrincipal(), token

    def authenticate_header(self, request: Request) -> str:
        """Names the scheme so that failures are 401, not 403."""
        del request
        return KEYWORD


class IsService(permissions.BasePermission):
    """Allows only callers authenticated as a service."""

    def has_permission(self, request: Request, view: Any) -> bool:
        """Returns whether the caller is a service."""
        del view
        return isinstance(request.user, ServicePrincipal)


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
