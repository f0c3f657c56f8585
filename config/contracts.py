"""Wire contracts between the services: queues, task names, payloads.

The services never import each other; they agree on these names and shapes
only. A change here is a change to a public contract between deployments:
add fields, never repurpose them.

User events (users -> accounting). The users service writes one outbox row
per change of a user, in the same transaction as the change, and publishes
it as the task :data:`USER_EVENT_TASK` on :data:`ACCOUNTING_QUEUE` with one
keyword argument, ``event``::

    {
        "event_id": "5b0c...",            # UUID of the outbox row; dedup key
        "type": "user.created" | "user.updated" | "user.deleted",
        "occurred_at": "2026-11-21T10:00:00.000000Z",
        "user": {
            "id": "9f1e...",              # UUID, the holder id in accounting
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "is_active": true,            # false once deleted
            "version": 3                  # grows by one per change
        }
    }

Accounting applies an event only if ``user.version`` is newer than the one it
holds, and records ``event_id`` so that a redelivery changes nothing.
"""

ACCOUNTING_QUEUE = "accounting"
USERS_QUEUE = "users"

USER_EVENT_TASK = "accounting.apply_user_event"
OUTBOX_SWEEP_TASK = "users.outbox_sweep"

USER_CREATED = "user.created"
USER_UPDATED = "user.updated"
USER_DELETED = "user.deleted"
USER_EVENT_TYPES = (USER_CREATED, USER_UPDATED, USER_DELETED)

# Statement imports (accounting's own work, queued on its queue): apply one
# import (``import_id``, a UUID string; at least once, idempotent), and the
# periodic resumption of imports whose worker went silent (beat sends it).
IMPORT_APPLY_TASK = "accounting.import_apply"
IMPORTS_RESUME_TASK = "accounting.imports_resume"

# Partners' credit batches, alike: apply one batch (``batch_id``), and the
# periodic resumption of batches whose worker went silent.
CREDIT_BATCH_APPLY_TASK = "accounting.credit_batch_apply"
CREDIT_BATCHES_RESUME_TASK = "accounting.credit_batches_resume"

# Webhooks: send the deliveries that are due (no argument; queued when an
# event commits, and by beat for the retries).
WEBHOOKS_SEND_TASK = "accounting.webhooks_send"

# The ledger's daily proof (``verify_ledger``'s checks; beat sends it, no
# argument; the admin's dashboard with the id of the run staff asked for):
# its outcome is a metric, alerted on when a check fails.
LEDGER_VERIFY_TASK = "accounting.ledger_verify"

TASK_ROUTES = {
    USER_EVENT_TASK: {"queue": ACCOUNTING_QUEUE},
    OUTBOX_SWEEP_TASK: {"queue": USERS_QUEUE},
    IMPORT_APPLY_TASK: {"queue": ACCOUNTING_QUEUE},
    IMPORTS_RESUME_TASK: {"queue": ACCOUNTING_QUEUE},
    CREDIT_BATCH_APPLY_TASK: {"queue": ACCOUNTING_QUEUE},
    CREDIT_BATCHES_RESUME_TASK: {"queue": ACCOUNTING_QUEUE},
    WEBHOOKS_SEND_TASK: {"queue": ACCOUNTING_QUEUE},
    LEDGER_VERIFY_TASK: {"queue": ACCOUNTING_QUEUE},
}

# Internal HTTP APIs: prefix of every internal route on users and accounting.
INTERNAL_API_PREFIX = "internal/v1/"
# Who calls them (config.service_auth): the gateway, every operation; the
# users service, accounting's customer summary for its admin.
GATEWAY_CALLER = "gateway"
USERS_CALLER = "users"
