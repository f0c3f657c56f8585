import uuid

import pytest
from rest_framework import serializers

from config import transfers

RECIPIENT = uuid.uuid4()


@pytest.mark.parametrize(
    ("kind", "to_account"),
    [(transfers.TRANSFER, RECIPIENT), (transfers.SAVINGS_RELEASE, None)],
)
def test_a_transfer_names_its_recipient_a_release_none(kind, to_account):
    transfers.recipient_check(kind, to_account)


def test_a_transfer_without_a_recipient_is_refused():
    with pytest.raises(serializers.ValidationError) as refused:
        transfers.recipient_check(transfers.TRANSFER, None)

    assert refused.value.get_codes() == {"to_account": ["required"]}
    assert refused.value.detail == {
        "to_account": ["A transfer needs the recipient's main account id."]
    }


def test_a_release_with_a_recipient_is_refused():
    with pytest.raises(serializers.ValidationError) as refused:
        transfers.recipient_check(transfers.SAVINGS_RELEASE, RECIPIENT)

    assert refused.value.get_codes() == {"to_account": ["invalid"]}
    assert "takes no `to_account`" in refused.value.detail["to_account"][0]
