//! One typed method per action: each fills in the action's request struct of `crate::api`
//! and sends it.
use serde_json::Value;

use super::{Client, ClientError};
use crate::api::alert::{AcknowledgeAlertRequest, AcknowledgeAlertResponse, DescribeAlertsRequest, DescribeAlertsResponse};
use crate::api::backup::*;
use crate::api::browse::{BrowseFilesRequest, BrowseFilesResponse};
use crate::api::client::*;
use crate::api::region::*;
use crate::api::replication::*;
use crate::api::retention::*;
use crate::api::task::{DescribeTaskRequest, DescribeTaskResponse};
use crate::api::vault::*;
use crate::api::Paging;

type R<T> = Result<T, ClientError>;

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

impl VaultQuery {
    /// The request: page 1 and 100 vaults a page unless set.
    pub fn request(&self) -> DescribeVaultsRequest {
        DescribeVaultsRequest {
            paging: Paging { page_number: Some(self.page_number.max(1)), page_size: Some(if self.page_size > 0 { self.page_size } else { 100 }) },
            vault_id: self.vault_id.clone(),
            vault_region_id: self.region_id.clone(),
            status: self.status.clone(),
            vault_name: self.name.clone(),
            ..Default::default()
        }
    }
}

/// The filters of a job list: `PageSize` 100, optionally one vault and one job.
fn job_query(vault_id: Option<&str>, job_id: Option<&str>) -> JobQuery {
    JobQuery { paging: Paging::size(100), vault_id: vault_id.map(str::to_string), job_id: job_id.map(str::to_string), ..Default::default() }
}

impl Client {
    pub async fn describe_regions(&self) -> R<DescribeRegionsResponse> {
        self.send(&DescribeRegionsRequest {}).await
    }

    pub async fn describe_settings(&self) -> R<DescribeSettingsResponse> {
        self.send(&DescribeSettingsRequest {}).await
    }

    pub async fn create_vault(&self, region_id: &str, name: &str, description: &str) -> R<CreateVaultResponse> {
        self.send(&CreateVaultRequest { vault_region_id: region_id.into(), vault_name: name.into(), description: description.into(), ..Default::default() }).await
    }

    pub async fn describe_vaults(&self, q: &VaultQuery) -> R<DescribeVaultsResponse> {
        self.send(&q.request()).await
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
        self.send(&UpdateVaultRequest {
            vault_id: vault_id.into(),
            vault_name: name.map(str::to_string),
            description: description.map(str::to_string),
            replication_rate_limit: rate_limit,
            ..Default::default()
        })
        .await
    }

    pub async fn delete_vault(&self, vault_id: &str) -> R<Value> {
        self.send(&DeleteVaultRequest { vault_id: vault_id.into() }).await
    }

    pub async fn create_replication_vault(&self, source_vault_id: &str, source_region_id: &str, region_id: &str, name: &str, description: &str) -> R<CreateReplicationVaultResponse> {
        self.send(&CreateReplicationVaultRequest {
            vault_name: name.into(),
            description: description.into(),
            vault_region_id: region_id.into(),
            source: MirrorSource { replication_source_vault_id: source_vault_id.into(), replication_source_region_id: Some(source_region_id.into()), encrypt_type: None },
            ..Default::default()
        })
        .await
    }

    pub async fn describe_vault_replication_regions(&self, vault_id: &str) -> R<DescribeVaultReplicationRegionsResponse> {
        self.send(&DescribeVaultReplicationRegionsRequest { vault_id: Some(vault_id.into()) }).await
    }

    pub async fn describe_task(&self, task_id: &str) -> R<DescribeTaskResponse> {
        self.send(&DescribeTaskRequest { task_id: task_id.into() }).await
    }

    pub async fn create_backup_client(&self, name: &str, region_id: &str, vault_id: Option<&str>) -> R<CreateBackupClientResponse> {
        self.send(&CreateBackupClientRequest {
            client_name: name.into(),
            vault_region_id: Some(region_id.into()),
            vault_id: vault_id.map(str::to_string),
            ..Default::default()
        })
        .await
    }

    pub async fn describe_backup_clients(&self, vault_id: Option<&str>) -> R<DescribeBackupClientsResponse> {
        self.send(&DescribeBackupClientsRequest { paging: Paging::size(1000), vault_id: vault_id.map(str::to_string), client_id: None, ..Default::default() }).await
    }

    pub async fn delete_backup_client(&self, client_id: &str) -> R<Value> {
        self.send(&DeleteBackupClientRequest { client_id: client_id.into() }).await
    }

    pub async fn create_backup_job(&self, vault_id: &str, client_id: &str, include: &[String], exclude: &[String]) -> R<JobIdResponse> {
        self.send(&CreateBackupJobRequest {
            vault_id: vault_id.into(),
            client_id: client_id.into(),
            source_type: "FILE".into(),
            include: include.to_vec(),
            exclude: exclude.to_vec(),
            ..Default::default()
        })
        .await
    }

    pub async fn describe_backup_jobs(&self, vault_id: Option<&str>, job_id: Option<&str>) -> R<DescribeBackupJobsResponse> {
        self.send(&DescribeBackupJobsRequest { query: job_query(vault_id, job_id), ..Default::default() }).await
    }

    pub async fn cancel_backup_job(&self, job_id: &str) -> R<Value> {
        self.send(&CancelBackupJobRequest { job_id: job_id.into() }).await
    }

    pub async fn describe_snapshots(&self, vault_id: &str) -> R<DescribeSnapshotsResponse> {
        self.send(&DescribeSnapshotsRequest { vault_id: vault_id.into(), paging: Paging::size(1000), ..Default::default() }).await
    }

    /// Removes a snapshot from its vault at once.
    pub async fn delete_snapshot(&self, vault_id: &str, snapshot_id: &str) -> R<Value> {
        self.send(&DeleteSnapshotRequest { vault_id: vault_id.into(), snapshot_id: snapshot_id.into(), ..Default::default() }).await
    }

    /// Turns WORM on for a vault (irreversible).
    pub async fn enable_worm(&self, vault_id: &str) -> R<Value> {
        self.send(&UpdateVaultRequest { vault_id: vault_id.into(), worm_enabled: Some(true), ..Default::default() }).await
    }

    /// A mirror's own retention (days) and/or keep-latest.
    pub async fn set_mirror_retention(&self, vault_id: &str, days: Option<i64>, keep_latest: Option<bool>) -> R<Value> {
        self.send(&UpdateVaultRequest { vault_id: vault_id.into(), retention: days, keep_latest_snapshots: keep_latest, ..Default::default() }).await
    }

    pub async fn create_restore_job(&self, vault_id: &str, snapshot_id: &str, target_path: &str, include: &[String], overwrite: bool) -> R<CreateRestoreJobResponse> {
        self.send(&CreateRestoreJobRequest {
            vault_id: vault_id.into(),
            snapshot_id: snapshot_id.into(),
            restore_type: "FILE".into(),
            target_path: target_path.into(),
            include: include.to_vec(),
            overwrite,
            ..Default::default()
        })
        .await
    }

    /// One page of a snapshot directory (`path` absolute, `/` = root; `next_token` from the
    /// previous page).
    pub async fn browse_files(&self, vault_id: &str, snapshot_id: &str, path: &str, max_results: i64, next_token: Option<&str>) -> R<BrowseFilesResponse> {
        self.send(&BrowseFilesRequest {
            vault_id: vault_id.into(),
            snapshot_id: Some(snapshot_id.into()),
            absolute_path: path.into(),
            max_results: Some(max_results),
            next_token: next_token.map(str::to_string),
            ..Default::default()
        })
        .await
    }

    pub async fn describe_restore_jobs(&self, vault_id: Option<&str>, restore_id: Option<&str>) -> R<DescribeRestoreJobsResponse> {
        self.send(&DescribeRestoreJobsRequest { query: job_query(vault_id, restore_id), ..Default::default() }).await
    }

    pub async fn create_verify_job(&self, vault_id: &str, snapshot_id: Option<&str>, read_data: bool) -> R<JobIdResponse> {
        self.send(&CreateVerifyJobRequest { vault_id: vault_id.into(), snapshot_id: snapshot_id.map(str::to_string), read_data }).await
    }

    pub async fn describe_verify_jobs(&self, vault_id: Option<&str>, job_id: Option<&str>) -> R<DescribeVerifyJobsResponse> {
        self.send(&DescribeVerifyJobsRequest { query: job_query(vault_id, job_id) }).await
    }

    /// `CreatePruneJob`: reclaim the storage of removed snapshots and failed backups.
    pub async fn create_prune_job(&self, vault_id: &str, dry_run: bool) -> R<JobIdResponse> {
        self.send(&crate::api::prune::CreatePruneJobRequest { vault_id: vault_id.into(), dry_run }).await
    }

    /// `DescribePruneJobs` of one vault and/or one job (first 100).
    pub async fn describe_prune_jobs(&self, vault_id: Option<&str>, job_id: Option<&str>) -> R<crate::api::prune::DescribePruneJobsResponse> {
        self.send(&crate::api::prune::DescribePruneJobsRequest { paging: Paging::size(100), job_id: job_id.map(str::to_string), vault_id: vault_id.map(str::to_string) }).await
    }

    pub async fn describe_replication_history(&self, vault_id: &str) -> R<DescribeReplicationHistoryResponse> {
        self.send(&DescribeReplicationHistoryRequest { vault_id: vault_id.into(), paging: Paging::size(1000) }).await
    }

    pub async fn sync_replication_vault_now(&self, vault_id: &str) -> R<Value> {
        self.send(&SyncReplicationVaultNowRequest { vault_id: vault_id.into() }).await
    }

    pub async fn repair_vault_from_mirror(&self, vault_id: &str) -> R<RepairResponse> {
        self.send(&RepairVaultFromMirrorRequest { vault_id: vault_id.into() }).await
    }

    /// One page of alerts (`status` `ACTIVE`/`RESOLVED`, or both), newest first.
    pub async fn describe_alerts(&self, status: Option<&str>, page_number: i64, page_size: i64) -> R<DescribeAlertsResponse> {
        self.send(&DescribeAlertsRequest { status: status.map(str::to_string), paging: Paging { page_number: Some(page_number.max(1)), page_size: Some(page_size) } }).await
    }

    pub async fn acknowledge_alert(&self, alert_id: &str) -> R<AcknowledgeAlertResponse> {
        self.send(&AcknowledgeAlertRequest { alert_id: alert_id.into() }).await
    }

    pub async fn set_region_outage(&self, region_id: &str, outage: bool) -> R<Value> {
        self.send(&SetRegionOutageRequest { region_id: region_id.into(), outage }).await
    }
}
