-- Retention deletes the messages older than `--max-age` (by `received_at`) a batch at
-- a time: this index finds them without scanning the table, however large it is.
CREATE INDEX messages_by_received_at ON messages (received_at);
