-- The accounting service's credit, statement for statement, under pgbench.
--
-- One credit of 1.00 USD with an Idempotency-Key to a holder on a 10% plan,
-- as accounting.services.movements.credit_apply sends it through
-- accounting.services.journal (the idempotent decorator, accounts_lock,
-- journal_write, _key_store), with the same three waits: BEGIN, the
-- advisory lock on (holder, key) and the key lookup sent together; the
-- account lock query; then the transaction, its entries, the balances,
-- the idempotency key and COMMIT sent together (pgbench's pipelines, the
-- service's psycopg pipeline mode). The database's triggers (append-only,
-- zero sum at commit) fire as in the service. bench/run.py prints how many
-- statements the service sent for one credit in the same run, so a change
-- on either side shows.
--
-- Needs a database made by bench/service_db.py (holders 1..:holders, ids
-- made from the holder's number as that script's HOLDER_ID_SQL, MAIN_ID_SQL
-- and SAVINGS_ID_SQL make them) and these pgbench variables, which
-- bench/run.py passes with -D: holders, world (the USD world account),
-- plan_snapshot, request_hash, response_body (from one real credit).
--
-- Where pgbench cannot do what the Python between the statements does,
-- the database does it, within the same statements (no wait added):
-- - pgbench draws numbers, not UUIDs: each statement builds the holder's
--   and accounts' ids from the number drawn, and the transaction's id from
--   two more (Python's uuid4 in the service);
-- - pgbench keeps one row of a result, the lock query returns two: it is
--   wrapped in one that reads the new balances and sequences from the two
--   locked rows, with the instant stamped after the locks (as header_new
--   does), so that the writes carry constants, as the service's do.
-- The idempotency key is a random number (a new key each time).
--
-- To follow a change of the service's SQL: run `make bench` (or bench/run.py)
-- and compare this file with $VAR_DIR/bench/service_credit_captured.sql.

\set n random(1, :holders)
\set lock_id random(-4000000000000000000, 4000000000000000000)
\set key random(1, 9000000000000000000)
\set t1 random(1, 4000000000000000000)
\set t2 random(1, 4000000000000000000)
\startpipeline
BEGIN;
SELECT pg_try_advisory_xact_lock(:lock_id);
SELECT "request_hash", "response_body"
    FROM "accounting_idempotencykey"
    WHERE "holder_id" = ('00000000-0000-4000-8000-'
            || lpad(:n::text, 12, '0'))::uuid
        AND "key" = :key::text;
\endpipeline
SELECT clock_timestamp() AS at,
        max("balance") FILTER (WHERE "kind" = 'main') + 90 AS main_balance,
        max("last_sequence") FILTER (WHERE "kind" = 'main') + 1
            AS main_sequence,
        max("balance") FILTER (WHERE "kind" = 'savings') + 10
            AS savings_balance,
        max("last_sequence") FILTER (WHERE "kind" = 'savings') + 1
            AS savings_sequence
    FROM (SELECT a."id", a."holder_id", a."kind", a."currency",
            a."balance", a."last_sequence", a."closed_at",
            a."debits_frozen_until", a."credits_frozen_until", h."closed_at",
            h."webhooks_in_use", p."id", p."name", p."kind", p."currency", p."percentage",
            p."flat_amount", p."description", p."savings_hold_days"
        FROM "accounting_account" a
        JOIN "accounting_holder" h ON h."user_id" = a."holder_id"
        LEFT JOIN "accounting_plan" p ON p."id" = h."plan_id"
        WHERE (a."holder_id" = ('00000000-0000-4000-8000-'
                || lpad(:n::text, 12, '0'))::uuid
            AND a."currency" IN ('USD'))
        ORDER BY a."id"
        FOR UPDATE OF "a") AS locked ("id", "holder_id", "kind", "currency",
            "balance", "last_sequence", "closed_at", "debits_frozen_until",
            "credits_frozen_until", "holder_closed_at",
            "webhooks_in_use", "plan_id", "plan_name", "plan_kind", "plan_currency",
            "percentage", "flat_amount", "description", "savings_hold_days") \gset
\startpipeline
INSERT INTO "accounting_transaction" ("id", "holder_id", "kind", "amount",
        "currency", "occurred_at", "effective_at", "description", "source",
        "category", "plan_snapshot", "counterparty_account_id", "related_id",
        "to_amount", "to_currency", "rate_id", "fx_rate", "created_at")
    VALUES ((lpad(to_hex(:t1::bigint), 16, '0')
            || lpad(to_hex(:t2::bigint), 16, '0'))::uuid,
        ('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid,
        'credit', 100, 'USD', :at::timestamptz, :at::timestamptz, '', '',
        NULL, :plan_snapshot, NULL, NULL, NULL, '', NULL, NULL,
        :at::timestamptz);
INSERT INTO "accounting_entry" ("transaction_id", "holder_id", "currency",
        "occurred_at", "account_id", "amount", "sequence", "balance_after")
    SELECT (lpad(to_hex(:t1::bigint), 16, '0')
            || lpad(to_hex(:t2::bigint), 16, '0'))::uuid,
        ('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid,
        'USD', :at::timestamptz, account, amount, sequence, balance
    FROM (VALUES (:world::uuid, -100, NULL::bigint, NULL::bigint),
        (('00000000-0000-4000-8001-' || lpad(:n::text, 12, '0'))::uuid, 90,
            :main_sequence::bigint, :main_balance::bigint),
        (('00000000-0000-4000-8002-' || lpad(:n::text, 12, '0'))::uuid, 10,
            :savings_sequence::bigint, :savings_balance::bigint))
        AS e (account, amount, sequence, balance);
UPDATE "accounting_account"
    SET "balance" = CASE "kind" WHEN 'main' THEN :main_balance::bigint
            ELSE :savings_balance::bigint END,
        "last_sequence" = CASE "kind" WHEN 'main' THEN :main_sequence::bigint
            ELSE :savings_sequence::bigint END
    WHERE "id" IN (
        ('00000000-0000-4000-8001-' || lpad(:n::text, 12, '0'))::uuid,
        ('00000000-0000-4000-8002-' || lpad(:n::text, 12, '0'))::uuid);
INSERT INTO "accounting_idempotencykey" ("holder_id", "key", "request_hash",
        "response_body", "transaction_id", "created_at")
    VALUES (('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid,
        :key::text, :request_hash, :response_body,
        (lpad(to_hex(:t1::bigint), 16, '0')
            || lpad(to_hex(:t2::bigint), 16, '0'))::uuid, :at::timestamptz);
COMMIT;
\endpipeline
