"""Bearer JWT authentication, verified locally with the public key.

The users service signs access tokens (RS256); the gateway only verifies
them, so authenticating a request costs no network hop. The caller's id is
the token's ``user_id`` claim and is the only user id the gateway ever puts
in an upstream path, so it must be a UUID.

simplejwt reports failures with a nested ``detail`` document; here every
failure becomes a plain ``AuthenticationFailed`` so that the shared handler
answers a clean 401 ``invalid_token`` problem (a missing token stays 401
``not_authenticated``). Whether the user still exists is for the users and
accounting services to say (401 ``user_inactive``), on the call itself.
"""

import uuid

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import (
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

INVALID_TOKEN_DETAIL = "The access token is invalid or expired."  # noqa: S105
# Where a request keeps its token's verdict: ``(result,)`` or the failure.
_VERDICT = "bearer_verdict"


class BearerTokenAuthentication(JWTStatelessUserAuthentication):
    """Authenticates ``Authorization: Bearer <access token>``."""

    def authenticate(self, request: Request) -> tuple[TokenUser, Token] | None:
        """Verifies the bearer token of a request, if it has one.

        Once per request: the request limits (``integration.limits``) need
        the user before the view runs, and the view's authentication then
        reuses that verdict instead of checking the signature again.

        Args:
            request: The incoming request (DRF's, or Django's underneath).

        Returns:
            The token's user and the validated token, or None when no
            bearer token was sent.

        Raises:
            AuthenticationFailed: The token is malformed, expired, signed
                with another key, of another type or names no UUID user.
        """
        underlying = getattr(request, "_request", request)
        verdict = getattr(underlying, _VERDICT, None)
        if verdict is None:
            try:
                verdict = (self._verify(request),)
            except exceptions.AuthenticationFailed as error:
                verdict = error
            setattr(underlying, _VERDICT, verdict)
        if isinstance(verdict, exceptions.AuthenticationFailed):
            raise verdict
        return verdict[0]

    def _verify(self, request: Request) -> tuple[TokenUser, Token] | None:
        """Checks the token's signature, lifetime, type and user id."""
        try:
            result = super().authenticate(request)
        except exceptions.AuthenticationFailed as error:
            raise exceptions.AuthenticationFailed(
                INVALID_TOKEN_DETAIL
            ) from error
        if result is None:
            return None
        user, token = result
        _check_user_id(user)
        return user, token


def verify_access_token(raw_token: str) -> TokenUser:
    """Verifies an access token that came without an HTTP header.

    WebSocket clients (``integration.realtime``) send it in the query
    string or in their first message; it passes exactly the checks a
    bearer token passes.

    Args:
        raw_token: The encoded JWT.

    Returns:
        The token's user.

    Raises:
        AuthenticationFailed: As :class:`BearerTokenAuthentication`.
    """
    authentication = BearerTokenAuthentication()
    try:
        user = authentication.get_user(
            # A lone surrogate (valid JSON) becomes "?": an invalid token.
            authentication.get_validated_token(
                raw_token.encode(errors="replace")
            )
        )
    except exceptions.AuthenticationFailed as error:
        raise exceptions.AuthenticationFailed(INVALID_TOKEN_DETAIL) from error
    _check_user_id(user)
    return user


def _check_user_id(user: TokenUser) -> None:
    """Refuses a token whose user id is not a UUID (it goes in paths)."""
    try:
        uuid.UUID(str(user.id))
    except ValueError as error:
        raise exceptions.AuthenticationFailed(INVALID_TOKEN_DETAIL) from error
