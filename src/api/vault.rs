use serde::{Deserialize, Serialize};

use super::Page;

pub const STATUS_INITIALIZING: &str = "INITIALIZING";
pub const STATUS_CREATED: &str = "CREATED";
pub const STATUS_ERROR: &str = "ERROR";
/// A `DeleteVault` in progress (finished after a crash by the next start).
pub const STATUS_DELETING: &str = "DELETING";

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
    /// Bytes the vault's location prefix holds (measured by listing it after each commit,
    /// prune and failed job).
    pub storage_size: i64,
    /// Product: the part of `StorageSize` the vault's index and snapshots reference; the rest
    /// is packs of failed or killed backups that the next prune removes (after its grace period).
    pub storage_size_referenced: i64,
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
    /// WORM: no snapshot leaves before its `ExpireTime`; never turned off.
    pub worm_enabled: bool,
    /// On a mirror: its own retention in days (0 = each copy keeps its source retention).
    pub retention: i64,
    /// On a mirror: 1 when its own retention keeps the newest copy of each plan/client.
    pub keep_latest_snapshots: i64,
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

// Requests.

crate::param_group! {
    /// How a new vault's data is encrypted (`CreateVault`, `CreateBackupClient`): an empty
    /// `encrypt_type` is HBR_PRIVATE; KMS needs `kms_key_id`.
    pub struct Encryption {
        encrypt_type: String = "EncryptType" text,
        kms_key_id: Option<String> = "KmsKeyId" optional,
    }
}

crate::param_group! {
    /// The source a mirror replicates from (`CreateReplicationVault`, `CreateVaultReplication`).
    pub struct MirrorSource {
        replication_source_vault_id: String = "ReplicationSourceVaultId" required,
        /// When given, must be the source's region.
        replication_source_region_id: Option<String> = "ReplicationSourceRegionId" optional,
        /// When given, must be the source's encryption type.
        encrypt_type: Option<String> = "EncryptType" optional,
    }
}

crate::action! {
    pub struct CreateVaultRequest: "CreateVault" -> CreateVaultResponse {
        vault_name: String = "VaultName" bounded_required(1, crate::api::VAULT_NAME_MAX),
        description: String = "Description" bounded_text(0, crate::api::DESCRIPTION_MAX),
        vault_region_id: String = "VaultRegionId" required,
        /// Empty or STANDARD.
        vault_type: String = "VaultType" text,
        /// An empty replication-type vault, to become a mirror with `CreateVaultReplication`.
        replication: bool = "Replication" flag_or(false),
        encryption: Encryption = "encryption" group,
        /// WORM from the start: no snapshot leaves before its `ExpireTime`; never turned off.
        worm_enabled: Option<bool> = "WormEnabled" flag,
    }
}

crate::action! {
    pub struct DescribeVaultsRequest: "DescribeVaults" -> DescribeVaultsResponse {
        paging: crate::api::Paging = "paging" group,
        vault_id: Option<String> = "VaultId" optional,
        vault_region_id: Option<String> = "VaultRegionId" optional,
        vault_type: Option<String> = "VaultType" optional,
        status: Option<String> = "Status" optional,
        vault_name: Option<String> = "VaultName" optional,
        replication: Option<bool> = "Replication" flag,
    }
}

crate::action! {
    pub struct UpdateVaultRequest: "UpdateVault" -> serde_json::Value {
        vault_id: String = "VaultId" required,
        vault_name: Option<String> = "VaultName" bounded(1, crate::api::VAULT_NAME_MAX),
        description: Option<String> = "Description" bounded(0, crate::api::DESCRIPTION_MAX),
        /// Bytes/s, 0 = no limit; on a source it applies to its mirror.
        replication_rate_limit: Option<i64> = "ReplicationRateLimit" int,
        /// `true` turns WORM on (irreversibly); `false` on a WORM vault is 409
        /// `WormCannotBeDisabled`.
        worm_enabled: Option<bool> = "WormEnabled" flag,
        /// Mirrors only: their own retention in days, applied to the copies they hold and to
        /// future copies (overrides the copies' source retention).
        retention: Option<i64> = "Retention" int_range(1, 36_500),
        /// Mirrors only: their own retention keeps the newest copy of each plan/client.
        keep_latest_snapshots: Option<bool> = "KeepLatestSnapshots" flag,
    }
}

crate::action! {
    pub struct DeleteVaultRequest: "DeleteVault" -> serde_json::Value {
        vault_id: String = "VaultId" required,
    }
}

crate::action! {
    /// Creates a mirror vault of a source in another region, in one step.
    pub struct CreateReplicationVaultRequest: "CreateReplicationVault" -> CreateReplicationVaultResponse {
        vault_name: String = "VaultName" bounded_required(1, crate::api::VAULT_NAME_MAX),
        description: String = "Description" bounded_text(0, crate::api::DESCRIPTION_MAX),
        vault_region_id: String = "VaultRegionId" required,
        source: MirrorSource = "source" group,
        /// Empty or `LRS` (one copy in the region's location); `ZRS` is refused (400), as
        /// zone-redundant storage is not offered.
        redundancy_type: Option<String> = "RedundancyType" optional,
    }
}

crate::action! {
    /// The two-step form: an empty replication-type vault becomes the source's mirror.
    pub struct CreateVaultReplicationRequest: "CreateVaultReplication" -> TaskIdResponse {
        replication_target_vault_id: String = "ReplicationTargetVaultId" required,
        source: MirrorSource = "source" group,
    }
}

crate::action! {
    pub struct DeleteVaultReplicationRequest: "DeleteVaultReplication" -> TaskIdResponse {
        replication_source_vault_id: String = "ReplicationSourceVaultId" required,
        replication_target_vault_id: String = "ReplicationTargetVaultId" required,
    }
}
