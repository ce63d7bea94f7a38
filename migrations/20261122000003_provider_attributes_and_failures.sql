-- Provider-specific request details (SNS message attributes and region, Vonage type...)
-- and, for a send that failed (a provider error injected by chaos), the error given.
ALTER TABLE messages ADD COLUMN attributes TEXT;    -- JSON object, or NULL
ALTER TABLE messages ADD COLUMN error_code TEXT;    -- the provider's own code, e.g. 21611
ALTER TABLE messages ADD COLUMN error_message TEXT;
