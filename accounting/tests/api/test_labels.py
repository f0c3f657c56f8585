"""Labels over the API: normalised, limited to 100 stored characters."""

import pytest

from accounting import models
from accounting.tests.conftest import ledger_state
from config import labels
from config.testing import FOLDED_LABEL, PADDED_LABEL, assert_problem

pytestmark = pytest.mark.django_db


def post(api_client, holder, path, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api_client.post(
        f"/internal/v1/holders/{holder.pk}/{path}",
        body,
        format="json",
        **headers,
    )


def test_labels_are_answered_and_stored_normalised(api_client, funded_holder):
    credit = post(
        api_client,
        funded_holder,
        "credits",
        {"amount": "1", "source": "  Side   GIG "},
    )
    withdrawal = post(
        api_client,
        funded_holder,
        "withdrawals",
        {"amount": "1", "category": "Eating  Out"},
    )

    assert credit.status_code == withdrawal.status_code == 201
    assert credit.json()["transaction"]["source"] == "side gig"
    assert withdrawal.json()["transaction"]["category"] == "eating out"
    stored = models.Transaction.objects.filter(
        kind__in=["credit", "withdrawal"]
    ).exclude(source="")
    assert [t.source for t in stored] == ["side gig"]
    assert models.Transaction.objects.get(kind="withdrawal").category == (
        "eating out"
    )


@pytest.mark.parametrize(
    ("path", "field"), [("credits", "source"), ("withdrawals", "category")]
)
def test_the_limit_counts_the_normalised_label(
    api_client, funded_holder, path, field
):
    # Longer than 100 as sent (the gateway accepts it too), not as stored.
    assert len(PADDED_LABEL) > 100
    assert len(labels.normalize(PADDED_LABEL)) == 99

    response = post(
        api_client, funded_holder, path, {"amount": "1", field: PADDED_LABEL}
    )

    assert response.status_code == 201, response.content
    assert response.json()["transaction"][field] == " ".join(["abcd"] * 20)


@pytest.mark.parametrize(
    ("path", "field"), [("credits", "source"), ("withdrawals", "category")]
)
@pytest.mark.parametrize(
    "label",
    [
        "x" * 101,
        # 60 characters as sent, 120 once case-folded (the gateway
        # refuses it too).
        FOLDED_LABEL,
    ],
)
def test_too_long_once_normalised_changes_nothing(
    api_client, funded_holder, path, field, label
):
    before = ledger_state()

    response = post(
        api_client, funded_holder, path, {"amount": "1", field: label}
    )

    body = assert_problem(response, 400, "validation_error")
    assert list(body["errors"]) == [field]
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("endpoint", "first", "again"),
    [
        (("credits", "source"), "payroll", " PayRoll "),
        (("withdrawals", "category"), "Food", "food"),
        (("withdrawals", "category"), "   ", None),
    ],
)
def test_spellings_of_one_label_replay_one_request(
    api_client, funded_holder, endpoint, first, again
):
    path, field = endpoint
    original = post(
        api_client, funded_holder, path, {"amount": "1", field: first}, "k"
    )
    before = ledger_state()

    replay = post(
        api_client, funded_holder, path, {"amount": "1", field: again}, "k"
    )

    assert original.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == original.json()
    assert ledger_state() == before
