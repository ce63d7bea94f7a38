-- Provider wire APIs (Twilio, SNS, Vonage...): who sent it, and the provider's own id.
ALTER TABLE messages ADD COLUMN provider_account TEXT; -- Twilio AccountSid, AWS access key id, Vonage api_key

CREATE INDEX messages_by_provider_message_id ON messages (provider_message_id)
    WHERE provider_message_id IS NOT NULL;

-- Twilio Verify: one row per verification started; checks update it.
CREATE TABLE twilio_verifications (
    sid          TEXT    NOT NULL PRIMARY KEY, -- VE + 32 hex
    service_sid  TEXT    NOT NULL,
    account_sid  TEXT    NOT NULL,
    recipient    TEXT    NOT NULL,             -- E.164
    channel      TEXT    NOT NULL,             -- sms | call
    code         TEXT    NOT NULL,
    status       TEXT    NOT NULL,             -- pending | approved | canceled | max_attempts_reached | expired
    check_attempts INTEGER NOT NULL DEFAULT 0,
    send_attempts TEXT   NOT NULL,             -- JSON [{attempt_sid, channel, time}]
    message_id   TEXT,                         -- the captured message
    created_at   INTEGER NOT NULL,             -- Unix ms
    updated_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX twilio_verifications_by_recipient ON twilio_verifications (service_sid, recipient, created_at);
