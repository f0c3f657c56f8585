"""Webhooks in the service: events written with the money, delivered.

To a real receiver (``receivers``), down, then up.
"""

import decimal
import json

import pytest

from accounting import errors, models, services, tasks
from accounting.services import webhooks as hooks
from accounting.tests import factories
from accounting.webhooks import schedule, signing

# At import: setting Celery up sets Django's logging up again.
from config.celery import app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers(settings):
    """The receiver is on 127.0.0.1, over plain HTTP: allowed here only."""
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_REQUIRE_HTTPS = False


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Records the tasks queued instead of sending them."""
    queued = []
    monkeypatch.setattr(
        app, "send_task", lambda name, args: queued.append((name, args))
    )
    return queued


def subscribe(holder, receiver, events=()):
    return services.endpoint_create(
        holder=holder, url=receiver.url, events=list(events)
    )


def delivered_bodies(receiver, count):
    return [json.loads(r.body) for r in receiver.wait(count)]


def test_a_credit_is_told_to_its_holders_endpoint_signed(
    holder, receiver, django_capture_on_commit_callbacks, no_broker
):
    endpoint = subscribe(holder, receiver)
    with django_capture_on_commit_callbacks(execute=True):
        services.credit_apply(holder_id=holder.pk, amount=12_50, currency="USD")

    assert no_broker == [("accounting.webhooks_send", [])]
    assert services.deliveries_send() == 1
    [request] = receiver.wait(1)
    body = json.loads(request.body)
    credit = models.Transaction.objects.get(holder=holder)
    assert body["type"] == "transaction.created"
    assert body["account"] == {"user_id": str(holder.pk)}
    assert body["sequence"] == 1
    assert body["data"]["transaction"]["id"] == str(credit.pk)
    assert body["data"]["transaction"]["amount"] == "12.50"
    assert [
        (split["account_kind"], split["amount"])
        for split in body["data"]["transaction"]["splits"]
    ] == [("main", "12.50")]
    assert request.headers["Webhook-Id"] == body["id"]
    stamp = int(request.headers["Webhook-Timestamp"])
    assert signing.signature_verify(
        header=request.headers["Webhook-Signature"],
        body=request.body,
        secret=endpoint.secret,
        now=stamp,
    )
    delivery = models.WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "delivered",
        1,
        200,
    )
    assert models.WebhookAttempt.objects.get().status_code == 200


def test_a_holder_without_webhooks_writes_no_event(holder):
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")

    assert not models.WebhookEvent.objects.exists()


def test_every_kind_of_movement_is_told_to_whom_it_moved(
    funded_holder, receiver
):
    recipient = factories.HolderFactory()
    subscribe(funded_holder, receiver)
    subscribe(recipient, receiver)
    main = recipient.accounts.get(kind="main", currency="USD")

    services.transfer_apply(
        holder_id=funded_holder.pk, to_account=main.pk, amount=1_00,
        currency="USD",
    )  # fmt: skip
    services.withdrawal_apply(
        holder_id=funded_holder.pk, amount=50, currency="USD"
    )

    told = {
        (e.holder_id, e.data["transaction"]["kind"], e.sequence)
        for e in models.WebhookEvent.objects.all()
    }
    assert told == {
        (funded_holder.pk, "transfer_out", 1),
        (recipient.pk, "transfer_in", 1),
        (funded_holder.pk, "withdrawal", 2),
    }


def test_an_endpoint_gets_only_the_events_it_wants(holder, receiver):
    subscribe(holder, receiver, events=["import.completed"])

    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")

    assert models.WebhookEvent.objects.count() == 1
    assert not models.WebhookDelivery.objects.exists()


def test_a_receiver_down_then_up_gets_every_event_once_in_order(
    holder, receiver, clock
):
    subscribe(holder, receiver)
    for amount in (1_00, 2_00, 3_00):
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        )
    receiver.stop()

    assert services.deliveries_send() == 3
    failed = models.WebhookDelivery.objects.order_by("created_at", "id")
    assert {(d.status, d.attempts, d.last_error) for d in failed} == {
        ("pending", 1, "connection_refused")
    }
    assert services.deliveries_send() == 0  # not due yet
    # An hour later, the receiver back: each retried delivery arrives.
    clock.advance(hours=1)
    receiver.start()
    assert services.deliveries_send() == 3
    bodies = delivered_bodies(receiver, 3)
    assert [
        b["sequence"] for b in sorted(bodies, key=lambda b: b["sequence"])
    ] == [1, 2, 3]
    assert len({b["id"] for b in bodies}) == 3
    assert set(
        models.WebhookDelivery.objects.values_list("status", flat=True)
    ) == {"delivered"}
    assert models.WebhookAttempt.objects.count() == 6


def test_a_delivery_is_given_up_after_the_window(holder, receiver, clock):
    subscribe(holder, receiver)
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    receiver.answer(status=500)
    services.deliveries_send()
    clock.advance(seconds=schedule.DELIVERY_WINDOW.total_seconds() + 1)

    services.deliveries_send()

    delivery = models.WebhookDelivery.objects.get()
    assert (
        delivery.status,
        delivery.last_status_code,
        delivery.last_error,
    ) == (
        "failed",
        500,
        "http_5xx",
    )
    resent = services.delivery_resend(delivery=delivery)
    assert resent.status == "pending"
    # Resent, it has the whole window again: a failure is retried.
    assert services.deliveries_send() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 3)
    clock.advance(hours=1)
    receiver.answer(status=204)
    assert services.deliveries_send() == 1
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.attempts == 4


def test_a_rotated_secret_signs_with_both_for_a_day(holder, receiver, clock):
    endpoint = subscribe(holder, receiver)
    old = endpoint.secret
    rotated = services.endpoint_rotate(endpoint=endpoint)
    assert rotated.secret != old
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    services.deliveries_send()
    [request] = receiver.wait(1)
    stamp = int(request.headers["Webhook-Timestamp"])
    for secret in (old, rotated.secret):
        assert signing.signature_verify(
            header=request.headers["Webhook-Signature"],
            body=request.body,
            secret=secret,
            now=stamp,
        )
    clock.advance(hours=25)
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    services.deliveries_send()
    later = receiver.wait(2)[1]
    assert not signing.signature_verify(
        header=later.headers["Webhook-Signature"],
        body=later.body,
        secret=old,
        now=int(later.headers["Webhook-Timestamp"]),
    )


def test_a_removed_endpoint_gets_nothing_more(holder, receiver):
    endpoint = subscribe(holder, receiver)
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")

    services.endpoint_remove(endpoint=endpoint)
    services.endpoint_remove(endpoint=endpoint)

    holder.refresh_from_db()
    assert holder.webhooks_in_use == 0
    assert endpoint.is_removed
    assert models.WebhookDelivery.objects.get().last_error == "endpoint_removed"
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    assert models.WebhookEvent.objects.count() == 1
    assert services.deliveries_send() == 0


@pytest.mark.parametrize(
    ("url", "events", "error"),
    [
        ("http://127.0.0.1:1/x", [], None),
        ("https://example.invalid/x", [], errors.WebhookUrlInvalidError),
        ("ftp://example.com/x", [], errors.WebhookUrlInvalidError),
        ("http://127.0.0.1:1/x", ["money.moved"], errors.WebhookInvalidError),
    ],
)
def test_endpoints_are_checked(holder, url, events, error):
    if error is None:
        endpoint = services.endpoint_create(
            holder=holder, url=url, events=events
        )
        assert endpoint.secret.startswith("whsec_")
        return
    with pytest.raises(error):
        services.endpoint_create(holder=holder, url=url, events=events)
    assert not models.WebhookEndpoint.objects.exists()


def test_private_addresses_are_refused_unless_allowed(holder, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(errors.WebhookUrlInvalidError):
        services.endpoint_create(
            holder=holder, url="http://127.0.0.1:8002/internal/v1/", events=[]
        )


def test_an_account_has_a_few_endpoints_at_most(holder, receiver):
    for _ in range(hooks.MAX_ENDPOINTS):
        subscribe(holder, receiver)

    with pytest.raises(errors.WebhookInvalidError, match="at most 10"):
        subscribe(holder, receiver)
    holder.refresh_from_db()
    assert holder.webhooks_in_use == hooks.MAX_ENDPOINTS


def test_imports_and_group_contributions_are_told(receiver):
    ana = saver("ana@example.com")
    ben = saver("ben@example.com")
    subscribe(ben, receiver, events=["group.contribution"])
    subscribe(ana, receiver, events=["import.completed"])
    group = services.group_create(
        holder=ana, name="Summer", target_amount=12_000, currency="USD"
    )
    services.member_add(
        holder_id=ana.pk, group_id=group.id, email="ben@example.com"
    )

    services.contribution_apply(
        holder_id=ana.pk, group_id=group.id, amount=2_00, currency="USD"
    )
    job, _ = services.import_create(
        holder_id=ana.pk,
        pieces=[b"date,amount\n2026-11-02,1.00\n"],
        currency="USD",
    )
    services.import_run(import_id=job.id)

    contributions = models.WebhookEvent.objects.filter(
        type="group.contribution"
    )
    # Both members with webhooks are told; only Ben's endpoint wants it.
    assert {e.holder_id for e in contributions} == {ana.pk, ben.pk}
    contribution = contributions.get(holder=ben)
    told = models.WebhookEvent.objects.get(
        type="transaction.created",
        holder=ana,
        data__transaction__kind="group_contribution",
    )
    assert told.data["transaction"]["group"] == {
        "id": str(group.id),
        "name": "Summer",
    }
    assert contribution.data["group"] == {"id": str(group.id), "name": "Summer"}
    assert contribution.data["contribution"]["amount"] == "2.00"
    assert contribution.data["contribution"]["member"] == str(ana.pk)
    imported = models.WebhookEvent.objects.get(type="import.completed")
    assert imported.holder_id == ana.pk
    assert imported.data["import"]["status"] == "completed"
    assert imported.data["import"]["rows"]["applied"] == 1
    sent = {
        (d.endpoint.holder_id, d.event.type)
        for d in models.WebhookDelivery.objects.select_related(
            "endpoint", "event"
        )
    }
    assert sent == {
        (ben.pk, "group.contribution"),
        (ana.pk, "import.completed"),
    }


def test_a_partners_batch_is_told_when_it_completes(receiver):
    partner = models.Partner.objects.create(name="Acme Payroll")
    key, _ = services.key_issue(partner=partner, name="k", scopes=[])
    endpoint = services.endpoint_create(
        partner=partner, url=receiver.url, events=["batch.completed"]
    )
    holder = factories.HolderFactory()
    subscribe(holder, receiver)
    batch, _ = services.credit_batch_create(
        key=key,
        items=[services.BatchItemInput(str(holder.pk), 1_00, "USD", "P-1")],
        idempotency_key="k",
    )

    services.credit_batch_run(batch_id=batch.id)
    services.deliveries_send()

    bodies = {b["type"]: b for b in delivered_bodies(receiver, 2)}
    assert bodies["batch.completed"]["account"] == {
        "partner_id": str(partner.pk)
    }
    assert bodies["batch.completed"]["data"]["batch"]["items"]["applied"] == 1
    assert bodies["transaction.created"]["account"] == {
        "user_id": str(holder.pk)
    }
    with pytest.raises(errors.WebhookInvalidError):
        services.endpoint_create(
            partner=partner, url=receiver.url, events=["transaction.created"]
        )
    assert endpoint.partner_id == partner.pk


def saver(email):
    holder = factories.HolderFactory(email=email)
    services.plan_assign(
        holder=holder,
        plan=factories.PlanFactory(percentage=decimal.Decimal("50")),
    )
    services.credit_apply(holder_id=holder.pk, amount=10_000, currency="USD")
    return holder


def test_a_run_sends_at_most_its_share_and_a_claimed_one_waits(
    holder, receiver, clock
):
    subscribe(holder, receiver)
    for amount in (1_00, 2_00, 3_00):
        services.credit_apply(
            holder_id=holder.pk, amount=amount, currency="USD"
        )

    assert services.deliveries_send(limit=2) == 2
    assert services.deliveries_send(limit=2) == 1
    assert len(receiver.wait(3)) == 3


def test_a_delivery_whose_worker_died_is_sent_after_its_lease(
    holder, receiver, clock
):
    subscribe(holder, receiver)
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    delivery = models.WebhookDelivery.objects.get()
    # A worker claimed it, then died before it could post.
    models.WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=clock.now + hooks.LEASE
    )

    assert services.deliveries_send() == 0
    clock.advance(seconds=hooks.LEASE.total_seconds())
    assert services.deliveries_send() == 1
    assert receiver.wait(1)


def test_the_task_sends_what_is_due(holder, receiver):
    subscribe(holder, receiver)
    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")

    assert tasks.webhooks_send.apply().get() == 1
    assert app.tasks["accounting.webhooks_send"].name == (
        "accounting.webhooks_send"
    )


@pytest.mark.django_db(transaction=True)
def test_a_pipelined_movement_writes_its_event_and_queues_after_commit(
    receiver, no_broker, monkeypatch
):
    """Outside any transaction, as a request runs it: pipelined.

    BEGIN and COMMIT go in the movement's pipeline, which Django does not
    see; the task must still be queued after the COMMIT, not before.
    """
    holder = factories.HolderFactory()
    subscribe(holder, receiver)
    seen_at_queue = []

    def queued(name, args):
        # Another connection sees the event once the task is queued.
        from django.db import connections  # noqa: PLC0415

        other = connections.create_connection("default")
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM accounting_webhookevent")
                seen_at_queue.append(cursor.fetchone()[0])
        finally:
            other.close()
        no_broker.append((name, args))

    monkeypatch.setattr(app, "send_task", queued)

    services.credit_apply(holder_id=holder.pk, amount=1_00, currency="USD")
    services.withdrawal_apply(holder_id=holder.pk, amount=50, currency="USD")

    assert seen_at_queue == [1, 2]
    assert no_broker == [("accounting.webhooks_send", [])] * 2
    assert models.WebhookDelivery.objects.count() == 2
    assert services.deliveries_send() == 2
    bodies = sorted(delivered_bodies(receiver, 2), key=lambda b: b["sequence"])
    assert [b["data"]["transaction"]["kind"] for b in bodies] == [
        "credit",
        "withdrawal",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_movement_refused_tells_nothing(receiver, no_broker):
    holder = factories.HolderFactory()
    subscribe(holder, receiver)

    with pytest.raises(errors.InsufficientFundsError):
        services.withdrawal_apply(
            holder_id=holder.pk, amount=50, currency="USD"
        )

    assert not models.WebhookEvent.objects.exists()
    assert no_broker == []
