-- Forwarding captured messages to real providers. A forward is queued here before
-- anything is sent, so a restart neither loses it nor sends it twice; each try at
-- the provider is one forward_attempts row (the audit trail). A forward copies the
-- message's text and channel: clearing the inbox keeps the record of what was sent.
CREATE TABLE forwards (
    id                  INTEGER PRIMARY KEY,
    message_id          TEXT    NOT NULL,
    tenant              TEXT    NOT NULL,
    channel             TEXT    NOT NULL,             -- sms | voice, as captured
    text                TEXT    NOT NULL,
    via                 TEXT    NOT NULL,             -- twilio | sns | vonage | webhook
    destination         TEXT    NOT NULL,             -- E.164
    rule_id             INTEGER,                      -- the auto-forward rule, if one queued it
    state               TEXT    NOT NULL,             -- queued | sending | sent | failed | interrupted
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_at             INTEGER NOT NULL,             -- Unix ms (wall clock): not before
    created_at          INTEGER NOT NULL,             -- Unix ms (wall clock)
    provider_message_id TEXT,
    last_error          TEXT
) STRICT;
CREATE INDEX forwards_due ON forwards (state, next_at);
CREATE INDEX forwards_by_message ON forwards (message_id);

CREATE TABLE forward_attempts (
    forward_id          INTEGER NOT NULL REFERENCES forwards (id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL,
    at                  INTEGER NOT NULL,             -- Unix ms (wall clock)
    outcome             TEXT    NOT NULL,             -- accepted | retrying | failed | refused | interrupted
    http_status         INTEGER,
    provider_message_id TEXT,
    error               TEXT,
    latency_ms          INTEGER NOT NULL,
    request             TEXT,                         -- JSON: the request as sent, secrets masked
    PRIMARY KEY (forward_id, attempt)
) STRICT;

-- Auto-forward: a captured message whose recipient matches `pattern` (an E.164
-- number, or a prefix ending in '*') is queued to `via`, to `to_number` if set.
-- The capture writer queues it in the capture's own transaction.
CREATE TABLE forward_rules (
    id         INTEGER PRIMARY KEY,
    pattern    TEXT    NOT NULL,
    via        TEXT    NOT NULL,
    to_number  TEXT,
    enabled    INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
) STRICT;
