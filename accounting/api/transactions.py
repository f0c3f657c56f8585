"""A holder's transaction history and single transactions."""

import uuid

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounting import errors, models, selectors
from accounting.api.openapi import (
    HOLDER,
)
from accounting.api.outputs import (
    TransactionSerializer,
)
from config import bounds, fields
from config.openapi import (
    internal_problems,
)
from config.problems import Code
from config.serializers import StrictInputSerializer


class TransactionListApi(APIView):
    """GET /holders/{user_id}/transactions: keyset-paginated history."""

    @extend_schema_serializer(component_name="TransactionQuery")
    class InputSerializer(StrictInputSerializer):
        """Filters (range, kind, currency) and paging (limit, cursor, order)."""

        to = fields.InstantField(required=False, end_of_day=True)
        kind = serializers.ChoiceField(
            choices=models.Transaction.Kind.choices, required=False
        )
        currency = fields.CurrencyField(required=False)
        limit = serializers.IntegerField(
            min_value=1,
            max_value=bounds.MAX_PAGE_SIZE,
            default=bounds.DEFAULT_PAGE_SIZE,
        )
        cursor = serializers.CharField(required=False)
        order = serializers.ChoiceField(choices=["desc", "asc"], default="desc")

        def get_fields(self) -> dict[str, serializers.Field]:
            """Adds ``from``, a Python keyword, as a field name."""
            return {
                "from": fields.InstantField(required=False),
                **super().get_fields(),
            }

    @extend_schema_serializer(component_name="TransactionPage")
    class OutputSerializer(serializers.Serializer):
        """One page of transactions and the cursor of the next."""

        results = TransactionSerializer(many=True)
        next_cursor = serializers.CharField(allow_null=True)

    @extend_schema(
        operation_id="holder_transactions_list",
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            **internal_problems(
                {
                    400: [
                        Code.INVALID_DATETIME,
                        Code.INVALID_RANGE,
                        Code.INVALID_CURSOR,
                        Code.VALIDATION_ERROR,
                    ]
                },
                HOLDER,
            ),
        },
    )
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        """Returns one page of transactions and the next cursor."""
        serializer = self.InputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        query = serializer.validated_data
        holder = selectors.holder_get(user_id=user_id)
        page = selectors.transactions_page(
            holder=holder,
            date_from=query.get("from"),
            date_to=query.get("to"),
            kind=query.get("kind"),
            currency=query.get("currency"),
            limit=query["limit"],
            cursor=query.get("cursor"),
            order=query["order"],
        )
        return Response(
            {
                "results": [
                    selectors.transaction_data(t) for t in page.results
                ],
                "next_cursor": page.next_cursor,
            }
        )


class TransactionDetailApi(APIView):
    """GET /holders/{user_id}/transactions/{id}: one transaction."""

    @extend_schema(
        operation_id="holder_transactions_get",
        responses={
            200: TransactionSerializer,
            **internal_problems(
                {404: [errors.ErrorCode.TRANSACTION_NOT_FOUND]}, HOLDER
            ),
        },
    )
    def get(
        self, request: Request, user_id: uuid.UUID, transaction_id: str
    ) -> Response:
        """Returns the transaction if it is the holder's."""
        del request
        holder = selectors.holder_get(user_id=user_id)
        found = selectors.transaction_get(
            holder=holder, transaction_id=transaction_id
        )
        return Response(selectors.transaction_data(found))
