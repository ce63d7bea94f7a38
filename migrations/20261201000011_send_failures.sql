-- Why a send failed, on the send itself, so a wait that ends without a message can
-- say why (Auth0's log type and description), for the number it was sent to.
ALTER TABLE phone_sends ADD COLUMN recipient TEXT;      -- E.164, set when it failed
ALTER TABLE phone_sends ADD COLUMN failure_type TEXT;   -- gd_send_sms_failure, fn...
ALTER TABLE phone_sends ADD COLUMN failure TEXT;        -- the log event's description
CREATE INDEX phone_sends_failures ON phone_sends (recipient, sent_at) WHERE failure IS NOT NULL;
