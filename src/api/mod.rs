//! Wire types of the HBR 2017-09-08 RPC dialect, shared by the backend and the client.
//! serde only: no HTTP, GUI or storage types here.

pub mod backup;
pub mod client;
pub mod error;
pub mod region;
pub mod replication;
pub mod sqlserver;
pub mod task;
pub mod vault;

use serde::{Deserialize, Serialize};

/// The API version every request names (`Version` or `x-acs-version`).
pub const API_VERSION: &str = "2017-09-08";

/// Mirror vault names: the backend's limit. The console limits them further to 32.
pub const VAULT_NAME_MAX: usize = 64;
/// The console's limit for a mirror vault name (the seed's figure).
pub const MIRROR_NAME_UI_MAX: usize = 32;
pub const DESCRIPTION_MAX: usize = 255;

/// Fields every response carries.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    pub request_id: String,
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Paging fields of every list response.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct Page {
    pub total_count: i64,
    pub page_number: i64,
    pub page_size: i64,
}

/// Every action this backend answers, in the order of the README's API section.
pub const ACTIONS: &[&str] = &[
    "DescribeRegions",
    "CreateVault",
    "DescribeVaults",
    "UpdateVault",
    "DeleteVault",
    "CreateReplicationVault",
    "DescribeVaultReplicationRegions",
    "CreateVaultReplication",
    "DeleteVaultReplication",
    "DescribeTask",
    "CreateBackupClient",
    "DescribeBackupClients",
    "DeleteBackupClient",
    "CreateBackupJob",
    "DescribeBackupJobs2",
    "CancelBackupJob",
    "DescribeSnapshots",
    "CreateRestoreJob",
    "DescribeRestoreJobs2",
    "CreateVerifyJob",
    "DescribeVerifyJobs",
    "DescribeReplicationHistory",
    "SyncReplicationVaultNow",
    "RepairVaultFromMirror",
    "SetRegionOutage",
    "DescribeSettings",
    "CreateSqlServerInstance",
    "DescribeSqlServerInstances",
    "DeleteSqlServerInstance",
    "PrecheckSqlServerInstance",
    "DescribeSqlServerDatabases",
    "CreateSqlServerBackupJob",
    "DescribeSqlServerSnapshots",
    "GetSqlServersToRestore",
    "GetSqlServerDatabasesToRestore",
    "CreateSqlServerRestore",
    "DescribeSqlServerRestores",
    "CancelSqlServerRestore",
];
