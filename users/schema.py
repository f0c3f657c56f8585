"""OpenAPI description of the service credential (drf-spectacular).

Loaded by ``UsersConfig.ready`` so that the schema names the ``Service``
authorization scheme of every internal route.
"""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from config.service_auth import KEYWORD


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Service <token>``."""

    target_class = "config.service_auth.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        """Returns the security scheme of the internal API."""
        del auto_schema
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": f"`{KEYWORD} <USERS_SERVICE_TOKEN>`",
        }
