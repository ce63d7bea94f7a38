-- A client belongs to its tenant: the same client_id may exist in two tenants (a CI
-- suite that makes a tenant per run with one test application). Rebuilt, as SQLite
-- cannot change a primary key in place; every row is kept.
CREATE TABLE clients_per_tenant (
    tenant        TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id     TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    client_secret TEXT    NOT NULL,             -- salt$sha256(salt || secret); older rows are hashed at start
    on_first_use  INTEGER NOT NULL DEFAULT 0,   -- registered by permissive mode: secret unknown
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant, client_id)
) STRICT;

INSERT INTO clients_per_tenant (tenant, client_id, name, client_secret, on_first_use, created_at)
    SELECT tenant, client_id, name, client_secret, on_first_use, created_at FROM clients;

DROP TABLE clients;
ALTER TABLE clients_per_tenant RENAME TO clients;
