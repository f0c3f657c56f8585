"""JWT pairs: issued for credentials, renewed for a refresh token."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import bounds
from config.openapi import (
    internal_problems,
    links,
)
from config.serializers import StrictInputSerializer
from users import services
from users.errors import ErrorCode

# The link from an answer holding tokens to their renewal.
_RENEW = {
    "Refresh": {
        "operationId": "tokens_refresh",
        "requestBody": {"refresh": "$response.body#/refresh"},
    }
}


class TokensOutputSerializer(serializers.Serializer):
    """An access token, its refresh token and the access token's lifetime."""

    access = serializers.CharField()
    refresh = serializers.CharField()
    token_type = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds.")


class TokenCreateApi(APIView):
    """POST /internal/v1/tokens: log in."""

    @extend_schema_serializer(component_name="TokenCreateInput")
    class InputSerializer(StrictInputSerializer):
        """The request body."""

        # Not an EmailField: a malformed email is a wrong credential too.
        email = serializers.CharField(max_length=bounds.EMAIL_MAX_LENGTH)
        password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH, trim_whitespace=False
        )

    OutputSerializer = TokensOutputSerializer

    @links(200, **_RENEW)
    @extend_schema(
        operation_id="tokens_create",
        request=InputSerializer,
        responses={
            200: TokensOutputSerializer,
            **internal_problems(
                {401: [ErrorCode.INVALID_CREDENTIALS]}, json_body=True
            ),
        },
    )
    def post(self, request: Request) -> Response:
        """Exchanges email and password for tokens."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.token_obtain(**serializer.validated_data)
        return Response(self.OutputSerializer(tokens).data)


class TokenRefreshApi(APIView):
    """POST /internal/v1/tokens/refresh: renew tokens."""

    @extend_schema_serializer(component_name="TokenRefreshInput")
    class InputSerializer(StrictInputSerializer):
        """The request body."""

        refresh = serializers.CharField(
            max_length=bounds.REFRESH_TOKEN_MAX_LENGTH
        )

    OutputSerializer = TokensOutputSerializer

    @links(200, **_RENEW)
    @extend_schema(
        operation_id="tokens_refresh",
        request=InputSerializer,
        responses={
            200: TokensOutputSerializer,
            **internal_problems(json_body=True),
        },
    )
    def post(self, request: Request) -> Response:
        """Exchanges a refresh token for new tokens (rotated)."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tokens = services.token_refresh(**serializer.validated_data)
        return Response(self.OutputSerializer(tokens).data)
