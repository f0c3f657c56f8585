"""Every write of the users service: users, tokens and the event outbox.

A user change and its event are one transaction: each service below that
changes a user also writes an :class:`~users.models.OutboxEvent` before it
commits. After the commit the event is published at once as the Celery task
``contracts.USER_EVENT_TASK`` (the relay); if RabbitMQ is down the failure
is recorded on the row and the request still succeeds, and the beat task
``contracts.OUTBOX_SWEEP_TASK`` republishes what is pending. Publishing is
at least once: a duplicate costs accounting nothing (it deduplicates by
``event_id``), a lost event would cost a user.

Tokens are djangorestframework-simplejwt's: RS256, refresh tokens recorded
as outstanding so that a deleted user's can be blacklisted.
"""

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import amqp.exceptions
import kombu.exceptions
from celery import Celery
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission, update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken

from config import contracts, request_ids, timeparse
from config.idempotency import fingerprints, store
from users import errors, selectors
from users.models import EMAIL_CONSTRAINT, IdempotencyKey, OutboxEvent, User

logger = logging.getLogger(__name__)

# What a broker outage raises while publishing: connection failures
# (wrapped by kombu), channel errors, a negative publisher confirm, socket
# timeouts. Anything else is a bug and propagates.
PUBLISH_ERRORS = (
    kombu.exceptions.OperationalError,
    amqp.exceptions.AMQPError,
    amqp.exceptions.MessageNacked,
    OSError,
)

# --- Users ------------------------------------------------------------------


def _password_check(password: str, *, user: User) -> None:
    """Applies Django's password validators.

    Raises:
        UsersError: ``weak_password`` with the validators' messages.
    """
    try:
        validate_password(password, user=user)
    except DjangoValidationError as error:
        raise errors.WeakPasswordError(
            errors={"password": list(error.messages)}
        ) from error


def _user_save(user: User, **kwargs: Any) -> None:
    """Saves a user, turning a duplicate live email into ``email_taken``.

    The insert runs in a savepoint so that the caller's transaction stays
    usable; the database constraint settles races between two sign-ups.

    Raises:
        UsersError: ``email_taken``.
    """
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError as error:
        if EMAIL_CONSTRAINT not in str(error):
            raise
        raise errors.EmailTakenError() from error


def _email_normalized(email: str) -> str:
    """Returns an email as users store it: trimmed, domain lower-cased."""
    return User.objects.normalize_email(email.strip())


def user_email_check(*, email: str, user_id: uuid.UUID | None = None) -> str:
    """Returns an email as stored, unless another live user has it.

    The rule (one live user per email, whatever its case) is the
    database's: a write that breaks it is ``email_taken`` whoever races.
    This check writes nothing; it lets a form name the field first.

    Args:
        email: The email as typed.
        user_id: The user who would have it (None: a new user).

    Returns:
        The email normalised.

    Raises:
        EmailTakenError: A live user has that email.
    """
    email = _email_normalized(email)
    if User.objects.by_email(email).exclude(pk=user_id).exists():
        raise errors.EmailTakenError()
    return email


@transaction.atomic
def user_create(
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Creates a user and its ``user.created`` event.

    Args:
        email: The login; normalised (trimmed, domain lower-cased).
        password: The raw password; must pass the password validators.
        first_name: Optional given name.
        last_name: Optional family name.
        is_staff: Whether the user may log into the admin.
        is_superuser: Whether the user has every admin permission.

    Returns:
        The saved user.

    Raises:
        UsersError: ``weak_password`` or ``email_taken``.
    """
    user = User(
        email=_email_normalized(email),
        first_name=first_name,
        last_name=last_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    _password_check(password, user=user)
    user.set_password(password)
    _user_save(user, force_insert=True)
    _outbox_event_create(
        user=user,
        event_type=contracts.USER_CREATED,
        occurred_at=user.date_joined,
    )
    return user


@transaction.atomic
def user_update(
    *,
    user_id: uuid.UUID,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    password: str | None = None,
    current_password: str | None = None,
    is_active: bool | None = None,
    is_staff: bool | None = None,
    include_inactive: bool = False,
) -> User:
    """Changes a user's profile or password and writes ``user.updated``.

    Arguments left as None are not changed. A call that changes nothing
    writes nothing and publishes nothing.

    Args:
        user_id: The user to change.
        email: A new login email.
        first_name: A new given name.
        last_name: A new family name.
        password: A new password; requires ``current_password``.
        current_password: The user's current password.
        is_active: Suspends or reinstates the user (staff only).
        is_staff: Grants or revokes admin access (staff only).
        include_inactive: Also find suspended users (the admin does).

    Returns:
        The user as saved.

    Raises:
        UsersError: ``user_inactive``, ``email_taken``,
            ``weak_password``, ``current_password_required`` or
            ``invalid_current_password``.
    """
    user = selectors.user_get(
        user_id=user_id, include_inactive=include_inactive, for_update=True
    )
    if email is not None:
        email = _email_normalized(email)
    wanted = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "is_active": is_active,
        "is_staff": is_staff,
    }
    changes = {
        field: value
        for field, value in wanted.items()
        if value is not None and getattr(user, field) != value
    }
    if password is not None:
        if not current_password:
            raise errors.CurrentPasswordRequiredError()
        if not user.check_password(current_password):
            raise errors.InvalidCurrentPasswordError()
    if not changes and password is None:
        return user
    for field, value in changes.items():
        setattr(user, field, value)
    if password is not None:
        _password_check(password, user=user)
        user.set_password(password)
    user.version += 1
    _user_save(user)
    now = timezone.now()
    _outbox_event_create(
        user=user, event_type=contracts.USER_UPDATED, occurred_at=now
    )
    if password is not None or changes.get("is_active") is False:
        # A new password or a suspension ends every other session.
        _refresh_tokens_blacklist(user=user, now=now)
    return user


@transaction.atomic
def user_password_reset(*, user_id: uuid.UUID, password: str) -> User:
    """Sets a password chosen by staff and ends the user's sessions.

    The admin's "change password" page: no current password is asked, so
    every outstanding refresh token is revoked, as after any password
    change, and ``user.updated`` is written like every other change.

    Args:
        user_id: The user, active or suspended.
        password: The new password.

    Returns:
        The user as saved.

    Raises:
        UsersError: ``user_inactive`` or ``weak_password``.
    """
    user = selectors.user_get(
        user_id=user_id, include_inactive=True, for_update=True
    )
    _password_check(password, user=user)
    user.set_password(password)
    user.version += 1
    _user_save(user)
    now = timezone.now()
    _outbox_event_create(
        user=user, event_type=contracts.USER_UPDATED, occurred_at=now
    )
    _refresh_tokens_blacklist(user=user, now=now)
    return user


@transaction.atomic
def user_permissions_set(
    *,
    user_id: uuid.UUID,
    groups: Iterable[Group],
    permissions: Iterable[Permission],
) -> User:
    """Sets the admin groups and permissions of a user, replacing them.

    Admin access is the users service's own: accounting knows nothing of
    it, so no event is written and the version does not move.

    Args:
        user_id: The user, active or suspended.
        groups: Every group the user is to be in.
        permissions: Every permission the user is to have besides them.

    Returns:
        The user.

    Raises:
        UserInactiveError: Unknown or deleted.
    """
    user = selectors.user_get(
        user_id=user_id, include_inactive=True, for_update=True
    )
    user.groups.set(groups)
    user.user_permissions.set(permissions)
    return user


@transaction.atomic
def user_delete(*, user_id: uuid.UUID, include_inactive: bool = False) -> User:
    """Soft-deletes a user: login stops, tokens die, the row stays.

    Sets ``deleted_at``, clears ``is_active``, blacklists every outstanding
    refresh token of the user and writes ``user.deleted``.

    Args:
        user_id: The user to delete.
        include_inactive: Also find suspended users (the admin does).

    Returns:
        The deleted user.

    Raises:
        UsersError: ``user_inactive`` (unknown or already deleted).
    """
    user = selectors.user_get(
        user_id=user_id, include_inactive=include_inactive, for_update=True
    )
    now = timezone.now()
    user.deleted_at = now
    user.is_active = False
    user.version += 1
    user.save(update_fields=["deleted_at", "is_active", "version"])
    _refresh_tokens_blacklist(user=user, now=now)
    _outbox_event_create(
        user=user, event_type=contracts.USER_DELETED, occurred_at=now
    )
    return user


# --- Idempotent sign-up -----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SignupResult:
    """The outcome of a sign-up, first time or replayed.

    Attributes:
        body: The new user as ``render`` drew it, stored for replays.
        replayed: Whether an earlier sign-up with the key answered.
    """

    body: dict[str, Any]
    replayed: bool = False


# Sign-ups come before any user: their keys are unique across the table.
SIGNUP_KEYS = store.KeyTable(IdempotencyKey)


@transaction.atomic
def user_signup(
    *,
    idempotency_key: str | None,
    render: Callable[[User], dict[str, Any]],
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
) -> SignupResult:
    """Creates a user at most once per ``Idempotency-Key``.

    With a key, the key, a hash of the request and the response are stored
    in the same transaction as the user. The same key with the same request
    replays the stored response; with another request it is refused.

    Args:
        idempotency_key: The client's key, already validated, or None.
        render: Turns the new user into the response body (the API's
            representation), stored for replays.
        email: As for :func:`user_create`.
        password: As for :func:`user_create`.
        first_name: As for :func:`user_create`.
        last_name: As for :func:`user_create`.

    Returns:
        The rendered user and whether it is a replay of the key's first
        sign-up.

    Raises:
        KeyInFlightError: The key's first sign-up is still running.
        KeyReusedError: The key came with another sign-up.
        UsersError: Any error of :func:`user_create` (nothing is stored).
    """
    fields = {
        "email": email,
        "password": password,
        "first_name": first_name,
        "last_name": last_name,
    }
    if idempotency_key is None:
        return SignupResult(body=render(user_create(**fields)))
    # The request holds a password: only a keyed hash of it is stored.
    request_hash = fingerprints.request_hash(fields, secret=settings.SECRET_KEY)
    stored = SIGNUP_KEYS.replay(key=idempotency_key, request_hash=request_hash)
    if stored is not None:
        return SignupResult(body=stored, replayed=True)
    body = render(user_create(**fields))
    SIGNUP_KEYS.save(key=idempotency_key, request_hash=request_hash, body=body)
    return SignupResult(body=body)


def idempotency_keys_purge(*, older_than: dt.timedelta) -> int:
    """Deletes stored idempotency keys older than a given age.

    Args:
        older_than: Keys at least this old go (the API keeps them 24 h).

    Returns:
        How many keys were deleted.
    """
    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Tokens -----------------------------------------------------------------


def _jwt_settings() -> Any:
    """Returns simplejwt's settings (rebuilt when SIMPLE_JWT changes)."""
    return simplejwt_settings.api_settings


def _tokens(refresh: RefreshToken) -> dict[str, Any]:
    """Renders a refresh token and its access token for the API."""
    lifetime = _jwt_settings().ACCESS_TOKEN_LIFETIME
    return {
        "access": str(refresh.access_token),
        "refresh": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(lifetime.total_seconds()),
    }


@transaction.atomic
def token_obtain(*, email: str, password: str) -> dict[str, Any]:
    """Logs a user in: email and password for an access/refresh pair.

    Args:
        email: The login email (any case).
        password: The password.

    Returns:
        ``{access, refresh, token_type, expires_in}``.

    Raises:
        UsersError: ``invalid_credentials``, whatever was wrong (unknown,
            deleted or suspended user, wrong password).
    """
    user = authenticate(email=email, password=password)
    if user is None:
        raise errors.InvalidCredentialsError()
    refresh = RefreshToken.for_user(user)
    if _jwt_settings().UPDATE_LAST_LOGIN:
        update_last_login(None, user)
    return _tokens(refresh)


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, Any]:
    """Trades a refresh token for a new access (and refresh) token.

    With ``ROTATE_REFRESH_TOKENS`` the old refresh token is replaced (and
    blacklisted with ``BLACKLIST_AFTER_ROTATION``).

    Args:
        refresh: The refresh token.

    Returns:
        ``{access, refresh, token_type, expires_in}``.

    Raises:
        UsersError: ``invalid_token``: bad signature, expired,
            blacklisted, or its user is deleted or suspended.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as error:
        raise errors.InvalidTokenError() from error
    user_id = token.payload.get(_jwt_settings().USER_ID_CLAIM)
    if not selectors.user_is_active(user_id=user_id):
        raise errors.InvalidTokenError()
    if _jwt_settings().ROTATE_REFRESH_TOKENS:
        if _jwt_settings().BLACKLIST_AFTER_ROTATION:
            token.blacklist()
        token.set_jti()
        token.set_exp()
        token.set_iat()
        token.outstand()
    return _tokens(token)


def _refresh_tokens_blacklist(*, user: User, now: dt.datetime) -> None:
    """Blacklists every unexpired refresh token issued to a user."""
    pending = OutstandingToken.objects.filter(
        user=user, expires_at__gt=now, blacklistedtoken__isnull=True
    ).values_list("pk", flat=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token_id=pk) for pk in pending],
        ignore_conflicts=True,
    )


# --- Outbox -----------------------------------------------------------------


def _celery_app() -> Celery:
    """Returns the Celery app that publishes events.

    Imported late: ``config.celery`` calls ``django.setup()``, which must not
    run while the app registry is loading (the admin imports this module).
    """
    from config.celery import app  # noqa: PLC0415

    return app


def _event_payload(
    *,
    user: User,
    event_id: uuid.UUID,
    event_type: str,
    occurred_at: dt.datetime,
) -> dict[str, Any]:
    """Builds a user event as ``config.contracts`` defines it."""
    return {
        "event_id": str(event_id),
        "type": event_type,
        "occurred_at": timeparse.format_instant(occurred_at),
        "user": {
            "id": str(user.id),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "is_active": user.is_active,
            "version": user.version,
        },
    }


def _outbox_event_create(
    *, user: User, event_type: str, occurred_at: dt.datetime
) -> OutboxEvent:
    """Writes a user event and schedules its publication after commit.

    Must be called inside the transaction that changes the user.
    """
    event_id = uuid.uuid4()
    event = OutboxEvent.objects.create(
        id=event_id,
        type=event_type,
        created_at=occurred_at,
        payload=_event_payload(
            user=user,
            event_id=event_id,
            event_type=event_type,
            occurred_at=occurred_at,
        ),
        request_id=request_ids.current() or "",
    )
    transaction.on_commit(
        lambda: outbox_event_publish(event_id=event.id, payload=event.payload),
        robust=True,
    )
    return event


def _publish(
    payload: dict[str, Any], *, request_id: str | None, producer: Any = None
) -> None:
    """Sends one event to accounting; waits for the broker's confirm.

    Timeouts and retries are ``settings.OUTBOX_PUBLISH_OPTIONS``: short, so
    that a broker outage costs a request little. The task carries the id of
    the request that wrote the event (``config.task_request_ids``), when
    one did, even when the sweep sends it long after; else, none (the task
    runs under its own id).
    """
    with request_ids.bound(request_id):
        _celery_app().send_task(
            contracts.USER_EVENT_TASK,
            kwargs={"event": payload},
            task_id=payload["event_id"],
            queue=contracts.ACCOUNTING_QUEUE,
            producer=producer,
            **settings.OUTBOX_PUBLISH_OPTIONS,
        )


def _publish_failed(*, event_id: uuid.UUID, error: Exception) -> None:
    """Records a failed publication; the event stays pending."""
    logger.warning(
        "User event %s not published (will retry): %r", event_id, error
    )
    OutboxEvent.objects.filter(id=event_id).update(
        attempts=F("attempts") + 1, last_error=repr(error)[:2000]
    )


def outbox_event_publish(
    *, event_id: uuid.UUID, payload: dict[str, Any]
) -> bool:
    """Publishes one event now and marks it published (the relay).

    Runs after the commit that wrote the event. A broker failure is logged
    and counted on the row, never raised: the sweep will retry.

    Args:
        event_id: The outbox row.
        payload: Its payload.

    Returns:
        Whether the event was published.
    """
    try:
        # After the commit, still in the request that wrote the event.
        _publish(payload, request_id=request_ids.current())
    except PUBLISH_ERRORS as error:
        _publish_failed(event_id=event_id, error=error)
        return False
    OutboxEvent.objects.filter(id=event_id, published_at__isnull=True).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    return True


@transaction.atomic
def _outbox_batch_publish(
    *, created_before: dt.datetime, batch_size: int
) -> tuple[int, bool]:
    """Publishes the oldest pending events that no other sweeper holds.

    Returns:
        How many were published, and whether more may be pending.
    """
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .filter(published_at__isnull=True, created_at__lte=created_before)
        .order_by("created_at")[:batch_size]
    )
    if not events:
        return 0, False
    sent: list[uuid.UUID] = []
    error: Exception | None = None
    try:
        with _celery_app().producer_or_acquire() as producer:
            for event in events:
                _publish(
                    event.payload,
                    request_id=event.request_id or None,
                    producer=producer,
                )
                sent.append(event.id)
    except PUBLISH_ERRORS as publish_error:
        error = publish_error
    OutboxEvent.objects.filter(id__in=sent).update(
        published_at=timezone.now(), attempts=F("attempts") + 1
    )
    if error is not None:
        _publish_failed(event_id=events[len(sent)].id, error=error)
        return len(sent), False
    return len(sent), len(events) == batch_size


def outbox_sweep(
    *, min_age: dt.timedelta | None = None, batch_size: int | None = None
) -> int:
    """Republishes pending events, oldest first, in batches.

    Each batch locks its rows with ``SKIP LOCKED``, so concurrent sweepers
    share the backlog instead of sending it twice. Events younger than
    ``min_age`` are left to the relay that is probably publishing them. The
    sweep stops at the first broker failure.

    Args:
        min_age: Minimum age of an event; default
            ``settings.OUTBOX_SWEEP_INTERVAL`` seconds.
        batch_size: Events per batch; default
            ``settings.OUTBOX_SWEEP_BATCH_SIZE``.

    Returns:
        How many events were published.
    """
    if min_age is None:
        min_age = dt.timedelta(seconds=settings.OUTBOX_SWEEP_INTERVAL)
    batch_size = batch_size or settings.OUTBOX_SWEEP_BATCH_SIZE
    created_before = timezone.now() - min_age
    published = 0
    more = True
    while more:
        sent, more = _outbox_batch_publish(
            created_before=created_before, batch_size=batch_size
        )
        published += sent
    return published
