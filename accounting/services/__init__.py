"""Every write of the accounting service, one function per use case.

Services are plain functions over the models, called alike from the
internal API, the Celery task, the admin and management commands. Each runs
in one database transaction; rules are small named guards (``check_...``,
in :mod:`.guards`) that raise the domain errors of ``accounting.errors``.

- :mod:`.holders`: user events.
- :mod:`.accounts`: wallets, opened and closed.
- :mod:`.freezes`: staff freezes of a wallet or a holder, and their lifts.
- :mod:`.plans`: the savings plans staff offer, and a holder's choice.
- :mod:`.movements`: credits, withdrawals, transfers, savings releases and
  conversions, written through :mod:`.journal` (locks, entries,
  idempotency keys).
- :mod:`.rates`: FX rates.
- :mod:`.reversals`: staff's corrections, new headers mirroring a
  movement.
- :mod:`.groups`: savings groups, their members (joining, leaving) and
  contributions.
- :mod:`.goals`: savings goals; :mod:`.categories`: suggested categories.
- :mod:`.imports`: bank statements (CSV) applied as dated credits and
  withdrawals by a worker.
- :mod:`.partners`: partners' API keys; :mod:`.batches`: their credit
  batches, applied by a worker.
- :mod:`.staff_requests`: four eyes on what staff move above a limit.
- :mod:`.ledger_checks`: runs of ``verify_ledger``'s checks by the
  worker, one at a time, with their progress.
- :mod:`.webhooks`: endpoints, the events written with the money, and
  their deliveries.

Every money movement, and setting a goal or starting a group over the API,
applies once per Idempotency-Key (:func:`.journal.idempotent`).

Callers use the names re-exported here (``services.credit_apply``, ...).
"""

from accounting.services.accounts import account_close, account_open
from accounting.services.batches import (
    BatchItemInput,
    credit_batch_create,
    credit_batch_run,
    credit_batches_stalled,
)
from accounting.services.categories import category_save, category_validate
from accounting.services.freezes import (
    freeze_create,
    freeze_lift,
    freeze_validate,
)
from accounting.services.goals import (
    goal_create,
    goal_delete,
    goal_set,
    goal_update,
)
from accounting.services.groups import (
    contribution_apply,
    group_create,
    group_start,
    member_add,
    member_leave,
)
from accounting.services.guards import (
    check_amount_above_flat_amount,
    check_distinct_currencies,
    check_effective_at,
    check_funds,
    check_holder_open,
    check_plan_active,
)
from accounting.services.holders import (
    EventOutcome,
    UserEvent,
    holder_apply_user_event,
)
from accounting.services.imports import (
    import_create,
    import_run,
    imports_stalled,
)
from accounting.services.journal import KeyedResult
from accounting.services.ledger_checks import (
    ledger_check_request,
    ledger_check_run,
)
from accounting.services.movements import (
    conversion_apply,
    converted_amount,
    credit_apply,
    credit_plan,
    credit_savings,
    savings_held,
    savings_release_apply,
    transfer_apply,
    withdrawal_apply,
)
from accounting.services.partners import (
    key_authenticate,
    key_issue,
    key_revoke,
)
from accounting.services.plans import (
    plan_assign,
    plan_save,
    plan_set_active,
    plan_validate,
)
from accounting.services.rates import (
    rate_at,
    rate_create,
    rate_use,
    rate_validate,
)
from accounting.services.reversals import (
    ReversalResult,
    reversal_reason_check,
    transaction_reverse,
)
from accounting.services.staff_requests import (
    Staff,
    closure_submit,
    four_eyes_needed,
    four_eyes_submit,
    freeze_submit,
    reversal_submit,
    staff_request_approve,
    staff_request_create,
    staff_request_reject,
)
from accounting.services.webhooks import (
    deliveries_send,
    delivery_resend,
    endpoint_create,
    endpoint_remove,
    endpoint_rotate,
)

__all__ = [
    "BatchItemInput",
    "EventOutcome",
    "KeyedResult",
    "ReversalResult",
    "Staff",
    "UserEvent",
    "account_close",
    "account_open",
    "category_save",
    "category_validate",
    "check_amount_above_flat_amount",
    "check_distinct_currencies",
    "check_effective_at",
    "check_funds",
    "check_holder_open",
    "check_plan_active",
    "closure_submit",
    "contribution_apply",
    "conversion_apply",
    "converted_amount",
    "credit_apply",
    "credit_batch_create",
    "credit_batch_run",
    "credit_batches_stalled",
    "credit_plan",
    "credit_savings",
    "deliveries_send",
    "delivery_resend",
    "endpoint_create",
    "endpoint_remove",
    "endpoint_rotate",
    "four_eyes_needed",
    "four_eyes_submit",
    "freeze_create",
    "freeze_lift",
    "freeze_submit",
    "freeze_validate",
    "goal_create",
    "goal_delete",
    "goal_set",
    "goal_update",
    "group_create",
    "group_start",
    "holder_apply_user_event",
    "import_create",
    "import_run",
    "imports_stalled",
    "key_authenticate",
    "key_issue",
    "key_revoke",
    "ledger_check_request",
    "ledger_check_run",
    "member_add",
    "member_leave",
    "plan_assign",
    "plan_save",
    "plan_set_active",
    "plan_validate",
    "rate_at",
    "rate_create",
    "rate_use",
    "rate_validate",
    "reversal_reason_check",
    "reversal_submit",
    "savings_held",
    "savings_release_apply",
    "staff_request_approve",
    "staff_request_create",
    "staff_request_reject",
    "transaction_reverse",
    "transfer_apply",
    "withdrawal_apply",
]
