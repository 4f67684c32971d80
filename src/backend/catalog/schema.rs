use rusqlite_migration::{Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE vaults (
    vault_id TEXT PRIMARY KEY,
    vault_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    region_id TEXT NOT NULL,
    vault_type TEXT NOT NULL DEFAULT 'STANDARD',
    status TEXT NOT NULL,
    status_message TEXT NOT NULL DEFAULT '',
    encrypt_type TEXT NOT NULL,
    kms_key_id TEXT NOT NULL DEFAULT '',
    -- 1 on a replication (mirror) vault: read-only, restorable.
    is_mirror INTEGER NOT NULL DEFAULT 0,
    -- On a mirror: its source. The unique index below is the one-mirror-per-vault rule,
    -- the foreign key the delete-the-mirror-first rule.
    replication_source_vault_id TEXT REFERENCES vaults(vault_id) ON DELETE RESTRICT,
    storage_size INTEGER NOT NULL DEFAULT 0,
    created_time INTEGER NOT NULL,
    updated_time INTEGER NOT NULL,
    -- replication state, on the mirror's row
    mirror_since INTEGER NOT NULL DEFAULT 0,
    -- snapshots catalogued (rowid) up to this sequence are historical for the mirror
    mirror_since_seq INTEGER NOT NULL DEFAULT 0,
    historical_start_time INTEGER NOT NULL DEFAULT 0,
    historical_bytes_total INTEGER NOT NULL DEFAULT 0,
    historical_bytes_done INTEGER NOT NULL DEFAULT 0,
    historical_done INTEGER NOT NULL DEFAULT 0,
    latest_replication_time INTEGER NOT NULL DEFAULT 0,
    new_replication_time INTEGER NOT NULL DEFAULT 0,
    repl_status TEXT NOT NULL DEFAULT '',
    repl_message TEXT NOT NULL DEFAULT '',
    repl_bytes_pending INTEGER NOT NULL DEFAULT 0,
    repl_lag_seconds INTEGER NOT NULL DEFAULT 0,
    rate_limit INTEGER NOT NULL DEFAULT 0,
    CHECK (replication_source_vault_id IS NULL OR replication_source_vault_id <> vault_id)
);
CREATE UNIQUE INDEX one_mirror_per_vault ON vaults(replication_source_vault_id)
    WHERE replication_source_vault_id IS NOT NULL;
CREATE INDEX vaults_region ON vaults(region_id);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    client_name TEXT NOT NULL,
    vault_id TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE RESTRICT,
    client_type TEXT NOT NULL,
    status TEXT NOT NULL,
    created_time INTEGER NOT NULL
);
CREATE INDEX clients_vault ON clients(vault_id);

CREATE TABLE tasks (
    task_id TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    result TEXT NOT NULL DEFAULT '',
    created_time INTEGER NOT NULL,
    updated_time INTEGER NOT NULL,
    completed_time INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE snapshots (
    vault_id TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    snapshot_id TEXT NOT NULL,
    client_id TEXT NOT NULL DEFAULT '',
    source_type TEXT NOT NULL,
    paths TEXT NOT NULL DEFAULT '[]',
    bytes_total INTEGER NOT NULL DEFAULT 0,
    bytes_added INTEGER NOT NULL DEFAULT 0,
    items_total INTEGER NOT NULL DEFAULT 0,
    parent_snapshot_id TEXT NOT NULL DEFAULT '',
    start_time INTEGER NOT NULL,
    complete_time INTEGER NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (vault_id, snapshot_id)
);

CREATE TABLE jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    vault_id TEXT NOT NULL,
    client_id TEXT NOT NULL DEFAULT '',
    source_type TEXT NOT NULL DEFAULT '',
    snapshot_id TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    bytes_total INTEGER NOT NULL DEFAULT 0,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    items_total INTEGER NOT NULL DEFAULT 0,
    items_done INTEGER NOT NULL DEFAULT 0,
    speed INTEGER NOT NULL DEFAULT 0,
    error_message TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '{}',
    created_time INTEGER NOT NULL,
    start_time INTEGER NOT NULL DEFAULT 0,
    complete_time INTEGER NOT NULL DEFAULT 0,
    updated_time INTEGER NOT NULL
);
CREATE INDEX jobs_kind_vault ON jobs(kind, vault_id);

CREATE TABLE replication_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    mirror_vault_id TEXT NOT NULL,
    snapshot_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    lag_seconds REAL NOT NULL
);
CREATE INDEX replication_history_vault ON replication_history(mirror_vault_id, id);
"#,
        ),
        M::up(
            r#"
CREATE TABLE sql_instances (
    cluster_id TEXT PRIMARY KEY,
    vault_id TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE RESTRICT,
    server_name TEXT NOT NULL,
    instance_name TEXT NOT NULL DEFAULT '',
    engine TEXT NOT NULL,
    sql_login TEXT NOT NULL DEFAULT '',
    -- AES-256-GCM under the master key, never the clear password
    sql_password_sealed TEXT NOT NULL DEFAULT '',
    use_windows_auth INTEGER NOT NULL DEFAULT 0,
    trust_server_certificate INTEGER NOT NULL DEFAULT 0,
    staging_dir TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    status_message TEXT NOT NULL DEFAULT '',
    created_time INTEGER NOT NULL
);
CREATE INDEX sql_instances_vault ON sql_instances(vault_id);
"#,
        ),
        // DescribeVaults pages in this order: an index lets a page skip the sort of every vault.
        M::up("CREATE INDEX vaults_page_order ON vaults(created_time, vault_id);"),
        // The job lists filter by kind and client (InstanceId) or time and page by creation time.
        M::up("CREATE INDEX jobs_kind_created ON jobs(kind, created_time, job_id); CREATE INDEX jobs_kind_client ON jobs(kind, client_id, created_time);"),
        // prune: the referenced part of StorageSize; the deleted-snapshots record automatic
        // prune reads (retain owns the table; IF NOT EXISTS so either migration may come first).
        M::up(
            "ALTER TABLE vaults ADD COLUMN storage_size_referenced INTEGER NOT NULL DEFAULT 0; \
             CREATE TABLE IF NOT EXISTS deleted_snapshots (vault_id TEXT NOT NULL, snapshot_id TEXT NOT NULL, deleted_time INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '', PRIMARY KEY(vault_id, snapshot_id));",
        ),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        assert!(super::migrations().validate().is_ok());
    }
}
