-- What the inbox has shown of each phone: messages newer than last_read_id are unread.
CREATE TABLE phone_reads (
    recipient    TEXT NOT NULL PRIMARY KEY,      -- E.164
    last_read_id TEXT NOT NULL                   -- a message ULID
) STRICT;
