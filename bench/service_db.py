r"""Fills a migrated scratch accounting database for service_credit.sql.

``bench/service_credit.sql`` replays, under pgbench, the statements the
accounting service sends for one credit. It needs holders to credit: this
creates them, in bulk SQL (10,000 through the service layer would take a
minute), with the rows the service layer would write: a holder on the
"Save 10%" plan of the demo data, with its main and savings accounts in
USD. Their ids are made from the holder's number (``HOLDER_ID_SQL`` below,
which the pgbench script repeats), since pgbench draws numbers, not UUIDs.

One more holder is created and credited through the service layer itself
(``credit_apply`` with an Idempotency-Key), for two reasons: it opens the
system accounts as the service does, and its statements are captured, so
the runner can compare them with the pgbench script (and a maintainer can
regenerate the script from them when the service's SQL changes).

Run with the accounting settings on the scratch database (``bench/run.py``
does)::

    DJANGO_SETTINGS_MODULE=config.accounting.settings \
    ACCOUNTING_DATABASE_URL=postgres://postgres@127.0.0.1/bench_svc \
    .venv/bin/python bench/service_db.py 10000 var/bench/service_db.json

It writes a JSON document: the pgbench variables (``-D``) the script
needs, and the captured statements.
"""

import io
import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLAN_NAME = "Save 10%"
AMOUNT = 100  # 1.00 USD in minor units: 0.90 to main, 0.10 to savings.

# Holder number n (1..N) and its accounts, as bench/service_credit.sql
# rebuilds them from the number pgbench draws. Keep the two in step.
HOLDER_ID_SQL = "('00000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid"
MAIN_ID_SQL = "('00000000-0000-4000-8001-' || lpad(n::text, 12, '0'))::uuid"
SAVINGS_ID_SQL = "('00000000-0000-4000-8002-' || lpad(n::text, 12, '0'))::uuid"

_HOLDERS_SQL = f"""
    INSERT INTO accounting_holder
        (user_id, email, first_name, last_name, version, plan_id,
         plan_selected_at, created_at, updated_at)
    SELECT {HOLDER_ID_SQL}, 'bench-' || n || '@example.com', '', '', 1, %s,
        now(), now(), now()
    FROM generate_series(1, %s) AS n
"""  # noqa: S608 (constants only)

_ACCOUNTS_SQL = f"""
    INSERT INTO accounting_account
        (id, holder_id, kind, currency, balance, last_sequence, created_at)
    SELECT {MAIN_ID_SQL}, {HOLDER_ID_SQL}, 'main', 'USD', 0, 0, now()
    FROM generate_series(1, %s) AS n
    UNION ALL
    SELECT {SAVINGS_ID_SQL}, {HOLDER_ID_SQL}, 'savings', 'USD', 0, 0, now()
    FROM generate_series(1, %s) AS n
"""  # noqa: S608 (constants only)


def _captured_credit(plan) -> tuple[list[str], dict, str]:
    """Credits a holder made by the service layer; captures its SQL.

    Returns:
        The statements sent, the response body and the request hash.
    """
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    from accounting import models, services  # noqa: PLC0415
    from config.idempotency import fingerprints  # noqa: PLC0415

    user_id = uuid.uuid4()
    services.holder_apply_user_event(
        event=services.UserEvent(
            event_id=uuid.uuid4(),
            type="user.created",
            user_id=user_id,
            email="bench-service@example.com",
            first_name="",
            last_name="",
            is_active=True,
            version=1,
        )
    )
    services.plan_assign(
        holder=models.Holder.objects.get(pk=user_id), plan=plan
    )
    request_hash = fingerprints.request_hash(
        {"amount": "1.00", "currency": "USD"}
    )
    with CaptureQueriesContext(connection) as captured:
        result = services.credit_apply(
            holder_id=user_id,
            amount=AMOUNT,
            currency="USD",
            idempotency_key=f"bench-{uuid.uuid4()}",
            request_hash=request_hash,
        )
    statements = [query["sql"].strip() for query in captured.captured_queries]
    return statements, result.body, request_hash


def main(holders: int, output: Path) -> None:
    """Creates the holders and writes what the pgbench script needs."""
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE", "config.accounting.settings"
    )
    import django  # noqa: PLC0415

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection, transaction  # noqa: PLC0415

    from accounting import models, wire  # noqa: PLC0415

    call_command("seed_demo", stdout=io.StringIO())
    plan = models.Plan.objects.get(name=PLAN_NAME)
    statements, body, request_hash = _captured_credit(plan)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_HOLDERS_SQL, [plan.id, holders])
        cursor.execute(_ACCOUNTS_SQL, [holders, holders])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounting_holder")
        cursor.execute("VACUUM ANALYZE accounting_account")
    document = {
        "variables": {
            "holders": str(holders),
            "world": str(models.Account.system_id("world", "USD")),
            "plan_snapshot": json.dumps(wire.plan_data(plan)),
            "request_hash": request_hash,
            "response_body": json.dumps(body),
        },
        "captured": statements,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2))
    print(
        f"service_db: {holders} holders on {PLAN_NAME!r}; one credit through "
        f"the service sent {len(statements)} statements"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
