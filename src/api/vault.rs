use serde::{Deserialize, Serialize};

use super::Page;

pub const STATUS_INITIALIZING: &str = "INITIALIZING";
pub const STATUS_CREATED: &str = "CREATED";
pub const STATUS_ERROR: &str = "ERROR";

pub const ENCRYPT_HBR_PRIVATE: &str = "HBR_PRIVATE";
pub const ENCRYPT_KMS: &str = "KMS";

/// `ReplicationStatus` of a vault that has a mirror (or is one).
pub const REPL_WAITING_HISTORICAL: &str = "WAITING_HISTORICAL";
pub const REPL_SYNCING: &str = "SYNCING";
pub const REPL_IN_SYNC: &str = "IN_SYNC";
pub const REPL_PAUSED: &str = "PAUSED";
pub const REPL_ERROR: &str = "ERROR";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationProgress {
    /// 0-100 by bytes of the historical sync.
    pub historical_replication_progress: i64,
    /// UNIX time of the latest real-time sync.
    pub new_replication_progress: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Vault {
    pub vault_id: String,
    pub vault_name: String,
    pub description: String,
    pub vault_region_id: String,
    pub vault_type: String,
    pub status: String,
    /// Why the vault is in `ERROR` (empty otherwise).
    pub vault_status_message: String,
    pub storage_size: i64,
    pub bytes_done: i64,
    pub snapshot_count: i64,
    pub created_time: i64,
    pub updated_time: i64,
    pub encrypt_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kms_key_id: String,
    /// True on a mirror vault.
    pub replication: bool,
    /// True on a vault that has a mirror.
    pub replication_source_vault: bool,
    pub replication_source_vault_id: String,
    pub replication_source_region_id: String,
    pub replication_target_vault_id: String,
    pub replication_target_region_id: String,
    pub latest_replication_time: i64,
    pub replication_progress: ReplicationProgress,
    // ---- product additions (documented in the README) ----
    /// Name of the source vault, on a mirror ("Mirror of <source>").
    pub replication_source_vault_name: String,
    /// When the historical sync starts (UNIX seconds), for a countdown.
    pub historical_replication_start_time: i64,
    pub replication_bytes_pending: i64,
    pub replication_lag_seconds: i64,
    /// Estimated seconds until the mirror is in sync (0 when in sync or unknown).
    pub replication_eta: i64,
    /// WAITING_HISTORICAL, SYNCING, IN_SYNC, PAUSED, ERROR (empty without replication).
    pub replication_status: String,
    pub replication_status_message: String,
    /// Bandwidth cap of the mirror's replication in bytes/s (0 = none).
    pub replication_rate_limit: i64,
    /// Names of the backup clients attached to the vault, sorted.
    pub backup_client_names: Vec<String>,
    /// UNIX time of the newest snapshot (0 = none).
    pub latest_backup_time: i64,
    /// True while the vault's region is unavailable.
    pub region_outage: bool,
}

impl Vault {
    pub fn is_mirror(&self) -> bool {
        self.replication
    }
    pub fn has_mirror(&self) -> bool {
        !self.replication_target_vault_id.is_empty()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vaults {
    #[serde(default)]
    pub vault: Vec<Vault>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVaultsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub vaults: Vaults,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateVaultResponse {
    pub vault_id: String,
    #[serde(default)]
    pub task_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateReplicationVaultResponse {
    pub vault_id: String,
    pub task_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskIdResponse {
    #[serde(default)]
    pub task_id: String,
}
