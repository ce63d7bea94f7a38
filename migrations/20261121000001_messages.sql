-- Every captured message, with the request it arrived in.
CREATE TABLE messages (
    id                  TEXT    NOT NULL PRIMARY KEY, -- ULID, so ids sort by arrival
    tenant              TEXT    NOT NULL,
    received_at         INTEGER NOT NULL,             -- Unix milliseconds, UTC
    channel             TEXT    NOT NULL CHECK (channel IN ('sms', 'voice')),
    source              TEXT    NOT NULL,
    recipient           TEXT    NOT NULL,             -- E.164
    sender              TEXT,
    text                TEXT    NOT NULL,
    code                TEXT,
    action              TEXT,
    purpose             TEXT,
    locale              TEXT,
    user_id             TEXT,
    client_id           TEXT,
    status              TEXT    NOT NULL,
    encoding            TEXT    NOT NULL CHECK (encoding IN ('gsm7', 'ucs2')),
    segments            INTEGER NOT NULL,
    provider_message_id TEXT,
    content_type        TEXT,
    headers             TEXT    NOT NULL,             -- JSON [[name, value]...], secrets redacted
    raw_body            BLOB    NOT NULL
) STRICT;

CREATE INDEX messages_by_recipient ON messages (recipient, id);
