"""Bearer authentication: users' JWTs, and partners' API keys.

Users' access tokens are verified locally with the public key; partners'
keys (``spk_...``) are verified by accounting, which keeps them.

The users service signs access tokens (RS256); the gateway only verifies
them, so authenticating a request costs no network hop. The caller's id is
the token's ``user_id`` claim and is the only user id the gateway ever puts
in an upstream path, so it must be a UUID.

simplejwt reports failures with a nested ``detail`` document; here every
failure becomes a plain ``AuthenticationFailed`` so that the shared handler
answers a clean 401 ``invalid_token`` problem (a missing token stays 401
``not_authenticated``). Whether the user still exists is for the users and
accounting services to say (401 ``user_inactive``), on the call itself.

A partner's request carries ``Authorization: Bearer spk_...``. Only the
partner endpoints read such a key (:class:`PartnerKeyAuthentication`);
elsewhere it is a bearer token like any other, and not a valid JWT. The
gateway cannot judge a key itself: it asks accounting (``partner-keys/
verify``), once per request, and passes accounting's 401
``invalid_api_key`` through. A key that cannot be one (not the shape
accounting issues) is refused without asking.
"""

import dataclasses
import uuid
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    get_authorization_header,
)
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import (
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.models import TokenUser
from rest_framework_simplejwt.tokens import Token

from config import partner_keys
from config.contracts import INTERNAL_API_PREFIX
from config.request_rates import Rate, parse_rate
from integration import clients, errors
from integration.clients import Service

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


# --- Partners' API keys ------------------------------------------------------

INVALID_API_KEY_DETAIL = "The API key is invalid or revoked."
# Where a request keeps its partner key's verdict, as ``_VERDICT``.
_PARTNER_VERDICT = "partner_key_verdict"
_BEARER = b"Bearer"


@dataclasses.dataclass(frozen=True)
class PartnerPrincipal:
    """A partner's key that accounting vouched for: the caller of a request.

    Attributes:
        key_id: The key's id: batches are sent in its name, and it is
            counted against the request limits as a client of its own.
        partner_id: Its partner's id: what the partner reads is theirs.
        partner_name: Its partner's name.
        scopes: What the key may do (``credits:write``, ...).
        rate_limit: Its own request rate, or None for the scope's.
    """

    key_id: str
    partner_id: str
    partner_name: str
    scopes: frozenset[str]
    rate_limit: Rate | None

    # What DRF's permissions ask of a request's user.
    is_authenticated: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False


class PartnerKeyAuthentication(BaseAuthentication):
    """Authenticates ``Authorization: Bearer spk_...``: a partner's key."""

    def authenticate(
        self, request: Request
    ) -> tuple[PartnerPrincipal, None] | None:
        """Verifies the partner key of a request, if it has one.

        Once per request, as :class:`BearerTokenAuthentication`: the
        request limits need the key before the view runs.

        Args:
            request: The incoming request (DRF's, or Django's underneath).

        Returns:
            The key's principal, or None when no partner key was sent (an
            access token is none).

        Raises:
            GatewayError: 401 ``invalid_api_key`` (the key is unknown or
                revoked, or cannot be a key), or what a call to
                accounting may answer (``upstream_unavailable``, ...).
        """
        raw_key = partner_key_of(request)
        if raw_key is None:
            return None
        underlying = getattr(request, "_request", request)
        verdict = getattr(underlying, _PARTNER_VERDICT, None)
        if verdict is None:
            try:
                verdict = (partner_key_verify(raw_key=raw_key),)
            except errors.GatewayError as error:
                verdict = error
            setattr(underlying, _PARTNER_VERDICT, verdict)
        if isinstance(verdict, errors.GatewayError):
            raise verdict
        return verdict[0], None

    def authenticate_header(self, request: Request) -> str:
        """Returns the ``WWW-Authenticate`` of a request without a key."""
        del request
        return 'Bearer realm="api"'


def partner_key_of(request: Request) -> str | None:
    """Returns the partner key a request's bearer token is, if it is one."""
    parts = get_authorization_header(request).split()
    if (
        len(parts) != 2
        or parts[0] != _BEARER
        or not parts[1].startswith(partner_keys.PREFIX.encode())
    ):
        return None
    return parts[1].decode("latin-1")


def partner_key_verify(*, raw_key: str) -> PartnerPrincipal:
    """Asks accounting whose key this is (``POST partner-keys/verify``).

    One call through the pooled client, as ``integration.selectors``
    makes; it lives here because the selectors' cache imports the
    request limits, which import this module.

    Args:
        raw_key: The key as the client sent it.

    Returns:
        The key's principal.

    Raises:
        ApiKeyInvalidError: The key is not of the shape of a key.
        UpstreamProblemError: Accounting's 401 ``invalid_api_key``.
        GatewayError: ``upstream_unavailable``, ``upstream_timeout`` or
            ``bad_gateway`` (an answer outside the contract included).
    """
    if not partner_keys.is_key_shaped(raw_key):
        raise errors.ApiKeyInvalidError(INVALID_API_KEY_DETAIL)
    upstream = clients.call(
        Service.ACCOUNTING,
        "POST",
        f"/{INTERNAL_API_PREFIX}partner-keys/verify",
        body={"key": raw_key},
    )
    return _principal(upstream.body)


# What a verification answer outside its contract raises when read.
_SHAPE_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    ImproperlyConfigured,
)


def _principal(body: Any) -> PartnerPrincipal:
    """Reads accounting's answer; one outside the contract is a 502.

    Its ids go into upstream paths, and its rate into the limits, so
    each is checked for what it must be.
    """
    try:
        scopes, rate_limit = body["scopes"], body["rate_limit"]
        if not isinstance(scopes, list) or not isinstance(rate_limit, str):
            raise TypeError("scopes or rate_limit")
        if not all(isinstance(scope, str) for scope in scopes):
            raise TypeError("scopes")
        return PartnerPrincipal(
            key_id=str(uuid.UUID(body["key_id"])),
            partner_id=str(uuid.UUID(body["partner_id"])),
            partner_name=str(body["partner_name"]),
            scopes=frozenset(scopes),
            rate_limit=parse_rate(rate_limit) if rate_limit else None,
        )
    except _SHAPE_ERRORS as error:
        raise errors.BadGatewayError(
            "The accounting service gave an invalid answer: not a key."
        ) from error
