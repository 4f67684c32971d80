//! One typed method per action.
use serde_json::Value;

use super::{json_list, Client, ClientError};
use crate::api::backup::*;
use crate::api::client::*;
use crate::api::region::*;
use crate::api::replication::*;
use crate::api::task::DescribeTaskResponse;
use crate::api::vault::*;

type R<T> = Result<T, ClientError>;

fn kv(k: &'static str, v: impl ToString) -> (&'static str, String) {
    (k, v.to_string())
}

/// Filters of `DescribeVaults`.
#[derive(Clone, Debug, Default)]
pub struct VaultQuery {
    pub vault_id: Option<String>,
    pub region_id: Option<String>,
    pub status: Option<String>,
    pub name: Option<String>,
    pub page_number: i64,
    pub page_size: i64,
}

impl Client {
    pub async fn describe_regions(&self) -> R<DescribeRegionsResponse> {
        self.call("DescribeRegions", &[]).await
    }

    pub async fn describe_settings(&self) -> R<DescribeSettingsResponse> {
        self.call("DescribeSettings", &[]).await
    }

    pub async fn create_vault(&self, region_id: &str, name: &str, description: &str) -> R<CreateVaultResponse> {
        self.call("CreateVault", &[kv("VaultRegionId", region_id), kv("VaultName", name), kv("Description", description)]).await
    }

    pub async fn describe_vaults(&self, q: &VaultQuery) -> R<DescribeVaultsResponse> {
        let mut p = vec![kv("PageNumber", q.page_number.max(1)), kv("PageSize", if q.page_size > 0 { q.page_size } else { 100 })];
        if let Some(v) = &q.vault_id {
            p.push(kv("VaultId", v));
        }
        if let Some(v) = &q.region_id {
            p.push(kv("VaultRegionId", v));
        }
        if let Some(v) = &q.status {
            p.push(kv("Status", v));
        }
        if let Some(v) = &q.name {
            p.push(kv("VaultName", v));
        }
        self.call("DescribeVaults", &p).await
    }

    /// Every vault, walking all pages.
    pub async fn all_vaults(&self) -> R<Vec<Vault>> {
        let mut out = Vec::new();
        let mut page = 1;
        loop {
            let r = self.describe_vaults(&VaultQuery { page_number: page, page_size: 1000, ..Default::default() }).await?;
            let n = r.vaults.vault.len();
            out.extend(r.vaults.vault);
            if n == 0 || out.len() as i64 >= r.page.total_count {
                return Ok(out);
            }
            page += 1;
        }
    }

    pub async fn vault(&self, vault_id: &str) -> R<Option<Vault>> {
        let r = self.describe_vaults(&VaultQuery { vault_id: Some(vault_id.into()), ..Default::default() }).await?;
        Ok(r.vaults.vault.into_iter().next())
    }

    pub async fn update_vault(&self, vault_id: &str, name: Option<&str>, description: Option<&str>, rate_limit: Option<i64>) -> R<Value> {
        let mut p = vec![kv("VaultId", vault_id)];
        if let Some(v) = name {
            p.push(kv("VaultName", v));
        }
        if let Some(v) = description {
            p.push(kv("Description", v));
        }
        if let Some(v) = rate_limit {
            p.push(kv("ReplicationRateLimit", v));
        }
        self.call("UpdateVault", &p).await
    }

    pub async fn delete_vault(&self, vault_id: &str) -> R<Value> {
        self.call("DeleteVault", &[kv("VaultId", vault_id)]).await
    }

    pub async fn create_replication_vault(&self, source_vault_id: &str, source_region_id: &str, region_id: &str, name: &str, description: &str) -> R<CreateReplicationVaultResponse> {
        self.call(
            "CreateReplicationVault",
            &[
                kv("ReplicationSourceVaultId", source_vault_id),
                kv("ReplicationSourceRegionId", source_region_id),
                kv("VaultRegionId", region_id),
                kv("VaultName", name),
                kv("Description", description),
            ],
        )
        .await
    }

    pub async fn describe_vault_replication_regions(&self, vault_id: &str) -> R<DescribeVaultReplicationRegionsResponse> {
        self.call("DescribeVaultReplicationRegions", &[kv("VaultId", vault_id)]).await
    }

    pub async fn describe_task(&self, task_id: &str) -> R<DescribeTaskResponse> {
        self.call("DescribeTask", &[kv("TaskId", task_id)]).await
    }

    pub async fn create_backup_client(&self, name: &str, region_id: &str, vault_id: Option<&str>) -> R<CreateBackupClientResponse> {
        let mut p = vec![kv("ClientName", name), kv("VaultRegionId", region_id)];
        if let Some(v) = vault_id {
            p.push(kv("VaultId", v));
        }
        self.call("CreateBackupClient", &p).await
    }

    pub async fn describe_backup_clients(&self, vault_id: Option<&str>) -> R<DescribeBackupClientsResponse> {
        let mut p = vec![kv("PageSize", 1000)];
        if let Some(v) = vault_id {
            p.push(kv("VaultId", v));
        }
        self.call("DescribeBackupClients", &p).await
    }

    pub async fn delete_backup_client(&self, client_id: &str) -> R<Value> {
        self.call("DeleteBackupClient", &[kv("ClientId", client_id)]).await
    }

    pub async fn create_backup_job(&self, vault_id: &str, client_id: &str, include: &[String], exclude: &[String]) -> R<JobIdResponse> {
        let mut p = vec![kv("VaultId", vault_id), kv("ClientId", client_id), kv("SourceType", "FILE"), kv("Include", json_list(include))];
        if !exclude.is_empty() {
            p.push(kv("Exclude", json_list(exclude)));
        }
        self.call("CreateBackupJob", &p).await
    }

    pub async fn describe_backup_jobs(&self, vault_id: Option<&str>, job_id: Option<&str>) -> R<DescribeBackupJobsResponse> {
        let mut p = vec![kv("PageSize", 100)];
        if let Some(v) = vault_id {
            p.push(kv("VaultId", v));
        }
        if let Some(v) = job_id {
            p.push(kv("JobId", v));
        }
        self.call("DescribeBackupJobs2", &p).await
    }

    pub async fn cancel_backup_job(&self, job_id: &str) -> R<Value> {
        self.call("CancelBackupJob", &[kv("JobId", job_id)]).await
    }

    pub async fn describe_snapshots(&self, vault_id: &str) -> R<DescribeSnapshotsResponse> {
        self.call("DescribeSnapshots", &[kv("VaultId", vault_id), kv("PageSize", 1000)]).await
    }

    pub async fn create_restore_job(&self, vault_id: &str, snapshot_id: &str, target_path: &str, include: &[String], overwrite: bool) -> R<CreateRestoreJobResponse> {
        let mut p = vec![kv("VaultId", vault_id), kv("SnapshotId", snapshot_id), kv("RestoreType", "FILE"), kv("TargetPath", target_path), kv("Overwrite", overwrite)];
        if !include.is_empty() {
            p.push(kv("Include", json_list(include)));
        }
        self.call("CreateRestoreJob", &p).await
    }

    pub async fn describe_restore_jobs(&self, vault_id: Option<&str>, restore_id: Option<&str>) -> R<DescribeRestoreJobsResponse> {
        let mut p = vec![kv("PageSize", 100)];
        if let Some(v) = vault_id {
            p.push(kv("VaultId", v));
        }
        if let Some(v) = restore_id {
            p.push(kv("JobId", v));
        }
        self.call("DescribeRestoreJobs2", &p).await
    }

    pub async fn create_verify_job(&self, vault_id: &str, snapshot_id: Option<&str>, read_data: bool) -> R<JobIdResponse> {
        let mut p = vec![kv("VaultId", vault_id), kv("ReadData", read_data)];
        if let Some(v) = snapshot_id {
            p.push(kv("SnapshotId", v));
        }
        self.call("CreateVerifyJob", &p).await
    }

    pub async fn describe_verify_jobs(&self, vault_id: Option<&str>, job_id: Option<&str>) -> R<DescribeVerifyJobsResponse> {
        let mut p = vec![kv("PageSize", 100)];
        if let Some(v) = vault_id {
            p.push(kv("VaultId", v));
        }
        if let Some(v) = job_id {
            p.push(kv("JobId", v));
        }
        self.call("DescribeVerifyJobs", &p).await
    }

    pub async fn describe_replication_history(&self, vault_id: &str) -> R<DescribeReplicationHistoryResponse> {
        self.call("DescribeReplicationHistory", &[kv("VaultId", vault_id), kv("PageSize", 1000)]).await
    }

    pub async fn sync_replication_vault_now(&self, vault_id: &str) -> R<Value> {
        self.call("SyncReplicationVaultNow", &[kv("VaultId", vault_id)]).await
    }

    pub async fn repair_vault_from_mirror(&self, vault_id: &str) -> R<RepairResponse> {
        self.call("RepairVaultFromMirror", &[kv("VaultId", vault_id)]).await
    }

    pub async fn set_region_outage(&self, region_id: &str, outage: bool) -> R<Value> {
        self.call("SetRegionOutage", &[kv("RegionId", region_id), kv("Outage", outage)]).await
    }
}
