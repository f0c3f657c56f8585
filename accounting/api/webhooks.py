"""Webhooks over the internal API: a holder's, or a partner's.

The same operations under ``holders/{user_id}/webhooks`` and
``partners/{partner_id}/webhooks``: register an endpoint (its secret is
shown then, and when it is rotated), list, read and remove endpoints, and
read and resend their deliveries. Another account's endpoint is
``webhook_not_found``, like an unknown one.
"""

from http import HTTPStatus
from typing import Any

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, models, selectors, services, wire
from accounting.api.openapi import HOLDER
from config import bounds, webhook_events
from config.openapi import internal_problems
from config.problems import Code
from config.serializers import StrictInputSerializer

_WEBHOOK_NOT_FOUND = {404: [errors.ErrorCode.WEBHOOK_NOT_FOUND]}
_WEBHOOK_ID = OpenApiParameter("webhook_id", OpenApiTypes.STR, "path")


def _account(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The account a path names: ``{"holder": ...}`` or ``{"partner": ...}``.

    Raises:
        HolderNotReadyError, HolderClosedError: The holder's state.
        Http404: No such partner (the gateway names only verified ones).
    """
    if "user_id" in kwargs:
        return {"holder": selectors.holder_get(user_id=kwargs["user_id"])}
    partner = models.Partner.objects.filter(pk=kwargs["partner_id"]).first()
    if partner is None:
        raise Http404
    return {"partner": partner}


@extend_schema_serializer(component_name="Webhook")
class WebhookSerializer(serializers.Serializer):
    """An endpoint: where, which events, since when."""

    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=webhook_events.EVENT_TYPES)
    )
    created_at = serializers.DateTimeField()
    previous_secret_until = serializers.DateTimeField(
        allow_null=True,
        help_text="Until when the secret before the last rotation signs.",
    )


@extend_schema_serializer(component_name="WebhookWithSecret")
class WebhookWithSecretSerializer(WebhookSerializer):
    """An endpoint and its secret, shown now only."""

    secret = serializers.CharField()


class WebhookEventRefSerializer(serializers.Serializer):
    """Which event a delivery carries."""

    id = serializers.UUIDField()
    type = serializers.ChoiceField(choices=webhook_events.EVENT_TYPES)
    sequence = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class WebhookTrySerializer(serializers.Serializer):
    """One try and how the receiver answered (or why none did)."""

    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True)
    duration_ms = serializers.IntegerField()


@extend_schema_serializer(component_name="WebhookDelivery")
class WebhookDeliverySerializer(serializers.Serializer):
    """One event to one endpoint, and its tries."""

    id = serializers.UUIDField()
    event = WebhookEventRefSerializer()
    status = serializers.ChoiceField(
        choices=models.WebhookDelivery.Status.values
    )
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    tries = WebhookTrySerializer(many=True)


class WebhookListApi(APIView):
    """GET, POST .../webhooks: an account's endpoints; a new one."""

    @extend_schema_serializer(component_name="WebhookInput")
    class InputSerializer(StrictInputSerializer):
        """Where to send, and which events (none: every one)."""

        url = serializers.CharField(max_length=2000)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=webhook_events.EVENT_TYPES),
            required=False,
            default=list,
            max_length=len(webhook_events.EVENT_TYPES),
        )

    @extend_schema_serializer(component_name="WebhookList")
    class OutputSerializer(serializers.Serializer):
        """The account's endpoints in use."""

        results = WebhookSerializer(many=True)

    @extend_schema(
        responses={
            200: OutputSerializer,
            **internal_problems({}, HOLDER),
        }
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        """Returns the account's endpoints, oldest first."""
        del request
        endpoints = selectors.webhooks_list(**_account(kwargs))
        return Response({"results": [wire.webhook_data(e) for e in endpoints]})

    @extend_schema(
        request=InputSerializer,
        responses={
            201: WebhookWithSecretSerializer,
            **internal_problems(
                {
                    400: [Code.VALIDATION_ERROR],
                    422: [errors.ErrorCode.INVALID_WEBHOOK_URL],
                },
                HOLDER,
                json_body=True,
            ),
        },
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        """Registers an endpoint; its secret is in this answer only."""
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_create(
            **serializer.validated_data, **_account(kwargs)
        )
        return Response(
            wire.webhook_data(endpoint, with_secret=True),
            status=HTTPStatus.CREATED,
        )


class WebhookDetailApi(APIView):
    """GET, DELETE .../webhooks/{webhook_id}: one endpoint."""

    @extend_schema(
        parameters=[_WEBHOOK_ID],
        responses={
            200: WebhookSerializer,
            **internal_problems(_WEBHOOK_NOT_FOUND, HOLDER),
        },
    )
    def get(self, request: Request, webhook_id: str, **kwargs: Any) -> Response:
        """Returns the endpoint (not its secret)."""
        del request
        endpoint = selectors.webhook_get(
            webhook_id=webhook_id, **_account(kwargs)
        )
        return Response(wire.webhook_data(endpoint))

    @extend_schema(
        parameters=[_WEBHOOK_ID],
        responses={
            204: None,
            **internal_problems(_WEBHOOK_NOT_FOUND, HOLDER),
        },
    )
    def delete(
        self, request: Request, webhook_id: str, **kwargs: Any
    ) -> Response:
        """Removes the endpoint: nothing more is sent to it."""
        del request
        endpoint = selectors.webhook_get(
            webhook_id=webhook_id, **_account(kwargs)
        )
        services.endpoint_remove(endpoint=endpoint)
        return Response(status=HTTPStatus.NO_CONTENT)


class WebhookSecretApi(APIView):
    """POST .../webhooks/{webhook_id}/secret: a new secret."""

    @extend_schema(
        request=None,
        parameters=[_WEBHOOK_ID],
        responses={
            200: WebhookWithSecretSerializer,
            **internal_problems(_WEBHOOK_NOT_FOUND, HOLDER),
        },
    )
    def post(
        self, request: Request, webhook_id: str, **kwargs: Any
    ) -> Response:
        """Rotates the secret; the previous one signs for a day more."""
        del request
        endpoint = selectors.webhook_get(
            webhook_id=webhook_id, **_account(kwargs)
        )
        rotated = services.endpoint_rotate(endpoint=endpoint)
        return Response(wire.webhook_data(rotated, with_secret=True))


class WebhookDeliveryListApi(APIView):
    """GET .../webhooks/{webhook_id}/deliveries: the delivery log."""

    class FilterSerializer(StrictInputSerializer):
        """Which deliveries, and where the page starts."""

        status = serializers.ChoiceField(
            choices=models.WebhookDelivery.Status.values, required=False
        )
        cursor = serializers.CharField(
            required=False, max_length=bounds.CURSOR_MAX_LENGTH
        )
        limit = serializers.IntegerField(
            min_value=1,
            max_value=bounds.MAX_PAGE_SIZE,
            default=bounds.DEFAULT_PAGE_SIZE,
        )

    @extend_schema_serializer(component_name="WebhookDeliveryPage")
    class OutputSerializer(serializers.Serializer):
        """A page of deliveries, newest first, and the next page's cursor."""

        results = WebhookDeliverySerializer(many=True)
        next_cursor = serializers.CharField(allow_null=True)

    @extend_schema(
        parameters=[_WEBHOOK_ID, FilterSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {
                    400: [Code.VALIDATION_ERROR, Code.INVALID_CURSOR],
                    **_WEBHOOK_NOT_FOUND,
                },
                HOLDER,
            ),
        },
    )
    def get(self, request: Request, webhook_id: str, **kwargs: Any) -> Response:
        """Returns a page of the endpoint's deliveries with their tries."""
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        endpoint = selectors.webhook_get(
            webhook_id=webhook_id, **_account(kwargs)
        )
        page = selectors.deliveries_page(
            endpoint=endpoint, **query.validated_data
        )
        return Response(
            {
                "results": [
                    wire.webhook_delivery_data(d) for d in page.results
                ],
                "next_cursor": page.next_cursor,
            }
        )


class WebhookResendApi(APIView):
    """POST .../deliveries/{delivery_id}/resend: send it again."""

    @extend_schema(
        request=None,
        parameters=[
            _WEBHOOK_ID,
            OpenApiParameter("delivery_id", OpenApiTypes.STR, "path"),
        ],
        responses={
            202: WebhookDeliverySerializer,
            **internal_problems(
                {
                    404: [
                        errors.ErrorCode.WEBHOOK_NOT_FOUND,
                        errors.ErrorCode.DELIVERY_NOT_FOUND,
                    ]
                },
                HOLDER,
            ),
        },
    )
    def post(
        self,
        request: Request,
        webhook_id: str,
        delivery_id: str,
        **kwargs: Any,
    ) -> Response:
        """Makes the delivery due now, whatever became of it: 202."""
        del request
        endpoint = selectors.webhook_get(
            webhook_id=webhook_id, **_account(kwargs)
        )
        delivery = selectors.delivery_get(
            endpoint=endpoint, delivery_id=delivery_id
        )
        services.delivery_resend(delivery=delivery)
        return Response(
            wire.webhook_delivery_data(
                selectors.delivery_get(
                    endpoint=endpoint, delivery_id=delivery_id
                )
            ),
            status=HTTPStatus.ACCEPTED,
        )


def _routes_of(owner: str) -> dict[str, type[APIView]]:
    """The views of one kind of account, with its own operation ids.

    The same views serve holders and partners; each kind's routes get
    views of their own so that every operation has one id.
    """
    operations = {
        "list": (WebhookListApi, {"get": "list", "post": "create"}),
        "detail": (WebhookDetailApi, {"get": "get", "delete": "delete"}),
        "secret": (WebhookSecretApi, {"post": "rotate_secret"}),
        "deliveries": (WebhookDeliveryListApi, {"get": "deliveries_list"}),
        "resend": (WebhookResendApi, {"post": "delivery_resend"}),
    }
    return {
        name: extend_schema_view(
            **{
                method: extend_schema(operation_id=f"{owner}_webhooks_{op}")
                for method, op in methods.items()
            }
        )(type(f"{owner.title()}{view.__name__}", (view,), {}))
        for name, (view, methods) in operations.items()
    }


HOLDER_VIEWS = _routes_of("holder")
PARTNER_VIEWS = _routes_of("partner")
