"""users takes the gateway's request id and answers with it."""

from config.testing import assert_takes_request_ids


def test_the_gateways_id_is_answered_made_or_replaced():
    assert_takes_request_ids("/internal/v1/users")
