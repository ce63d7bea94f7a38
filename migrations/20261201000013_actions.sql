-- The user's own phone Actions and Hooks, run locally (src/actions/).
-- An Action is a file the user configured for a tenant: at most one per trigger,
-- as Auth0 binds one Action to the custom phone provider and one Hook at a time.
-- Secret values live in the secrets store; only their names are here.
CREATE TABLE actions (
    id            TEXT    NOT NULL PRIMARY KEY,
    tenant        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    trigger_id    TEXT    NOT NULL CHECK (trigger_id IN ('send-phone-message', 'custom-phone-provider', 'hook')),
    path          TEXT    NOT NULL,
    secret_names  TEXT    NOT NULL DEFAULT '[]',   -- JSON array of names
    timeout_ms    INTEGER NOT NULL,
    max_memory_mb INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (tenant, trigger_id)
) STRICT;

-- Every run of an Action: the event it got (secrets masked), what it printed, how
-- it ended. Kept when the Action is deleted: they are the flow's history.
CREATE TABLE action_runs (
    id             TEXT    NOT NULL PRIMARY KEY,   -- ULID: sorts by start
    action_id      TEXT    NOT NULL,
    tenant         TEXT    NOT NULL,
    transaction_id TEXT    NOT NULL,
    trigger_id     TEXT    NOT NULL,
    attempt        INTEGER NOT NULL,
    started_at     INTEGER NOT NULL,               -- Unix ms on the emulated clock
    duration_ms    INTEGER NOT NULL,
    outcome        TEXT    NOT NULL,
    reason         TEXT,
    body           TEXT    NOT NULL                -- the whole run as the API shows it, JSON
) STRICT;
CREATE INDEX action_runs_by_transaction ON action_runs (transaction_id, id);
CREATE INDEX action_runs_by_action ON action_runs (action_id, id);

-- api.cache, per Action, across runs.
CREATE TABLE action_cache (
    action_id  TEXT    NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,                   -- Unix ms on the emulated clock
    PRIMARY KEY (action_id, key)
) STRICT;

-- The flow timeline finds a transaction's log events without reading them all.
ALTER TABLE log_events ADD COLUMN transaction_id TEXT;
CREATE INDEX log_events_by_transaction ON log_events (transaction_id) WHERE transaction_id IS NOT NULL;

-- The messages of one transaction (what an Action's SDK call captured, linked by
-- its header, or what the tenant delivered), for the flow timeline and the inbox's
-- transaction filter. A plain column the capture writer fills from the link it
-- already has (a generated column would parse the attributes JSON on every insert);
-- messages stored before this migration get theirs once, here.
ALTER TABLE messages ADD COLUMN transaction_id TEXT;
UPDATE messages SET transaction_id = json_extract(attributes, '$.transaction_id')
    WHERE attributes LIKE '%"transaction_id"%';
-- With the id, the inbox's transaction filter walks it newest first with no sort,
-- as every other filter's index (migration 12); the timeline reads it in order too.
CREATE INDEX messages_by_transaction ON messages (transaction_id, id) WHERE transaction_id IS NOT NULL;

-- A phone's read mark goes with its last message, in the statement that deletes
-- it (the inbox's delete and clear, retention's batches), instead of each caller
-- scanning phone_reads afterwards. The body of migration 12's phones_delete, plus
-- the last statement: the phone's row is gone once its count reached 0.
DROP TRIGGER phones_delete;
CREATE TRIGGER phones_delete AFTER DELETE ON messages BEGIN
    UPDATE phones SET
        count = count - 1,
        unread = unread - (old.id > COALESCE(
            (SELECT last_read_id FROM phone_reads WHERE recipient = old.recipient), '')),
        last_id = CASE WHEN last_id = old.id
            THEN COALESCE((SELECT MAX(id) FROM messages WHERE recipient = old.recipient), '')
            ELSE last_id END
    WHERE recipient = old.recipient;
    DELETE FROM phones WHERE recipient = old.recipient AND count <= 0;
    DELETE FROM phone_reads WHERE recipient = old.recipient
        AND NOT EXISTS (SELECT 1 FROM phones WHERE recipient = old.recipient);
END;

-- Marks of phones already gone (a delete whose separate cleanup never ran).
DELETE FROM phone_reads WHERE NOT EXISTS
    (SELECT 1 FROM phones WHERE phones.recipient = phone_reads.recipient);

-- The flow a passwordless code was sent in, so its grant's log events carry it too.
ALTER TABLE passwordless_codes ADD COLUMN transaction_id TEXT;
