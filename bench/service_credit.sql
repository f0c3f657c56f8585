-- The accounting service's credit, statement for statement, under pgbench.
--
-- One credit of 1.00 USD with an Idempotency-Key to a holder on a 10% plan,
-- as accounting.services.movements.credit_apply sends it through
-- accounting.services.journal (the idempotent decorator, accounts_lock,
-- journal_write, _key_store): BEGIN, advisory lock on (holder, key), key
-- lookup, the account lock query, insert transaction, insert entries,
-- update balances, insert idempotency key, COMMIT. Nine round trips; the
-- database's triggers (append-only, zero sum at commit) fire as in the
-- service. bench/run.py prints how many statements the service sent for
-- one credit in the same run, so a change on either side shows.
--
-- Needs a database made by bench/service_db.py (holders 1..:holders, ids
-- made from the holder's number as that script's HOLDER_ID_SQL, MAIN_ID_SQL
-- and SAVINGS_ID_SQL make them) and these pgbench variables, which
-- bench/run.py passes with -D: holders, world (the USD world account),
-- plan_snapshot, request_hash, response_body (from one real credit).
--
-- Where pgbench cannot do what the Python between the statements does,
-- the database does it, within the same statements (no round trip added):
-- - pgbench draws numbers, not UUIDs: the first statement also builds the
--   holder's and accounts' ids from the number drawn, and the
--   transaction's id (gen_random_uuid(); Python's uuid4 in the service);
-- - pgbench keeps one row of a result, the lock query returns two: the
--   transaction's insert reads the new balances and sequences back from
--   the rows this transaction has locked (RETURNING), with the instant it
--   stamped (after the locks, as header_new does), so that the entries and
--   the update below carry constants, as the service's do.
-- The idempotency key is a random number (a new key each time).
--
-- To follow a change of the service's SQL: run `make bench` (or bench/run.py)
-- and compare this file with $VAR_DIR/bench/service_credit_captured.sql.

\set n random(1, :holders)
\set lock_id random(-4000000000000000000, 4000000000000000000)
\set key random(1, 9000000000000000000)
BEGIN;
SELECT pg_try_advisory_xact_lock(:lock_id) AS locked,
    ('00000000-0000-4000-8000-' || lpad(:n::text, 12, '0'))::uuid AS holder,
    ('00000000-0000-4000-8001-' || lpad(:n::text, 12, '0'))::uuid AS main,
    ('00000000-0000-4000-8002-' || lpad(:n::text, 12, '0'))::uuid AS savings,
    gen_random_uuid() AS txn \gset
SELECT "request_hash", "response_status", "response_body"
    FROM "accounting_idempotencykey"
    WHERE "holder_id" = :holder AND "key" = :key;
SELECT a."id", a."holder_id", a."kind", a."currency", a."balance",
        a."last_sequence", a."closed_at", h."closed_at",
        p."id", p."name", p."kind", p."currency", p."percentage",
        p."flat_amount", p."description", p."savings_hold_days"
    FROM "accounting_account" a
    JOIN "accounting_holder" h ON h."user_id" = a."holder_id"
    LEFT JOIN "accounting_plan" p ON p."id" = h."plan_id"
    WHERE (a."holder_id" = :holder AND a."currency" IN ('USD'))
    ORDER BY a."id"
    FOR UPDATE OF "a";
INSERT INTO "accounting_transaction" ("id", "holder_id", "kind", "amount",
        "currency", "occurred_at", "description", "source", "category",
        "plan_snapshot", "counterparty_account_id", "related_id",
        "to_amount", "to_currency", "rate_id", "fx_rate", "created_at")
    VALUES (:txn, :holder, 'credit', 100, 'USD', clock_timestamp(), '', '',
        NULL, :plan_snapshot, NULL, NULL, NULL, '', NULL, NULL,
        clock_timestamp())
    RETURNING "occurred_at" AS at,
        (SELECT "balance" + 90 FROM "accounting_account"
            WHERE "id" = :main) AS main_balance,
        (SELECT "last_sequence" + 1 FROM "accounting_account"
            WHERE "id" = :main) AS main_sequence,
        (SELECT "balance" + 10 FROM "accounting_account"
            WHERE "id" = :savings) AS savings_balance,
        (SELECT "last_sequence" + 1 FROM "accounting_account"
            WHERE "id" = :savings) AS savings_sequence \gset
INSERT INTO "accounting_entry" ("transaction_id", "currency",
        "occurred_at", "account_id", "amount", "sequence", "balance_after")
    VALUES (:txn, 'USD', :at, :world, -100, NULL, NULL),
        (:txn, 'USD', :at, :main, 90, :main_sequence::bigint,
            :main_balance::bigint),
        (:txn, 'USD', :at, :savings, 10, :savings_sequence::bigint,
            :savings_balance::bigint);
UPDATE "accounting_account"
    SET "balance" = CASE "id" WHEN :main THEN :main_balance::bigint
            WHEN :savings THEN :savings_balance::bigint END,
        "last_sequence" = CASE "id" WHEN :main THEN :main_sequence::bigint
            WHEN :savings THEN :savings_sequence::bigint END
    WHERE "id" IN (:main, :savings);
INSERT INTO "accounting_idempotencykey" ("holder_id", "key", "request_hash",
        "response_status", "response_body", "transaction_id", "created_at")
    VALUES (:holder, :key, :request_hash, 201, :response_body, :txn,
        clock_timestamp());
COMMIT;
