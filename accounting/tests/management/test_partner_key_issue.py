"""``manage.py partner_key_issue``: a key printed once, kept as a hash."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounting import models, services

pytestmark = pytest.mark.django_db


def issue(*args):
    out = io.StringIO()
    call_command("partner_key_issue", *args, stdout=out)
    return out.getvalue().strip()


def test_a_key_is_printed_and_authenticates():
    raw_key = issue("Acme Payroll", "--name", "payroll", "--rate-limit", "5/s")

    key = services.key_authenticate(raw_key=raw_key)
    assert (key.partner.name, key.name, key.scopes, key.rate_limit) == (
        "Acme Payroll",
        "payroll",
        ["credits:write"],
        "5/s",
    )
    again = issue(
        "Acme Payroll", "--scope", "webhooks:manage", "--scope",
        "credits:write",
    )  # fmt: skip
    assert again != raw_key
    assert models.Partner.objects.count() == 1
    assert services.key_authenticate(raw_key=again).scopes == [
        "credits:write",
        "webhooks:manage",
    ]


def test_a_rate_that_is_not_one_is_refused():
    with pytest.raises(CommandError, match="Not a rate"):
        issue("Acme Payroll", "--rate-limit", "often")
    assert not models.Partner.objects.exists()
