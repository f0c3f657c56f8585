"""What webhooks tell, for every service: event types and URL bounds.

Accounting writes these events and checks an endpoint's choice of them;
the gateway checks the same choice first and documents it. A holder is
told of its movements, imports and groups; a partner of its batches.
"""

TRANSACTION_CREATED = "transaction.created"
IMPORT_COMPLETED = "import.completed"
BATCH_COMPLETED = "batch.completed"
GROUP_CONTRIBUTION = "group.contribution"
EVENT_TYPES = (
    TRANSACTION_CREATED,
    IMPORT_COMPLETED,
    BATCH_COMPLETED,
    GROUP_CONTRIBUTION,
)
# What each kind of account may subscribe to.
HOLDER_EVENT_TYPES = (TRANSACTION_CREATED, IMPORT_COMPLETED, GROUP_CONTRIBUTION)
PARTNER_EVENT_TYPES = (BATCH_COMPLETED,)
# An endpoint's URL, at most (as browsers and proxies keep them).
URL_MAX_LENGTH = 2000
