"""Webhook endpoints and deliveries: removed and resent, never edited."""

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from accounting import models, services
from accounting.admin.columns import (
    ReadOnlyInline,
    admin_link,
)
from config.admin import ReadOnlyModelAdmin, asks_confirmation


@admin.register(models.WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyModelAdmin):
    """Holders' and partners' endpoints; staff may remove one.

    The secret is never shown here: the account saw it when it was made.
    """

    list_display = ["url", "holder", "partner", "events", "created_at"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["url", "holder__email", "partner__name", "=id"]
    list_select_related = ["holder", "partner"]
    fields = [
        "id",
        "url",
        "holder",
        "partner",
        "events",
        "created_at",
        "previous_secret_until",
        "removed_at",
        "delivery_log",
    ]
    readonly_fields = fields
    actions = ["remove_endpoints"]

    @admin.display(description="deliveries")
    def delivery_log(self, endpoint: models.WebhookEndpoint) -> str:
        """A link to the endpoint's deliveries."""
        return admin_link(
            models.WebhookDelivery,
            "delivery log",
            f"endpoint__id__exact={endpoint.id}",
        )

    def has_remove_permission(self, request: HttpRequest) -> bool:
        """Removing needs the change permission on endpoints."""
        return request.user.has_perm("accounting.change_webhookendpoint")

    @admin.action(
        description="Remove the selected endpoints", permissions=["remove"]
    )
    @asks_confirmation
    def remove_endpoints(
        self, request: HttpRequest, endpoints: QuerySet
    ) -> None:
        """Removes each endpoint through ``endpoint_remove``."""
        for endpoint in endpoints:
            services.endpoint_remove(endpoint=endpoint)
        self.message_user(
            request,
            f"{len(endpoints)} endpoint(s) removed.",
            messages.SUCCESS,
        )


class WebhookAttemptInline(ReadOnlyInline):
    """The tries of a delivery, as the receiver answered them."""

    model = models.WebhookAttempt
    fields = ["at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    show_change_link = False


@admin.register(models.WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyModelAdmin):
    """The delivery log: each event to each endpoint; staff may resend."""

    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "last_error", "created_at"]
    search_fields = ["=event__id", "endpoint__url", "=id"]
    list_select_related = ["event", "endpoint"]
    fields = [
        "id",
        "event",
        "event_body",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    readonly_fields = fields
    inlines = [WebhookAttemptInline]
    actions = ["resend_deliveries"]

    @admin.display(description="event body")
    def event_body(self, delivery: models.WebhookDelivery) -> str:
        """The event's document, as it is sent."""
        return format_html("<pre>{}</pre>", json.dumps(delivery.event.data))

    def has_resend_permission(self, request: HttpRequest) -> bool:
        """Resending needs the change permission on deliveries."""
        return request.user.has_perm("accounting.change_webhookdelivery")

    @admin.action(
        description="Send the selected deliveries again",
        permissions=["resend"],
    )
    def resend_deliveries(
        self, request: HttpRequest, deliveries: QuerySet
    ) -> None:
        """Makes each delivery due now, through ``delivery_resend``."""
        for delivery in deliveries:
            services.delivery_resend(delivery=delivery)
        self.message_user(
            request,
            f"{len(deliveries)} delivery(ies) to be sent again.",
            messages.SUCCESS,
        )
