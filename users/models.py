"""Users, the outbox of their events, and stored idempotent sign-ups.

A user logs in with an email address. Emails are unique among *live* users
only (a partial unique index on ``lower(email)`` where ``deleted_at IS
NULL``): deleting is a soft delete that keeps the row for audit, and the
address may sign up again afterwards.

Every change of a user is published to the other services as an event. The
event row (:class:`OutboxEvent`) is written in the same transaction as the
change, so a change is never lost nor announced without having happened; a
relay publishes it to RabbitMQ after commit and a periodic sweep retries
what a broker outage left pending (see ``users.services``).

``version`` grows by one per change and travels in every event, so that
consumers can drop stale or reordered events.
"""

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from config import audit, bounds, request_ids
from config.idempotency import keys as idempotency_keys

EMAIL_CONSTRAINT = "users_user_live_email_uniq"


class UserManager(BaseUserManager["User"]):
    """Creates user rows and finds live users by email.

    ``create_user`` and ``create_superuser`` are the low-level constructors
    Django's tooling expects (``createsuperuser``); they write no event.
    Application code creates users with ``users.services.user_create``,
    which also writes the outbox event.
    """

    use_in_migrations = True

    def live(self) -> models.QuerySet["User"]:
        """Returns the users that have not been deleted."""
        return self.filter(deleted_at__isnull=True)

    def by_email(self, email: str) -> models.QuerySet["User"]:
        """Returns the live users with this email, ignoring case.

        The lookup compares ``lower(email)`` so that PostgreSQL uses the
        partial unique index.
        """
        return (
            self.live()
            .alias(email_lower=Lower("email"))
            .filter(email_lower=email.strip().lower())
        )

    def get_by_natural_key(self, username: str | None) -> "User":
        """Finds the live user who logs in with this email (any case)."""
        return self.by_email(username or "").get()

    def create_user(
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        """Creates and saves a user with an email and a password.

        Args:
            email: The login; normalised (domain lower-cased).
            password: The raw password, hashed before saving; None makes an
                unusable password.
            **extra_fields: Other model fields.

        Returns:
            The saved user.
        """
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: object
    ) -> "User":
        """Creates and saves a staff superuser."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who can log in to the platform, or did until deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(
        "email address", max_length=bounds.EMAIL_MAX_LENGTH
    )
    first_name = models.CharField(
        max_length=bounds.PERSON_NAME_MAX_LENGTH, blank=True
    )
    last_name = models.CharField(
        max_length=bounds.PERSON_NAME_MAX_LENGTH, blank=True
    )
    date_joined = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(
        default=True, help_text="Unset to stop this user from logging in."
    )
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can log into the admin."
    )
    version = models.PositiveBigIntegerField(
        default=1, help_text="Grows by one per change; sent in events."
    )
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Set by a soft delete."
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        """Ordering, constraints and indexes."""

        ordering = ["-date_joined"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(deleted_at__isnull=True),
                name=EMAIL_CONSTRAINT,
                violation_error_message=(
                    "A user with this email address already exists."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_deleted(self) -> bool:
        """Whether the user was soft-deleted."""
        return self.deleted_at is not None


class OutboxEvent(models.Model):
    """One user event, written with the change, published after commit.

    The primary key is the event id that consumers deduplicate on.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=64)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The request that wrote the event (config.request_ids), sent with its
    # task however late the relay or the sweep publishes it; "" if none.
    request_id = models.CharField(
        max_length=request_ids.MAX_LENGTH, blank=True, default=""
    )

    class Meta:
        """Ordering, constraints and indexes."""

        ordering = ["created_at"]
        indexes = [
            # The sweep reads the oldest pending events; keep that index
            # as small as the backlog.
            models.Index(
                fields=["created_at"],
                condition=models.Q(published_at__isnull=True),
                name="users_outbox_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class IdempotencyKey(models.Model):
    """The stored outcome of a sign-up sent with an ``Idempotency-Key``.

    Written in the same transaction as the user it created. Only a hash of
    the request is kept (the request holds a password).
    """

    key = models.CharField(max_length=idempotency_keys.MAX_LENGTH, unique=True)
    request_hash = models.CharField(max_length=64)
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key


class StaffAction(audit.StaffActionBase):
    """What staff did in this service's admin (config.audit); append-only."""
