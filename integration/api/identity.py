"""Identity endpoints: sign-up, tokens and the caller's own profile.

The users service owns identities; these views check the shape of what the
caller sends, forward it, and render the public shape of the answer. Its
judgements (duplicate email, weak password, bad credentials, deleted user)
come back as problems and are passed through unchanged.
"""

from collections.abc import Callable
from http import HTTPStatus

from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import bounds
from config.idempotency import keys as idempotency_keys
from config.openapi import links
from config.problems import Code
from config.serializers import StrictInputSerializer
from integration import limits, selectors, services
from integration.api import common
from integration.api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    RETRY_AFTER_HEADER,
    SIGNUP_LINKS,
    TAG_IDENTITY,
    TOKEN_LINKS,
    problem_responses,
)
from integration.api.serializers import (
    RefreshedTokensSerializer,
    TokensSerializer,
    UserSerializer,
)
from integration.errors import ErrorCode


class _PublicApi(APIView):
    """An unauthenticated, throttled identity endpoint."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    rate_limit_scope = limits.AUTH


class SignupApi(_PublicApi):
    """POST /auth/signup: creates a user."""

    @extend_schema_serializer(component_name="Signup")
    class InputSerializer(StrictInputSerializer):
        """The sign-up form."""

        email = serializers.EmailField(max_length=bounds.EMAIL_MAX_LENGTH)
        password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH,
            trim_whitespace=False,
            write_only=True,
        )
        first_name = serializers.CharField(
            max_length=bounds.PERSON_NAME_MAX_LENGTH,
            required=False,
            allow_blank=True,
        )
        last_name = serializers.CharField(
            max_length=bounds.PERSON_NAME_MAX_LENGTH,
            required=False,
            allow_blank=True,
        )

    OutputSerializer = UserSerializer

    @links(201, **SIGNUP_LINKS)
    @extend_schema(
        operation_id="auth_signup",
        summary="Sign up",
        tags=[TAG_IDENTITY],
        auth=[],
        request=InputSerializer,
        parameters=[
            IDEMPOTENCY_KEY_PARAMETER,
            IDEMPOTENT_REPLAYED_HEADER,
            RETRY_AFTER_HEADER,
        ],
        responses={
            201: OutputSerializer,
            **problem_responses(
                {
                    400: [
                        ErrorCode.WEAK_PASSWORD,
                        Code.INVALID_IDEMPOTENCY_KEY,
                    ],
                    409: [
                        ErrorCode.EMAIL_TAKEN,
                        Code.IDEMPOTENCY_KEY_IN_FLIGHT,
                    ],
                    422: [Code.IDEMPOTENCY_KEY_REUSED],
                },
                authenticated=False,
                json_body=True,
            ),
        },
        examples=[
            OpenApiExample(
                "Sign up",
                value={
                    "email": "ada@example.com",
                    "password": "correct horse battery staple",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Created",
                value={
                    "id": "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
                    "email": "ada@example.com",
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "date_joined": "2026-11-21T10:00:00Z",
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        """Validates the sign-up and forwards it to the users service."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.user_signup(
            data=serializer.validated_data, idempotency_key=key
        )
        return common.render(self.OutputSerializer, upstream)


def _token_schema(
    *,
    request: type[serializers.Serializer],
    response: type[serializers.Serializer],
    unauthorized: str,
    **kwargs: str,
) -> Callable:
    """Documents a token endpoint: public, throttled, JSON in and out.

    Args:
        request: The endpoint's input serializer.
        response: Its output serializer.
        unauthorized: The code of its 401 answer.
        **kwargs: The rest of ``extend_schema``'s arguments (id, summary).

    Returns:
        The ``extend_schema`` decorator.
    """
    return extend_schema(
        tags=[TAG_IDENTITY],
        auth=[],
        request=request,
        parameters=[RETRY_AFTER_HEADER],
        responses={
            200: response,
            **problem_responses(
                {401: [unauthorized]},
                authenticated=False,
                json_body=True,
            ),
        },
        **kwargs,
    )


class _TokenApi(_PublicApi):
    """A token endpoint: its valid body is one users-service call."""

    InputSerializer: type[serializers.Serializer]
    OutputSerializer: type[serializers.Serializer]

    def forward(self, request: Request, service: Callable) -> Response:
        """Validates the body, passes it to ``service``, renders the answer.

        Args:
            request: The caller's request.
            service: The ``integration.services`` function to call with the
                validated fields as keyword arguments.

        Returns:
            The rendered upstream answer.
        """
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = service(**serializer.validated_data)
        return common.render(self.OutputSerializer, upstream)


class TokenObtainApi(_TokenApi):
    """POST /auth/token: logs in with email and password."""

    @extend_schema_serializer(component_name="TokenObtain")
    class InputSerializer(StrictInputSerializer):
        """Log-in credentials."""

        email = serializers.CharField(max_length=bounds.EMAIL_MAX_LENGTH)
        password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH,
            trim_whitespace=False,
            write_only=True,
        )

    OutputSerializer = TokensSerializer

    @links(200, **TOKEN_LINKS)
    @_token_schema(
        request=InputSerializer,
        response=OutputSerializer,
        unauthorized=ErrorCode.INVALID_CREDENTIALS,
        operation_id="auth_token_obtain",
        summary="Log in",
        description=(
            "Bad credentials answer 401 `invalid_credentials` without "
            "saying which part was wrong."
        ),
    )
    def post(self, request: Request) -> Response:
        """Forwards the credentials to the users service."""
        return self.forward(request, services.token_obtain)


class TokenRefreshApi(_TokenApi):
    """POST /auth/token/refresh: renews an access token."""

    @extend_schema_serializer(component_name="TokenRefresh")
    class InputSerializer(StrictInputSerializer):
        """A refresh token."""

        refresh = serializers.CharField(
            max_length=bounds.REFRESH_TOKEN_MAX_LENGTH
        )

    OutputSerializer = RefreshedTokensSerializer

    @_token_schema(
        request=InputSerializer,
        response=OutputSerializer,
        unauthorized=Code.INVALID_TOKEN,
        operation_id="auth_token_refresh",
        summary="Refresh the access token",
    )
    def post(self, request: Request) -> Response:
        """Forwards the refresh token to the users service."""
        return self.forward(request, services.token_refresh)


class MeApi(APIView):
    """GET, PATCH and DELETE /me: the caller's own profile.

    One URL, three operations: each method is its own operation with its
    own serializers, as if it were its own view.
    """

    @extend_schema_serializer(component_name="MeUpdate")
    class UpdateInputSerializer(StrictInputSerializer):
        """The profile fields to change; all optional."""

        email = serializers.EmailField(
            max_length=bounds.EMAIL_MAX_LENGTH, required=False
        )
        first_name = serializers.CharField(
            max_length=bounds.PERSON_NAME_MAX_LENGTH,
            required=False,
            allow_blank=True,
        )
        last_name = serializers.CharField(
            max_length=bounds.PERSON_NAME_MAX_LENGTH,
            required=False,
            allow_blank=True,
        )
        password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH,
            required=False,
            trim_whitespace=False,
            write_only=True,
            help_text="The new password; needs `current_password`.",
        )
        current_password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH,
            required=False,
            trim_whitespace=False,
            write_only=True,
            help_text="The password in use; required with `password`.",
        )

    OutputSerializer = UserSerializer

    @extend_schema(
        operation_id="me_retrieve",
        summary="Read my profile",
        tags=[TAG_IDENTITY],
        responses={200: OutputSerializer, **problem_responses()},
    )
    def get(self, request: Request) -> Response:
        """Returns the caller's profile."""
        upstream = selectors.user_get(user_id=common.caller_id(request))
        return common.render(self.OutputSerializer, upstream)

    @extend_schema(
        operation_id="me_update",
        summary="Change my profile",
        description=(
            "Every field is optional. A new `password` needs "
            "`current_password` (else 400 `current_password_required`; a "
            "wrong one: 400 `invalid_current_password`). The change reaches "
            "accounting asynchronously."
        ),
        tags=[TAG_IDENTITY],
        request=UpdateInputSerializer,
        responses={
            200: OutputSerializer,
            **problem_responses(
                {
                    400: [
                        ErrorCode.WEAK_PASSWORD,
                        ErrorCode.CURRENT_PASSWORD_REQUIRED,
                        ErrorCode.INVALID_CURRENT_PASSWORD,
                    ],
                    409: [ErrorCode.EMAIL_TAKEN],
                },
                json_body=True,
            ),
        },
    )
    def patch(self, request: Request) -> Response:
        """Forwards the validated changes to the users service."""
        serializer = self.UpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upstream = services.user_update(
            user_id=common.caller_id(request), data=serializer.validated_data
        )
        return common.render(self.OutputSerializer, upstream)

    @extend_schema(
        operation_id="me_delete",
        summary="Delete my account",
        description=(
            "Soft delete: log-in stops, accounts close, history is kept."
        ),
        tags=[TAG_IDENTITY],
        responses={204: None, **problem_responses()},
    )
    def delete(self, request: Request) -> Response:
        """Asks the users service to close the caller's account."""
        services.user_delete(user_id=common.caller_id(request))
        return Response(status=HTTPStatus.NO_CONTENT)
