//! SQL Server actions.
use serde_json::Value;

use super::{Client, ClientError};
use crate::api::backup::{DescribeSnapshotsResponse, JobIdResponse};
use crate::api::sqlserver::*;
use crate::api::Paging;

type R<T> = Result<T, ClientError>;

/// The fields of `CreateSqlServerInstance`, also sent by a connection precheck.
pub type InstanceSpec = CreateSqlServerInstanceRequest;

/// The fields of `CreateSqlServerRestore`.
pub type SqlRestoreSpec = CreateSqlServerRestoreRequest;

impl Client {
    pub async fn create_sql_server_instance(&self, spec: &CreateSqlServerInstanceRequest) -> R<CreateInstanceResponse> {
        self.send(spec).await
    }

    /// Prechecks connection fields before registering.
    pub async fn precheck_sql_server(&self, spec: &CreateSqlServerInstanceRequest) -> R<PrecheckResponse> {
        self.send(&PrecheckSqlServerInstanceRequest { cluster_id: None, instance: Some(spec.clone()) }).await
    }

    pub async fn precheck_sql_server_instance(&self, cluster_id: &str) -> R<PrecheckResponse> {
        self.send(&PrecheckSqlServerInstanceRequest { cluster_id: Some(cluster_id.into()), instance: None }).await
    }

    pub async fn describe_sql_server_instances(&self, vault_id: Option<&str>) -> R<DescribeInstancesResponse> {
        self.send(&DescribeSqlServerInstancesRequest { paging: Paging::size(1000), vault_id: vault_id.map(str::to_string), ..Default::default() }).await
    }

    pub async fn delete_sql_server_instance(&self, cluster_id: &str) -> R<Value> {
        self.send(&DeleteSqlServerInstanceRequest { cluster_id: cluster_id.into() }).await
    }

    pub async fn describe_sql_server_databases(&self, cluster_id: &str) -> R<DescribeDatabasesResponse> {
        self.send(&DescribeSqlServerDatabasesRequest { cluster_id: cluster_id.into() }).await
    }

    pub async fn create_sql_server_backup_job(&self, cluster_id: &str, databases: &[String]) -> R<JobIdResponse> {
        self.send(&CreateSqlServerBackupJobRequest { cluster_id: cluster_id.into(), database_names: databases.to_vec() }).await
    }

    pub async fn describe_sql_server_snapshots(&self, vault_id: &str, cluster_id: Option<&str>, database: Option<&str>) -> R<DescribeSnapshotsResponse> {
        self.send(&DescribeSqlServerSnapshotsRequest {
            vault_id: vault_id.into(),
            cluster_id: cluster_id.map(str::to_string),
            database_name: database.map(str::to_string),
            paging: Paging::size(1000),
            ..Default::default()
        })
        .await
    }

    pub async fn get_sql_servers_to_restore(&self, vault_id: &str) -> R<DescribeInstancesResponse> {
        self.send(&GetSqlServersToRestoreRequest { vault_id: vault_id.into() }).await
    }

    pub async fn get_sql_server_databases_to_restore(&self, vault_id: &str, cluster_id: &str) -> R<DescribeDatabasesResponse> {
        self.send(&GetSqlServerDatabasesToRestoreRequest { vault_id: vault_id.into(), cluster_id: cluster_id.into() }).await
    }

    pub async fn create_sql_server_restore(&self, r: &CreateSqlServerRestoreRequest) -> R<CreateRestoreResponse> {
        self.send(r).await
    }

    pub async fn describe_sql_server_restores(&self, restore_id: Option<&str>, vault_id: Option<&str>) -> R<DescribeRestoresResponse> {
        self.send(&DescribeSqlServerRestoresRequest { paging: Paging::size(100), restore_id: restore_id.map(str::to_string), vault_id: vault_id.map(str::to_string), ..Default::default() }).await
    }

    pub async fn cancel_sql_server_restore(&self, restore_id: &str) -> R<Value> {
        self.send(&CancelSqlServerRestoreRequest { restore_id: restore_id.into() }).await
    }
}
