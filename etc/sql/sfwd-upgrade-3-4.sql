-- sfwd schema upgrade 3 -> 4: one name for one concept, "profile": table
-- sfwd_policy becomes sfwd_profile, its column policy becomes profile. Run
-- it once, as the owner of the tables, before starting the sfwd that
-- expects version 4:
--   psql -v ON_ERROR_STOP=1 -d sfwd -f etc/sql/sfwd-upgrade-3-4.sql

BEGIN;

UPDATE sfwd_version SET version = 4 WHERE version = 3;

ALTER TABLE sfwd_policy RENAME TO sfwd_profile;
ALTER TABLE sfwd_profile RENAME COLUMN policy TO profile;
ALTER INDEX sfwd_policy_pkey RENAME TO sfwd_profile_pkey;

COMMIT;
