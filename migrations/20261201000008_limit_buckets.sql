-- Auth0's per-user limits are token buckets (sends: 10, one back an hour; wrong codes:
-- 10, one back every six minutes). Each is one row: its theoretical arrival time
-- (GCRA), the moment the bucket would be full again. No row: full.
CREATE TABLE limit_buckets (
    tenant  TEXT    NOT NULL,
    user_id TEXT    NOT NULL,
    bucket  TEXT    NOT NULL,             -- sends | failed_codes
    tat     INTEGER NOT NULL,             -- Unix ms
    PRIMARY KEY (tenant, user_id, bucket)
) STRICT;

-- The run-of-wrong-codes lockout is gone with it: users.failed_codes and
-- users.last_failed_at stay (migrations only add) but nothing reads them.
