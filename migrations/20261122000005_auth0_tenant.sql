-- The emulated Auth0 tenant: tenants, clients, users, MFA enrollments and
-- transactions, phone sends (what the limits count) and Auth0-format log events.

CREATE TABLE tenants (
    id            TEXT    NOT NULL PRIMARY KEY,
    friendly_name TEXT    NOT NULL,
    settings      TEXT    NOT NULL,             -- JSON: phone factor, provider, templates, limits
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
    client_id     TEXT    NOT NULL PRIMARY KEY,
    tenant        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    client_secret TEXT    NOT NULL,             -- an emulated tenant's secret, not a real provider's
    on_first_use  INTEGER NOT NULL DEFAULT 0,   -- registered by permissive mode: secret unknown
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    user_id        TEXT    NOT NULL PRIMARY KEY, -- auth0|<hex>
    tenant         TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email          TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,             -- salt$sha256(salt || password), hex
    name           TEXT,
    failed_codes   INTEGER NOT NULL DEFAULT 0,   -- wrong codes in a row
    last_failed_at INTEGER,
    created_at     INTEGER NOT NULL,
    UNIQUE (tenant, email)
) STRICT;

-- One phone enrolled by a user: listed as both sms|<id> and voice|<id>.
CREATE TABLE mfa_enrollments (
    id           TEXT    NOT NULL PRIMARY KEY,   -- dev_<hex>
    tenant       TEXT    NOT NULL,
    user_id      TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    phone_number TEXT    NOT NULL,               -- E.164
    active       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER
) STRICT;
CREATE INDEX mfa_enrollments_by_user ON mfa_enrollments (user_id);

CREATE TABLE recovery_codes (
    user_id    TEXT    NOT NULL PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    id         TEXT    NOT NULL,                 -- dev_<hex>, as in recovery-code|dev_...
    code_hash  TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE mfa_tokens (
    token      TEXT    NOT NULL PRIMARY KEY,
    tenant     TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    client_id  TEXT    NOT NULL,
    audience   TEXT,
    scope      TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

-- One code sent (enrollment or challenge): the MFA transaction a message belongs to.
CREATE TABLE mfa_challenges (
    id            TEXT    NOT NULL PRIMARY KEY,  -- ULID, shown on messages and logs
    oob_code      TEXT    NOT NULL UNIQUE,
    tenant        TEXT    NOT NULL,
    user_id       TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    mfa_token     TEXT    NOT NULL,
    enrollment_id TEXT    NOT NULL,
    channel       TEXT    NOT NULL,              -- sms | voice
    purpose       TEXT    NOT NULL,              -- otp_enroll | otp_verify
    code          TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    status        TEXT    NOT NULL,              -- pending | verified | failed | expired
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;

-- Every SMS or voice message the tenant tried to send: what the limits count.
CREATE TABLE phone_sends (
    id        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    tenant    TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    channel   TEXT    NOT NULL,                  -- sms | voice
    provider  TEXT    NOT NULL,                  -- auth0 | twilio | custom
    sent_at   INTEGER NOT NULL,
    delivered INTEGER NOT NULL
) STRICT;
CREATE INDEX phone_sends_by_user ON phone_sends (tenant, user_id, sent_at);
CREATE INDEX phone_sends_by_provider ON phone_sends (tenant, provider);

CREATE TABLE log_events (
    log_id    TEXT    NOT NULL PRIMARY KEY,      -- ULID: sorts by date
    tenant    TEXT    NOT NULL,
    date      INTEGER NOT NULL,                  -- Unix ms on the emulated clock
    type      TEXT    NOT NULL,
    user_id   TEXT,
    client_id TEXT,
    body      TEXT    NOT NULL                   -- the whole Auth0 log object, JSON
) STRICT;
CREATE INDEX log_events_by_date ON log_events (tenant, date);
CREATE INDEX log_events_by_user ON log_events (tenant, user_id, date);
