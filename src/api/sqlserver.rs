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
    /// The backup client whose agent reaches the instance (empty: the backend reaches it).
    pub client_id: String,
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

// Requests.

crate::action! {
    /// Registers an instance on a vault; its connection fields are also what a precheck before
    /// registering sends (`PrecheckSqlServerInstanceRequest::instance`).
    pub struct CreateSqlServerInstanceRequest: "CreateSqlServerInstance" -> CreateInstanceResponse {
        /// Required to register (checked by the handler: a precheck does not need it).
        vault_id: String = "VaultId" text,
        /// TDS (empty) or DEMO.
        engine: String = "Engine" text,
        /// TDS: host,port or host\instance. DEMO: a name, or an absolute directory inside the data dir.
        server_name: String = "ServerName" bounded_required(1, 255),
        /// A directory shared by SQL Server and the backend under the same path (TDS).
        staging_dir: String = "StagingDir" text,
        sql_login: String = "SqlLogin" bounded_text(0, 128),
        sql_password: String = "SqlPassword" bounded_text(0, 256),
        use_windows_auth: bool = "UseWindowsAuth" flag_or(false),
        trust_server_certificate: bool = "TrustServerCertificate" flag_or(false),
        /// A display name (bounded by the handler, so that a precheck ignores it).
        instance_name: String = "InstanceName" raw_text,
        /// The backup client whose agent (`mirrorvault agent`, on or next to the SQL Server
        /// host) reaches the instance: it prechecks, backs up and restores it there, so no
        /// folder is shared with the backend. `ServerName` and `StagingDir` are then on the
        /// agent's host (a DEMO name lives in the agent's data dir).
        client_id: String = "ClientId" text,
    }
}

crate::action! {
    /// Prechecks a registered instance (`cluster_id`), or connection fields before registering.
    pub struct PrecheckSqlServerInstanceRequest: "PrecheckSqlServerInstance" -> PrecheckResponse {
        cluster_id: Option<String> = "ClusterId" optional,
        /// Read only without `cluster_id`.
        instance: Option<CreateSqlServerInstanceRequest> = "instance" group_unless(Self::cluster_id),
    }
}

crate::action! {
    pub struct DescribeSqlServerInstancesRequest: "DescribeSqlServerInstances" -> DescribeInstancesResponse {
        paging: crate::api::Paging = "paging" group,
        vault_id: Option<String> = "VaultId" optional,
        cluster_id: Option<String> = "ClusterId" optional,
        region_id: Option<String> = "RegionId" optional,
    }
}

crate::action! {
    pub struct DeleteSqlServerInstanceRequest: "DeleteSqlServerInstance" -> serde_json::Value {
        cluster_id: String = "ClusterId" required,
    }
}

crate::action! {
    pub struct DescribeSqlServerDatabasesRequest: "DescribeSqlServerDatabases" -> DescribeDatabasesResponse {
        cluster_id: String = "ClusterId" required,
    }
}

crate::action! {
    pub struct CreateSqlServerBackupJobRequest: "CreateSqlServerBackupJob" -> crate::api::backup::JobIdResponse {
        cluster_id: String = "ClusterId" required,
        /// At least one.
        database_names: Vec<String> = "DatabaseNames" list,
    }
}

crate::action! {
    pub struct DescribeSqlServerSnapshotsRequest: "DescribeSqlServerSnapshots" -> crate::api::backup::DescribeSnapshotsResponse {
        vault_id: String = "VaultId" required,
        cluster_id: Option<String> = "ClusterId" optional,
        database_name: Option<String> = "DatabaseName" optional,
        /// Completion time bounds, Unix seconds.
        start_time: Option<i64> = "StartTime" int,
        end_time: Option<i64> = "EndTime" int,
        paging: crate::api::Paging = "paging" group,
    }
}

crate::action! {
    /// The source instances that have backups in `vault_id`.
    pub struct GetSqlServersToRestoreRequest: "GetSqlServersToRestore" -> DescribeInstancesResponse {
        vault_id: String = "VaultId" required,
    }
}

crate::action! {
    pub struct GetSqlServerDatabasesToRestoreRequest: "GetSqlServerDatabasesToRestore" -> DescribeDatabasesResponse {
        vault_id: String = "VaultId" required,
        cluster_id: String = "ClusterId" required,
    }
}

crate::action! {
    /// Restores a backup point into a registered instance. Empty text fields are absent.
    pub struct CreateSqlServerRestoreRequest: "CreateSqlServerRestore" -> CreateRestoreResponse {
        vault_id: String = "VaultId" required,
        /// The target instance.
        cluster_id: String = "ClusterId" required,
        source_database_name: String = "SourceDatabaseName" text,
        source_cluster_id: String = "SourceClusterId" text,
        /// The backup point; without it, the newest full backup at or before `point_in_time`.
        snapshot_id: String = "SnapshotId" text,
        point_in_time: Option<i64> = "PointInTime" int,
        /// Empty: the source database's name.
        target_database_name: String = "TargetDatabaseName" text,
        replace_database: bool = "ReplaceDatabase" flag_or(false),
        file_destination: String = "FileDestination" text,
    }
}

crate::action! {
    pub struct DescribeSqlServerRestoresRequest: "DescribeSqlServerRestores" -> DescribeRestoresResponse {
        paging: crate::api::Paging = "paging" group,
        restore_id: Option<String> = "RestoreId" optional,
        vault_id: Option<String> = "VaultId" optional,
        cluster_id: Option<String> = "ClusterId" optional,
        status: Option<String> = "Status" optional,
    }
}

crate::action! {
    pub struct CancelSqlServerRestoreRequest: "CancelSqlServerRestore" -> serde_json::Value {
        restore_id: String = "RestoreId" required,
    }
}
