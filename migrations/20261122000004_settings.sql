-- Small server-wide settings that must survive a restart (the emulated clock's offset).
CREATE TABLE settings (
    key   TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
