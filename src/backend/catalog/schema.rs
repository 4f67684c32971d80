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
        // Trimming the job history (`[jobs] history_days`) finds old finished jobs by the first;
        // a vault's job list filtered by status (Filters VaultId + Status) counts and pages from
        // the second alone (bench: catalog at scale).
        M::up("CREATE INDEX jobs_complete_time ON jobs(complete_time); CREATE INDEX jobs_kind_vault_status ON jobs(kind, vault_id, status, created_time);"),
        // Backup plans (catalog/plans.rs) and the plan that started a job.
        M::up(
            r#"
CREATE TABLE plans (
    plan_id TEXT PRIMARY KEY,
    plan_name TEXT NOT NULL,
    vault_id TEXT NOT NULL REFERENCES vaults(vault_id) ON DELETE CASCADE,
    -- FILE or SQLSERVER
    source_type TEXT NOT NULL,
    -- the backup client (FILE) or the SQL Server instance (SQLSERVER)
    client_id TEXT NOT NULL,
    -- FILE: the paths; SQLSERVER: the database names (JSON lists)
    paths TEXT NOT NULL DEFAULT '[]',
    excludes TEXT NOT NULL DEFAULT '[]',
    schedule TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    interval_secs INTEGER NOT NULL CHECK (interval_secs > 0),
    retention_days INTEGER,
    keep_latest INTEGER NOT NULL DEFAULT 0,
    retention_rules TEXT NOT NULL DEFAULT '[]',
    speed_limit TEXT NOT NULL DEFAULT '',
    disabled INTEGER NOT NULL DEFAULT 0,
    -- when the scheduler next starts a run (UNIX seconds)
    next_run_time INTEGER NOT NULL DEFAULT 0,
    latest_execute_job_id TEXT NOT NULL DEFAULT '',
    created_time INTEGER NOT NULL,
    updated_time INTEGER NOT NULL
);
CREATE UNIQUE INDEX plans_name ON plans(vault_id, source_type, plan_name);
ALTER TABLE jobs ADD COLUMN plan_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN trigger_mode TEXT NOT NULL DEFAULT '';
CREATE INDEX jobs_plan ON jobs(plan_id, created_time);
"#,
        ),
        // Retention, deletion and WORM (issue 16): a snapshot's retention and expiry (0 = never),
        // its plan; the snapshots removed from a vault (replication never copies them again,
        // prune knows a vault has garbage); a vault's WORM flag and a mirror's own retention
        // (0 days = each copy keeps its source retention; keep latest -1 = as the copy's own).
        M::up(
            r#"
ALTER TABLE snapshots ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN expire_time INTEGER NOT NULL DEFAULT 0;
ALTER TABLE snapshots ADD COLUMN plan_id TEXT NOT NULL DEFAULT '';
ALTER TABLE snapshots ADD COLUMN keep_latest INTEGER NOT NULL DEFAULT 0;
CREATE INDEX snapshots_expiring ON snapshots(expire_time) WHERE expire_time > 0;
CREATE INDEX snapshots_by_time ON snapshots(complete_time, snapshot_id);
CREATE INDEX jobs_snapshot ON jobs(snapshot_id);
CREATE TABLE deleted_snapshots(vault_id TEXT, snapshot_id TEXT, deleted_time INTEGER, reason TEXT, PRIMARY KEY(vault_id, snapshot_id));
ALTER TABLE vaults ADD COLUMN worm_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vaults ADD COLUMN own_retention_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE vaults ADD COLUMN own_keep_latest INTEGER NOT NULL DEFAULT -1;
"#,
        ),
        // Alerts the backend raises and clears (`backend::alerts`): one ACTIVE row per condition.
        M::up(
            r#"
CREATE TABLE alerts (
    alert_id TEXT PRIMARY KEY,
    condition_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    vault_id TEXT NOT NULL DEFAULT '',
    job_id TEXT NOT NULL DEFAULT '',
    client_id TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    raised_time INTEGER NOT NULL,
    resolved_time INTEGER NOT NULL DEFAULT 0,
    acknowledged INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX alerts_one_active ON alerts(condition_key) WHERE status = 'ACTIVE';
CREATE INDEX alerts_status_raised ON alerts(status, raised_time);
"#,
        ),
        // prune: the referenced part of StorageSize; the deleted-snapshots record automatic
        // prune reads (retain owns the table; IF NOT EXISTS so either migration may come first).
        M::up(
            "ALTER TABLE vaults ADD COLUMN storage_size_referenced INTEGER NOT NULL DEFAULT 0; \
             CREATE TABLE IF NOT EXISTS deleted_snapshots (vault_id TEXT NOT NULL, snapshot_id TEXT NOT NULL, deleted_time INTEGER NOT NULL, reason TEXT NOT NULL DEFAULT '', PRIMARY KEY(vault_id, snapshot_id));",
        ),
        // Remote agents (`backend::agents`): what the agent of a client last said of itself, and
        // the client-scoped access keys minted for agents.
        M::up(
            r#"
ALTER TABLE clients ADD COLUMN agent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN agent_hostname TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN agent_version TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN agent_os TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN agent_arch TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN agent_heartbeat INTEGER NOT NULL DEFAULT 0;
CREATE TABLE agent_keys (
    access_key_id TEXT PRIMARY KEY,
    access_key_secret TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_time INTEGER NOT NULL
);
CREATE INDEX agent_keys_client ON agent_keys(client_id);
"#,
        ),
        // SQL Server instances reached through a client's agent (empty: by the backend itself).
        M::up("ALTER TABLE sql_instances ADD COLUMN client_id TEXT NOT NULL DEFAULT '';"),
        // A vault's snapshots in time order, covering what DescribeVaults adds up per vault
        // (count, bytes, latest backup) and DescribeSnapshots' newest-first page: both read this
        // index alone instead of every snapshot row of the vault. And the unfinished jobs, which
        // the start's `fail_interrupted_jobs` finds without reading the whole job history.
        M::up(
            "CREATE INDEX snapshots_vault_time ON snapshots(vault_id, complete_time, snapshot_id, bytes_total); \
             CREATE INDEX jobs_unfinished ON jobs(status) WHERE status IN ('CREATED', 'RUNNING');",
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
