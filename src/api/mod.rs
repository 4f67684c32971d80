//! Wire types of the HBR 2017-09-08 RPC dialect, shared by the backend and the client.
//! serde only: no HTTP, GUI or storage types here.
//!
//! Each resource module holds its response types and, at its end, one request struct per action
//! (`CreateVaultRequest` for `CreateVault`, ...), declared with `action!` (see `request`): the
//! struct's fields with their wire names and kinds, written once. From that declaration:
//! - the client serialises a request (`Action::to_params`, then signs and sends it);
//! - the server parses one (`Action::from_params` over its `Params`, which implement
//!   `ParamReader` with the dialect's MissingParameter / InvalidParameter texts) and hands the
//!   typed struct to the handler; the dispatch table matches on the same `Action::NAME`s;
//! - the console's forms hold the request they will send (the SQL wizard's `RegisterForm`).
//!
//! `ACTIONS` lists the `NAME`s; a unit test in `backend::server` checks it against the dispatch
//! table, so an action added to one and not the other fails.

pub mod agent;
pub mod alert;
pub mod backup;
pub mod browse;
pub mod client;
pub mod error;
pub mod plan;
pub mod prune;
pub mod region;
pub mod request;
pub mod replication;
pub mod retention;
pub mod sqlserver;
pub mod task;
pub mod vault;

use serde::{Deserialize, Serialize};

pub use request::{Action, ParamGroup, ParamReader};

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

/// One entry of a list request's `Filters` (`DescribeBackupJobs2`, `DescribeRestoreJobs2`):
/// `Key`, `Operator` (empty = `IN`) and `Values`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Filter {
    pub fn new(key: &str, operator: &str, values: &[&str]) -> Filter {
        Filter { key: key.into(), operator: operator.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }
}

crate::param_group! {
    /// Paging of a list request; absent values take the action's defaults (`resolve`).
    pub struct Paging {
        /// From 1.
        page_number: Option<i64> = "PageNumber" int_range(1, i64::MAX),
        /// 1..=1000.
        page_size: Option<i64> = "PageSize" int_range(1, 1000),
    }
}

impl Paging {
    /// The first page of `page_size` items.
    pub fn size(page_size: i64) -> Paging {
        Paging { page_number: None, page_size: Some(page_size) }
    }

    /// `(page_number, page_size)`, defaults applied (page 1, `default_size`).
    pub fn resolve(&self, default_size: i64) -> (i64, i64) {
        (self.page_number.unwrap_or(1), self.page_size.unwrap_or(default_size))
    }
}

/// Every action this backend answers, in the order of the README's API section.
pub const ACTIONS: &[&str] = &[
    region::DescribeRegionsRequest::NAME,
    vault::CreateVaultRequest::NAME,
    vault::DescribeVaultsRequest::NAME,
    vault::UpdateVaultRequest::NAME,
    vault::DeleteVaultRequest::NAME,
    vault::CreateReplicationVaultRequest::NAME,
    region::DescribeVaultReplicationRegionsRequest::NAME,
    vault::CreateVaultReplicationRequest::NAME,
    vault::DeleteVaultReplicationRequest::NAME,
    task::DescribeTaskRequest::NAME,
    client::CreateBackupClientRequest::NAME,
    client::DescribeBackupClientsRequest::NAME,
    client::DeleteBackupClientRequest::NAME,
    agent::CreateAgentAccessKeyRequest::NAME,
    backup::CreateBackupJobRequest::NAME,
    backup::DescribeBackupJobsRequest::NAME,
    backup::CancelBackupJobRequest::NAME,
    backup::DescribeSnapshotsRequest::NAME,
    retention::DeleteSnapshotRequest::NAME,
    retention::SearchHistoricalSnapshotsRequest::NAME,
    backup::CreateRestoreJobRequest::NAME,
    backup::DescribeRestoreJobsRequest::NAME,
    browse::BrowseFilesRequest::NAME,
    backup::CreateVerifyJobRequest::NAME,
    backup::DescribeVerifyJobsRequest::NAME,
    plan::CreateBackupPlanRequest::NAME,
    plan::DescribeBackupPlansRequest::NAME,
    plan::UpdateBackupPlanRequest::NAME,
    plan::DeleteBackupPlanRequest::NAME,
    plan::EnableBackupPlanRequest::NAME,
    plan::DisableBackupPlanRequest::NAME,
    plan::ExecuteBackupPlanRequest::NAME,
    prune::CreatePruneJobRequest::NAME,
    prune::DescribePruneJobsRequest::NAME,
    replication::DescribeReplicationHistoryRequest::NAME,
    replication::SyncReplicationVaultNowRequest::NAME,
    replication::RepairVaultFromMirrorRequest::NAME,
    region::SetRegionOutageRequest::NAME,
    alert::DescribeAlertsRequest::NAME,
    alert::AcknowledgeAlertRequest::NAME,
    region::DescribeSettingsRequest::NAME,
    sqlserver::CreateSqlServerInstanceRequest::NAME,
    sqlserver::DescribeSqlServerInstancesRequest::NAME,
    sqlserver::DeleteSqlServerInstanceRequest::NAME,
    sqlserver::PrecheckSqlServerInstanceRequest::NAME,
    sqlserver::DescribeSqlServerDatabasesRequest::NAME,
    sqlserver::CreateSqlServerBackupJobRequest::NAME,
    sqlserver::DescribeSqlServerSnapshotsRequest::NAME,
    sqlserver::GetSqlServersToRestoreRequest::NAME,
    sqlserver::GetSqlServerDatabasesToRestoreRequest::NAME,
    sqlserver::CreateSqlServerRestoreRequest::NAME,
    sqlserver::DescribeSqlServerRestoresRequest::NAME,
    sqlserver::CancelSqlServerRestoreRequest::NAME,
];

#[cfg(test)]
mod tests {
    use super::ACTIONS;

    /// The wire names of the actions, as the README lists them: a rename is a broken contract.
    #[test]
    fn action_names_are_the_contract() {
        let names = "DescribeRegions CreateVault DescribeVaults UpdateVault DeleteVault CreateReplicationVault \
            DescribeVaultReplicationRegions CreateVaultReplication DeleteVaultReplication DescribeTask CreateBackupClient \
            DescribeBackupClients DeleteBackupClient CreateAgentAccessKey CreateBackupJob DescribeBackupJobs2 CancelBackupJob DescribeSnapshots DeleteSnapshot SearchHistoricalSnapshots \
            CreateRestoreJob DescribeRestoreJobs2 BrowseFiles CreateVerifyJob DescribeVerifyJobs CreateBackupPlan DescribeBackupPlans \
            UpdateBackupPlan DeleteBackupPlan EnableBackupPlan DisableBackupPlan ExecuteBackupPlan CreatePruneJob DescribePruneJobs DescribeReplicationHistory \
            SyncReplicationVaultNow RepairVaultFromMirror SetRegionOutage DescribeAlerts AcknowledgeAlert DescribeSettings CreateSqlServerInstance \
            DescribeSqlServerInstances DeleteSqlServerInstance PrecheckSqlServerInstance DescribeSqlServerDatabases \
            CreateSqlServerBackupJob DescribeSqlServerSnapshots GetSqlServersToRestore GetSqlServerDatabasesToRestore \
            CreateSqlServerRestore DescribeSqlServerRestores CancelSqlServerRestore";
        assert_eq!(ACTIONS, names.split_whitespace().collect::<Vec<_>>());
    }
}
