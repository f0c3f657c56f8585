"""The audit trail of staff actions, kept by both back offices.

Whatever staff do in an admin (add, change, delete, a bulk action, a
reversal or a freeze) is recorded as one :class:`StaffActionBase` row per
object touched: who, when, from which address, what, the object as it was
before and as it is after, and the reason staff gave. The row is written in
the same database transaction as the change, so a change is never without
its record, nor a record without its change. Rows are append-only (the
model refuses updates and deletes; on PostgreSQL a trigger refuses them
too), and the admins only show them.

Each service keeps its own trail in its own database (``StaffAction`` in
users and in accounting), named by the ``STAFF_ACTION_MODEL`` setting.
"""

import json
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from config import addresses, request_ids
from config.append_only import AppendOnlyModel

# Fields never copied into the trail, whatever the model: a password's
# hash, a key's hash, a webhook's signing secret, a token.
_SECRET_PARTS = ("password", "secret", "hash", "token")


class StaffActionBase(AppendOnlyModel):
    """One staff action on one object: the trail's row."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    staff_id = models.CharField(max_length=64)
    staff_email = models.CharField(max_length=254, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=request_ids.MAX_LENGTH, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        """Abstract: each service has its own table."""

        abstract = True
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.staff_email} {self.action} {self.object_repr}"


def snapshot(obj: models.Model | None) -> dict[str, Any] | None:
    """Returns an object's fields as JSON values, secrets left out.

    None for an object that does not exist (before an add, after a
    delete).
    """
    if obj is None:
        return None
    row = serializers.serialize("python", [obj])[0]
    fields = {
        name: value
        for name, value in row["fields"].items()
        if not any(part in name for part in _SECRET_PARTS)
    }
    fields["pk"] = row["pk"]
    return json.loads(json.dumps(fields, cls=DjangoJSONEncoder))


def fresh(obj: models.Model) -> models.Model | None:
    """Returns the object as the database has it now, or None if gone."""
    return type(obj)._base_manager.filter(pk=obj.pk).first()


def staff_action_record(
    *,
    request: HttpRequest,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str = "",
) -> StaffActionBase:
    """Records one staff action on one object, in the caller's transaction.

    Args:
        request: The admin request: who acted, and from where.
        action: What was done: ``add``, ``change``, ``delete``, or an admin
            action's name (``close_wallets``).
        obj: The object acted on.
        before: Its :func:`snapshot` before the action (None: it did not
            exist).
        after: Its :func:`snapshot` after (None: it no longer exists).
        reason: Why, as staff wrote it.

    Returns:
        The row written.
    """
    model = apps.get_model(settings.STAFF_ACTION_MODEL)
    staff = request.user
    meta = obj._meta
    return model.objects.create(
        staff_id=str(staff.pk),
        staff_email=getattr(staff, "email", "") or staff.get_username(),
        ip_address=addresses.ip_or_none(
            addresses.client_address(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR"),
                settings.NUM_PROXIES,
            )
        ),
        request_id=request_ids.current() or "",
        action=action,
        object_type=f"{meta.app_label}.{meta.model_name}",
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        reason=reason,
    )
