-- Users as Auth0's Management API shows them: an email or a phone number (SMS
-- passwordless users have no email and no password), metadata, blocked, verified
-- flags, logins. SQLite cannot drop NOT NULL from a column, so the table is rebuilt.
CREATE TABLE users_v2 (
    user_id        TEXT    NOT NULL,             -- auth0|<hex> or sms|<hex>, per tenant
    tenant         TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection     TEXT    NOT NULL DEFAULT 'Username-Password-Authentication',
    email          TEXT,
    email_verified INTEGER NOT NULL DEFAULT 0,
    phone_number   TEXT,                         -- E.164
    phone_verified INTEGER NOT NULL DEFAULT 0,
    password_hash  TEXT,                         -- salt$sha256(salt || password), hex
    name           TEXT,
    nickname       TEXT,
    user_metadata  TEXT    NOT NULL DEFAULT '{}', -- JSON object
    app_metadata   TEXT    NOT NULL DEFAULT '{}', -- JSON object
    blocked        INTEGER NOT NULL DEFAULT 0,
    logins_count   INTEGER NOT NULL DEFAULT 0,
    last_login     INTEGER,
    last_ip        TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    -- As in Auth0, an email or phone number is unique within a connection.
    UNIQUE (tenant, connection, email COLLATE NOCASE),
    UNIQUE (tenant, connection, phone_number),
    -- A tenant's ids are its own: a suite that makes a tenant per run may give
    -- its users the same ids in each.
    PRIMARY KEY (tenant, user_id)
) STRICT;
INSERT INTO users_v2 (user_id, tenant, email, password_hash, name, created_at, updated_at)
    SELECT user_id, tenant,
        -- Two spellings of one address (older versions kept the case): the first
        -- keeps it, lower-cased; a later one keeps its user, without the address.
        CASE WHEN user_id = (SELECT MIN(o.user_id) FROM users o
                             WHERE o.tenant = users.tenant AND lower(o.email) = lower(users.email))
             THEN lower(email) END,
        password_hash, name, created_at, created_at
    FROM users;
-- The tables that refer to users move with it, so nothing is dropped from under
-- a foreign key (which would cascade: foreign keys cannot be turned off inside
-- the migration's transaction).
CREATE TABLE mfa_enrollments_v2 (
    id           TEXT    NOT NULL PRIMARY KEY,   -- dev_<hex>
    tenant       TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,
    phone_number TEXT    NOT NULL,               -- E.164
    active       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    confirmed_at INTEGER,
    FOREIGN KEY (tenant, user_id) REFERENCES users_v2 (tenant, user_id) ON DELETE CASCADE
) STRICT;
-- The tenant is the user's, so the new composite reference holds by construction.
INSERT INTO mfa_enrollments_v2 SELECT e.id, u.tenant, e.user_id, e.phone_number, e.active, e.created_at, e.confirmed_at
    FROM mfa_enrollments e JOIN users u ON u.user_id = e.user_id;
CREATE TABLE recovery_codes_v2 (
    tenant     TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    id         TEXT    NOT NULL,                 -- dev_<hex>, as in recovery-code|dev_...
    code_hash  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, user_id),
    FOREIGN KEY (tenant, user_id) REFERENCES users_v2 (tenant, user_id) ON DELETE CASCADE
) STRICT;
INSERT INTO recovery_codes_v2 SELECT u.tenant, r.user_id, r.id, r.code_hash, r.created_at
    FROM recovery_codes r JOIN users u ON u.user_id = r.user_id;
-- Children first: then dropping users cascades to nothing.
DROP TABLE mfa_enrollments;
DROP TABLE recovery_codes;
DROP TABLE users;
-- Renaming rewrites the children's references from users_v2 to users.
ALTER TABLE users_v2 RENAME TO users;
ALTER TABLE mfa_enrollments_v2 RENAME TO mfa_enrollments;
ALTER TABLE recovery_codes_v2 RENAME TO recovery_codes;
CREATE INDEX mfa_enrollments_by_user ON mfa_enrollments (tenant, user_id);
CREATE INDEX users_by_phone ON users (tenant, phone_number);


-- Passwordless SMS: the one code a phone number may sign in with (Auth0: only the
-- latest code is valid), its attempts, and the id a new user will get.
CREATE TABLE passwordless_codes (
    tenant       TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    phone_number TEXT    NOT NULL,
    client_id    TEXT    NOT NULL,
    user_id      TEXT    NOT NULL,               -- the user's, or the id a new user will get
    code         TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant, phone_number)
) STRICT;
