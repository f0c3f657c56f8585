"""The back office: plans, holders' plans, FX rates and wallets.

Its index is a dashboard (:mod:`.dashboard`, on the site of
``accounting/admin_site.py``).

Each module registers one part of the admin; this package only imports
them, so that Django's autodiscovery finds every one.

The admin is one more interface over the services: saving a plan calls
``plan_save``, assigning a plan ``plan_assign``, (de)activating plans
``plan_set_active``, publishing a rate ``rate_create`` and closing wallets
``account_close``. Forms only parse: the services' rules refuse, and a
form shows their errors on its fields. Plans are never
deleted (transactions keep snapshots, holders keep choices), rates are
never edited or deleted (conversions point at the rate they used). The
ledger (accounts, transactions, entries) is read-only here, as everywhere.
Suggested expense categories are saved through ``category_save``; holders'
goals are shown, never edited. Partners' API keys are issued through
``key_issue`` (shown once) and revoked through ``key_revoke``; their
credit batches are shown, never edited. Webhook endpoints are shown and
removed (``endpoint_remove``); their deliveries are shown with every try
and sent again (``delivery_resend``). Wallets and holders are frozen
through ``freeze_create`` and unfrozen through ``freeze_lift``; freezes
are never edited or deleted. The ledger's, holders', accounts' and rates'
lists export what their filters show as CSV, and a holder's page makes
their statement for a period (CSV or PDF); both only read. Every staff
action is in the audit trail (``StaffAction``); what moves more than
``FOUR_EYES_LIMITS`` waits for a second staff member (``StaffRequest``).
A credit, withdrawal, transfer or conversion is reversed through
``transaction_reverse`` (its own permission), never edited.
"""

from accounting.admin import (  # noqa: F401 (imported to register)
    exports,
    freezes,
    groups,
    holders,
    ledger,
    partners,
    personal_finance,
    plans,
    rates,
    reversals,
    staff_actions,
    staff_requests,
    webhooks,
)
