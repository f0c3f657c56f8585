"""Sign-up and one user's profile: read, update, delete."""

import uuid
from http import HTTPStatus

from django.http import HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import bounds, conditional
from config.fields import InstantField
from config.idempotency import keys as idempotency_keys
from config.openapi import (
    IDEMPOTENCY_KEY_PARAMETER,
    IDEMPOTENT_REPLAYED_HEADER,
    IDEMPOTENT_WRITE,
    UNKNOWN_PATH,
    internal_problems,
    links,
)
from config.serializers import StrictInputSerializer
from users import selectors, services
from users.errors import ErrorCode

# The links from an answer holding a user to the operations on that user.
_ONE_USER = {"parameters": {"user_id": "$response.body#/id"}}


# The shape of a user's answer, in its entity tag (see user_etag).
_FORMAT = "user1"

# What an operation on one user answers for an id that names no live,
# active user (unknown, deleted or suspended), or is not a UUID.
_USER_UNKNOWN = {401: [ErrorCode.USER_INACTIVE], **UNKNOWN_PATH}


class UserOutputSerializer(serializers.Serializer):
    """A user as the gateway sees it."""

    id = serializers.UUIDField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_joined = InstantField()


def user_etag(version: int) -> str:
    """Returns the entity tag of a user's answer at a version.

    ``_FORMAT`` names the answer's shape: a release that changes it makes
    every tag given before it stale.
    """
    return f'"{_FORMAT}.{version}"'


class UserCreateApi(APIView):
    """POST /internal/v1/users: sign up."""

    @extend_schema_serializer(component_name="UserCreateInput")
    class InputSerializer(StrictInputSerializer):
        """The request body."""

        email = serializers.EmailField(max_length=bounds.EMAIL_MAX_LENGTH)
        password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH, trim_whitespace=False
        )
        first_name = serializers.CharField(
            max_length=bounds.PERSON_NAME_MAX_LENGTH,
            required=False,
            allow_blank=True,
            default="",
        )
        last_name = serializers.CharField(
            max_length=bounds.PERSON_NAME_MAX_LENGTH,
            required=False,
            allow_blank=True,
            default="",
        )

    OutputSerializer = UserOutputSerializer

    @links(
        201,
        GetUser=_ONE_USER | {"operationId": "users_retrieve"},
        UpdateUser=_ONE_USER | {"operationId": "users_update"},
        DeleteUser=_ONE_USER | {"operationId": "users_destroy"},
        LogIn={
            "operationId": "tokens_create",
            "requestBody": {
                "email": "$request.body#/email",
                "password": "$request.body#/password",
            },
        },
    )
    @extend_schema(
        operation_id="users_create",
        request=InputSerializer,
        examples=[
            OpenApiExample(
                "Sign-up",
                value={
                    "email": "grace@example.com",
                    "password": "a long and rather rare passphrase",
                    "first_name": "Grace",
                    "last_name": "Hopper",
                },
                request_only=True,
            )
        ],
        parameters=[IDEMPOTENCY_KEY_PARAMETER, IDEMPOTENT_REPLAYED_HEADER],
        responses={
            201: UserOutputSerializer,
            **internal_problems(
                {
                    400: [ErrorCode.WEAK_PASSWORD],
                    409: [ErrorCode.EMAIL_TAKEN],
                },
                IDEMPOTENT_WRITE,
                json_body=True,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        """Creates a user, once per ``Idempotency-Key``."""
        key = idempotency_keys.from_headers(request.headers)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = services.user_signup(
            idempotency_key=key,
            render=lambda user: dict(self.OutputSerializer(user).data),
            **serializer.validated_data,
        )
        headers = idempotency_keys.replayed_headers(result.replayed)
        return Response(result.body, status=HTTPStatus.CREATED, headers=headers)


class UserApi(APIView):
    """GET, PATCH, DELETE /internal/v1/users/{user_id}."""

    @extend_schema_serializer(component_name="UserUpdateInput")
    class UpdateInputSerializer(StrictInputSerializer):
        """The PATCH body: only the fields to change."""

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
        )
        current_password = serializers.CharField(
            max_length=bounds.PASSWORD_MAX_LENGTH,
            required=False,
            trim_whitespace=False,
        )

    OutputSerializer = UserOutputSerializer

    @extend_schema(
        operation_id="users_retrieve",
        responses={
            200: UserOutputSerializer,
            **internal_problems(_USER_UNKNOWN),
        },
    )
    def get(self, request: Request, user_id: uuid.UUID) -> HttpResponse:
        """Returns an active user; 304 if ``If-None-Match`` is current.

        The tag is the user's version (decision 15): checking it reads one
        column; the user is read only when the caller's copy is old.
        """
        version = selectors.user_version(user_id=user_id)
        return conditional.respond(
            request,
            user_etag(version),
            lambda: (
                self.OutputSerializer(selectors.user_get(user_id=user_id)).data
            ),
        )

    @extend_schema(
        operation_id="users_update",
        request=UpdateInputSerializer,
        responses={
            200: UserOutputSerializer,
            **internal_problems(
                {
                    400: [
                        ErrorCode.WEAK_PASSWORD,
                        ErrorCode.CURRENT_PASSWORD_REQUIRED,
                        ErrorCode.INVALID_CURRENT_PASSWORD,
                    ],
                    409: [ErrorCode.EMAIL_TAKEN],
                },
                _USER_UNKNOWN,
                json_body=True,
            ),
        },
    )
    def patch(self, request: Request, user_id: uuid.UUID) -> Response:
        """Changes a user's email, names or password."""
        serializer = self.UpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_update(
            user_id=user_id, **serializer.validated_data
        )
        return Response(self.OutputSerializer(user).data)

    @extend_schema(
        operation_id="users_destroy",
        responses={204: None, **internal_problems(_USER_UNKNOWN)},
    )
    def delete(self, request: Request, user_id: uuid.UUID) -> Response:
        """Soft-deletes a user."""
        del request
        services.user_delete(user_id=user_id)
        return Response(status=204)
