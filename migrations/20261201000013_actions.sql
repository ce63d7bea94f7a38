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
-- its header, or what the tenant delivered), for the flow timeline: read from the
-- attributes the link already writes, so the capture path is unchanged.
ALTER TABLE messages ADD COLUMN transaction_id TEXT
    GENERATED ALWAYS AS (json_extract(attributes, '$.transaction_id')) VIRTUAL;
CREATE INDEX messages_by_transaction ON messages (transaction_id) WHERE transaction_id IS NOT NULL;
