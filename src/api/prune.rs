//! Prune jobs (product actions): `CreatePruneJob` reclaims the storage of deleted snapshots and
//! of failed backups in one vault; `DescribePruneJobs` lists the jobs with what they freed.
use serde::{Deserialize, Serialize};

use super::Page;

/// One prune job. `Status`: CREATED, RUNNING, COMPLETE, FAILED, CANCELED.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct PruneJob {
    pub job_id: String,
    pub vault_id: String,
    pub status: String,
    /// Reported, nothing deleted.
    pub dry_run: bool,
    /// Snapshots removed by this job (prune itself removes none: snapshots are removed by
    /// `DeleteSnapshot` and retention; 0).
    pub snapshots_removed: i64,
    /// Packs deleted whole (no live data, or leaked by a failed backup).
    pub packs_deleted: i64,
    /// Packs whose live data was copied into new packs because most of them was garbage.
    pub packs_rewritten: i64,
    pub bytes_freed: i64,
    pub storage_size_before: i64,
    pub storage_size_after: i64,
    /// Packs no index listed, indexed again from their headers.
    pub packs_reindexed: i64,
    /// `MANUAL` (CreatePruneJob) or `AUTO` (the backend, after snapshots were removed).
    pub trigger_mode: String,
    pub created_time: i64,
    pub start_time: i64,
    pub complete_time: i64,
    pub error_message: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PruneJobs {
    #[serde(default)]
    pub prune_job: Vec<PruneJob>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribePruneJobsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub prune_jobs: PruneJobs,
}

crate::action! {
    pub struct CreatePruneJobRequest: "CreatePruneJob" -> crate::api::backup::JobIdResponse {
        vault_id: String = "VaultId" required,
        dry_run: bool = "DryRun" flag_or(false),
    }
}

crate::action! {
    pub struct DescribePruneJobsRequest: "DescribePruneJobs" -> DescribePruneJobsResponse {
        paging: crate::api::Paging = "paging" group,
        job_id: Option<String> = "JobId" optional,
        vault_id: Option<String> = "VaultId" optional,
    }
}
