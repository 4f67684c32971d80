//! SQL Server actions.
use serde_json::Value;

use super::{json_list, Client, ClientError};
use crate::api::backup::{DescribeSnapshotsResponse, JobIdResponse};
use crate::api::sqlserver::*;

type R<T> = Result<T, ClientError>;

/// Fields of `CreateSqlServerInstance` / a connection precheck.
#[derive(Clone, Debug, Default)]
pub struct InstanceSpec {
    pub vault_id: String,
    /// TDS or DEMO.
    pub engine: String,
    pub server_name: String,
    pub instance_name: String,
    pub sql_login: String,
    pub sql_password: String,
    pub use_windows_auth: bool,
    pub trust_server_certificate: bool,
    pub staging_dir: String,
}

impl InstanceSpec {
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("Engine", self.engine.clone()), ("ServerName", self.server_name.clone())];
        for (k, v) in [("VaultId", &self.vault_id), ("InstanceName", &self.instance_name), ("SqlLogin", &self.sql_login), ("SqlPassword", &self.sql_password), ("StagingDir", &self.staging_dir)] {
            if !v.is_empty() {
                p.push((k, v.clone()));
            }
        }
        p.push(("UseWindowsAuth", self.use_windows_auth.to_string()));
        p.push(("TrustServerCertificate", self.trust_server_certificate.to_string()));
        p
    }
}

/// Fields of `CreateSqlServerRestore`.
#[derive(Clone, Debug, Default)]
pub struct SqlRestoreSpec {
    pub vault_id: String,
    pub snapshot_id: String,
    pub source_cluster_id: String,
    pub source_database_name: String,
    pub cluster_id: String,
    pub target_database_name: String,
    pub replace_database: bool,
    pub file_destination: String,
}

impl Client {
    pub async fn create_sql_server_instance(&self, spec: &InstanceSpec) -> R<CreateInstanceResponse> {
        self.call("CreateSqlServerInstance", &spec.params()).await
    }

    /// Prechecks connection fields before registering.
    pub async fn precheck_sql_server(&self, spec: &InstanceSpec) -> R<PrecheckResponse> {
        self.call("PrecheckSqlServerInstance", &spec.params()).await
    }

    pub async fn precheck_sql_server_instance(&self, cluster_id: &str) -> R<PrecheckResponse> {
        self.call("PrecheckSqlServerInstance", &[("ClusterId", cluster_id.to_string())]).await
    }

    pub async fn describe_sql_server_instances(&self, vault_id: Option<&str>) -> R<DescribeInstancesResponse> {
        let mut p = vec![("PageSize", "1000".to_string())];
        if let Some(v) = vault_id {
            p.push(("VaultId", v.to_string()));
        }
        self.call("DescribeSqlServerInstances", &p).await
    }

    pub async fn delete_sql_server_instance(&self, cluster_id: &str) -> R<Value> {
        self.call("DeleteSqlServerInstance", &[("ClusterId", cluster_id.to_string())]).await
    }

    pub async fn describe_sql_server_databases(&self, cluster_id: &str) -> R<DescribeDatabasesResponse> {
        self.call("DescribeSqlServerDatabases", &[("ClusterId", cluster_id.to_string())]).await
    }

    pub async fn create_sql_server_backup_job(&self, cluster_id: &str, databases: &[String]) -> R<JobIdResponse> {
        self.call("CreateSqlServerBackupJob", &[("ClusterId", cluster_id.to_string()), ("DatabaseNames", json_list(databases))]).await
    }

    pub async fn describe_sql_server_snapshots(&self, vault_id: &str, cluster_id: Option<&str>, database: Option<&str>) -> R<DescribeSnapshotsResponse> {
        let mut p = vec![("VaultId", vault_id.to_string()), ("PageSize", "1000".to_string())];
        if let Some(c) = cluster_id {
            p.push(("ClusterId", c.to_string()));
        }
        if let Some(d) = database {
            p.push(("DatabaseName", d.to_string()));
        }
        self.call("DescribeSqlServerSnapshots", &p).await
    }

    pub async fn get_sql_servers_to_restore(&self, vault_id: &str) -> R<DescribeInstancesResponse> {
        self.call("GetSqlServersToRestore", &[("VaultId", vault_id.to_string())]).await
    }

    pub async fn get_sql_server_databases_to_restore(&self, vault_id: &str, cluster_id: &str) -> R<DescribeDatabasesResponse> {
        self.call("GetSqlServerDatabasesToRestore", &[("VaultId", vault_id.to_string()), ("ClusterId", cluster_id.to_string())]).await
    }

    pub async fn create_sql_server_restore(&self, r: &SqlRestoreSpec) -> R<CreateRestoreResponse> {
        let mut p = vec![
            ("VaultId", r.vault_id.clone()),
            ("SnapshotId", r.snapshot_id.clone()),
            ("ClusterId", r.cluster_id.clone()),
            ("TargetDatabaseName", r.target_database_name.clone()),
            ("ReplaceDatabase", r.replace_database.to_string()),
        ];
        for (k, v) in [("SourceClusterId", &r.source_cluster_id), ("SourceDatabaseName", &r.source_database_name), ("FileDestination", &r.file_destination)] {
            if !v.is_empty() {
                p.push((k, v.clone()));
            }
        }
        self.call("CreateSqlServerRestore", &p).await
    }

    pub async fn describe_sql_server_restores(&self, restore_id: Option<&str>, vault_id: Option<&str>) -> R<DescribeRestoresResponse> {
        let mut p = vec![("PageSize", "100".to_string())];
        if let Some(r) = restore_id {
            p.push(("RestoreId", r.to_string()));
        }
        if let Some(v) = vault_id {
            p.push(("VaultId", v.to_string()));
        }
        self.call("DescribeSqlServerRestores", &p).await
    }

    pub async fn cancel_sql_server_restore(&self, restore_id: &str) -> R<Value> {
        self.call("CancelSqlServerRestore", &[("RestoreId", restore_id.to_string())]).await
    }
}
