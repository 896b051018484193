-- Least privilege for the Consent Ledger's runtime database role on PostgreSQL.
--
-- Two roles:
--   * the OWNER role owns the schema and runs the migrations (`flask --app consent init-db`);
--     nothing else connects as it;
--   * the APP role, named consent_app here, is what gunicorn's CONSENT_DATABASE_URL uses.
--     It may append receipts but never change or remove one: no UPDATE, DELETE or TRUNCATE
--     on receipts (the append-only trigger of migration 0002 refuses UPDATE and DELETE
--     even to the owner; TRUNCATE fires no row trigger, so only a missing privilege stops it).
--
-- Create the app role once as an administrator, e.g.
--   CREATE ROLE consent_app LOGIN PASSWORD '...';
-- then run this file as the OWNER role, with the application's schema first on its
-- search_path, after every migration (it is idempotent). tests/faults/test_least_privilege.py
-- runs the whole application as a role with exactly these grants.

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO consent_app', current_schema());
    EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM consent_app', current_schema());
    -- nextval() for the serial primary keys of every table the app inserts into.
    EXECUTE format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO consent_app', current_schema());
END $$;

-- The ledger: append and read, nothing else. receipts and log_tiles are partitioned by hash
-- of site_id (migration 0016): like receipt_contexts' months, their 16 partitions need no
-- grant and get none; the app reaches them through the parent only.
GRANT SELECT, INSERT ON receipts TO consent_app;
-- Personal context beside each receipt: retention purge and erasure delete it (the chain
-- keeps only its salted digest, so it still verifies). On the parent only: receipt_contexts
-- is partitioned by month (migration 0015) and PostgreSQL checks only the parent's privileges
-- for a query through it, so the month partitions need no grant, and none is given (the REVOKE
-- above covers them). The app neither creates nor drops partitions: `consent purge` run as
-- the OWNER role does (an append whose month has none lands in the DEFAULT partition).
GRANT SELECT, INSERT, DELETE ON receipt_contexts TO consent_app;
-- Erasure records and the auditors' access log are append-only too.
GRANT SELECT, INSERT ON erasures, access_log TO consent_app;
-- Merkle tiles: a partial tile grows by slices, folded into one row (DELETE, INSERT) when full.
GRANT SELECT, INSERT, UPDATE, DELETE ON log_tiles TO consent_app;
-- Site scans: a row per scan, moved from queued to running to done or failed in place.
GRANT SELECT, INSERT, UPDATE ON scans TO consent_app;
-- Published policy versions are immutable (migration 0005's trigger as well); so are the
-- banner builds served (migration 0009's).
GRANT SELECT, INSERT ON policy_versions, banner_builds TO consent_app;
-- Sites (settings, draft, state version; SELECT ... FOR UPDATE while publishing),
-- users (password changes) and API tokens (last use, revocation) change in place.
GRANT SELECT, INSERT, UPDATE ON sites, users, api_tokens TO consent_app;
-- The page origins each embed is requested from, counted (a row per site and origin).
GRANT SELECT, INSERT, UPDATE ON embed_origins TO consent_app;
-- An owner can remove a member from a site.
GRANT SELECT, INSERT, UPDATE, DELETE ON memberships TO consent_app;
-- alembic_version: no grant; only the owner role migrates.
