//! SQL Server wire types (the service's "SQL Server in ECS" action names and fields).
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Page;

pub const ENGINE_TDS: &str = "TDS";
pub const ENGINE_DEMO: &str = "DEMO";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Instance {
    pub cluster_id: String,
    pub vault_id: String,
    pub region_id: String,
    pub server_name: String,
    pub instance_name: String,
    /// TDS or DEMO.
    pub engine: String,
    /// "SQL Server (TDS)" or "Demo engine": show it wherever the instance shows.
    pub engine_label: String,
    pub sql_login: String,
    pub use_windows_auth: bool,
    /// ONLINE, UNREACHABLE (precheck failed at registration or last check).
    pub status: String,
    pub status_message: String,
    /// True when the instance's backup vault is a mirror (restore target only).
    pub vault_is_mirror: bool,
    pub created_time: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instances {
    #[serde(default)]
    pub instance: Vec<Instance>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeInstancesResponse {
    #[serde(flatten)]
    pub page: Page,
    pub instances: Instances,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateInstanceResponse {
    pub cluster_id: String,
    pub status: String,
    pub precheck: Precheck,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct PrecheckItem {
    pub name: String,
    pub passed: bool,
    pub message: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Precheck {
    pub passed: bool,
    pub version: String,
    pub engine_label: String,
    pub checks: Vec<PrecheckItem>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrecheckResponse {
    #[serde(flatten)]
    pub precheck: Precheck,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Database {
    pub database_name: String,
    pub size_bytes: i64,
    pub status: String,
    /// Restore candidates: the newest backup point of the database in the vault.
    pub latest_backup_time: i64,
    pub snapshot_count: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Databases {
    #[serde(default)]
    pub database: Vec<Database>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeDatabasesResponse {
    #[serde(flatten)]
    pub page: Page,
    pub databases: Databases,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Verification {
    pub integrity_ok: bool,
    pub integrity_message: String,
    pub row_counts_match: bool,
    pub expected_row_counts: BTreeMap<String, u64>,
    pub actual_row_counts: BTreeMap<String, u64>,
}

/// The disaster-recovery drill report of one restore (JSON shape documented in the README).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct DrillReport {
    pub restore_id: String,
    pub source_vault_id: String,
    pub source_region_id: String,
    pub restore_vault_id: String,
    pub restore_region_id: String,
    pub restored_from_mirror: bool,
    pub source_cluster_id: String,
    pub source_database_name: String,
    pub target_cluster_id: String,
    pub target_server_name: String,
    pub target_engine_label: String,
    pub target_database_name: String,
    pub snapshot_id: String,
    /// When the restored backup point was taken (UNIX seconds).
    pub backup_point_time: i64,
    pub drill_start_time: i64,
    pub drill_end_time: i64,
    /// Age of the restored point when the drill started.
    pub rpo_seconds: i64,
    /// Replication lag of the mirror when the drill started.
    pub mirror_lag_seconds_at_start: i64,
    /// Drill start → verified database.
    pub rto_seconds: i64,
    pub bytes_moved: i64,
    pub verification: Verification,
    pub errors: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Restore {
    pub restore_id: String,
    pub vault_id: String,
    pub snapshot_id: String,
    pub source_cluster_id: String,
    pub source_database_name: String,
    pub cluster_id: String,
    pub target_database_name: String,
    pub replace_database: bool,
    pub status: String,
    pub percentage: i64,
    pub bytes_total: i64,
    pub bytes_done: i64,
    pub error_message: String,
    pub created_time: i64,
    pub start_time: i64,
    pub complete_time: i64,
    pub verification: Option<Verification>,
    pub report: Option<DrillReport>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Restores {
    #[serde(default)]
    pub restore: Vec<Restore>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRestoresResponse {
    #[serde(flatten)]
    pub page: Page,
    pub restores: Restores,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRestoreResponse {
    pub restore_id: String,
}
