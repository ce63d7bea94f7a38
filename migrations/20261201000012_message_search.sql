-- Finding messages fast at a million rows (issue 15): full-text search, a summary
-- row per phone, and the indexes the inbox's filters walk.

-- Full-text search over a message's text, code and recipient, by trigrams: a
-- query finds what it is part of, case-insensitively, as the LIKE search before it
-- did (a word as it is typed, a code, any part of a number), from an index.
-- External content: the index keeps no copy of the text (it lives in messages),
-- the delete trigger hands the old values back, and 'rebuild' fills it from
-- messages. A deleted row's trigrams stay in older index segments, masked by a
-- delete marker, until FTS5 merges them away; FTS5's 'secure-delete' would take
-- them out at once but costs some 0.6 ms a deleted row (ten minutes to clear a
-- million), so it is left off. Keyed by messages' rowid (messages has no INTEGER
-- PRIMARY KEY): were a VACUUM ever to renumber rows (SQLite's own copy keeps
-- them), 'rebuild' refills it.
CREATE VIRTUAL TABLE message_search USING fts5 (
    text,
    code,
    recipient,
    content = 'messages',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);

-- Filled off the capture path: the capture writer only inserts the message, and
-- the indexer (src/capture/search_index.rs) adds what is new in large batches,
-- which costs FTS5 a fraction of what one small segment per commit did. Every
-- message with a rowid up to `indexed_through` is in the index; a search reads the
-- index below the mark and the few newer rows by LIKE, so it misses nothing.
CREATE TABLE message_search_progress (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_through INTEGER NOT NULL
) STRICT;

-- Only a row the index holds is taken out of it ('delete' of values the index
-- never had would damage it).
CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN old.rowid <= (SELECT indexed_through FROM message_search_progress) BEGIN
    INSERT INTO message_search (message_search, rowid, text, code, recipient)
    VALUES ('delete', old.rowid, old.text, old.code, old.recipient);
    -- SQLite gives a new row the largest rowid + 1: were the mark's own row the
    -- largest, a new row could reuse its rowid, unindexed, at the mark.
    UPDATE message_search_progress
    SET indexed_through = COALESCE((SELECT MAX(rowid) FROM messages WHERE rowid < old.rowid), 0)
    WHERE indexed_through = old.rowid;
END;

CREATE TRIGGER message_search_update AFTER UPDATE OF text, code, recipient ON messages
WHEN old.rowid <= (SELECT indexed_through FROM message_search_progress) BEGIN
    INSERT INTO message_search (message_search, rowid, text, code, recipient)
    VALUES ('delete', old.rowid, old.text, old.code, old.recipient);
    INSERT INTO message_search (rowid, text, code, recipient)
    VALUES (new.rowid, new.text, new.code, new.recipient);
END;

-- Existing messages, read from the content table.
INSERT INTO message_search (message_search) VALUES ('rebuild');
INSERT INTO message_search_progress (id, indexed_through)
SELECT 1, COALESCE(MAX(rowid), 0) FROM messages;

-- One row per phone that received something, kept by triggers in the same
-- statement as the message it counts: the phone list (most recently active first)
-- and the unread counts read this, not a GROUP BY over every message.
CREATE TABLE phones (
    recipient TEXT    NOT NULL PRIMARY KEY, -- E.164
    count     INTEGER NOT NULL,             -- its messages
    unread    INTEGER NOT NULL,             -- those newer than phone_reads.last_read_id
    last_id   TEXT    NOT NULL              -- its newest message
) STRICT;

CREATE INDEX phones_by_last_id ON phones (last_id);

CREATE TRIGGER phones_insert AFTER INSERT ON messages BEGIN
    INSERT INTO phones (recipient, count, unread, last_id) VALUES (
        new.recipient, 1,
        new.id > COALESCE((SELECT last_read_id FROM phone_reads WHERE recipient = new.recipient), ''),
        new.id
    )
    ON CONFLICT (recipient) DO UPDATE SET
        count = count + 1,
        unread = unread + excluded.unread,
        last_id = MAX(last_id, excluded.last_id);
END;

-- After the row is gone, so a phone's newest is found among what is left.
CREATE TRIGGER phones_delete AFTER DELETE ON messages BEGIN
    UPDATE phones SET
        count = count - 1,
        unread = unread - (old.id > COALESCE(
            (SELECT last_read_id FROM phone_reads WHERE recipient = old.recipient), '')),
        last_id = CASE WHEN last_id = old.id
            THEN COALESCE((SELECT MAX(id) FROM messages WHERE recipient = old.recipient), '')
            ELSE last_id END
    WHERE recipient = old.recipient;
    DELETE FROM phones WHERE recipient = old.recipient AND count <= 0;
END;

-- Nothing updates these columns today; if something does, the counts stay right.
CREATE TRIGGER phones_update AFTER UPDATE OF id, recipient ON messages BEGIN
    UPDATE phones SET
        count = count - 1,
        unread = unread - (old.id > COALESCE(
            (SELECT last_read_id FROM phone_reads WHERE recipient = old.recipient), '')),
        last_id = COALESCE((SELECT MAX(id) FROM messages WHERE recipient = old.recipient), '')
    WHERE recipient = old.recipient;
    DELETE FROM phones WHERE recipient = old.recipient AND count <= 0;
    INSERT INTO phones (recipient, count, unread, last_id) VALUES (
        new.recipient, 1,
        new.id > COALESCE((SELECT last_read_id FROM phone_reads WHERE recipient = new.recipient), ''),
        new.id
    )
    ON CONFLICT (recipient) DO UPDATE SET
        count = count + 1,
        unread = unread + excluded.unread,
        last_id = MAX(last_id, excluded.last_id);
END;

-- Marking a phone read recounts its unread: one range of messages_by_recipient.
CREATE TRIGGER phones_read_insert AFTER INSERT ON phone_reads BEGIN
    UPDATE phones SET unread = (
        SELECT COUNT(*) FROM messages WHERE recipient = new.recipient AND id > new.last_read_id)
    WHERE recipient = new.recipient;
END;

CREATE TRIGGER phones_read_update AFTER UPDATE OF last_read_id ON phone_reads BEGIN
    UPDATE phones SET unread = (
        SELECT COUNT(*) FROM messages WHERE recipient = new.recipient AND id > new.last_read_id)
    WHERE recipient = new.recipient;
END;

CREATE TRIGGER phones_read_delete AFTER DELETE ON phone_reads BEGIN
    UPDATE phones SET unread = count WHERE recipient = old.recipient;
END;

INSERT INTO phones (recipient, count, unread, last_id)
SELECT m.recipient, COUNT(*), SUM(m.id > COALESCE(r.last_read_id, '')), MAX(m.id)
FROM messages m LEFT JOIN phone_reads r ON r.recipient = m.recipient
GROUP BY m.recipient;

-- The inbox's filters, each walked newest first with no sort.
CREATE INDEX messages_by_tenant ON messages (tenant, id);
CREATE INDEX messages_by_source ON messages (source, id);
