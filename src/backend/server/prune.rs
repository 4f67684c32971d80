//! Prune jobs (`CreatePruneJob`, `DescribePruneJobs`), automatic prune after snapshots were
//! removed from a vault, and the vaults' measured sizes (`StorageSize` = what the location
//! prefix holds, `StorageSizeReferenced` = the part the index and snapshots reference),
//! refreshed after commits, prunes and failed jobs — never per request.
use std::time::Duration;

use crate::api::backup::*;
use crate::api::error as codes;
use crate::api::prune::*;
use crate::api::Page;
use crate::backend::catalog::{now, JobFilter, JobKind, LogFailure};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::jobs::Outcome;
use crate::backend::state::AppState;
use crate::backend::storage::{PruneRequest, PruneStats, Repo};

use super::backup::check_usable;
use super::vaults::settled_vault;
use super::{new_id, vault_row};

/// How often the automatic prune looks for vaults with removed snapshots.
const AUTO_CHECK: Duration = Duration::from_secs(30);

/// Measures a vault's sizes and stores them (errors are logged: the old figures stay).
pub(crate) async fn refresh_sizes_of(st: &AppState, vault_id: &str, repo: &Repo) {
    match repo.storage_sizes().await {
        Ok((total, referenced)) => st
            .catalog
            .set_storage_sizes(vault_id, total as i64, referenced as i64)
            .or_log_vault(vault_id, "storage size"),
        Err(e) => tracing::warn!(%vault_id, %e, "cannot measure the vault's storage"),
    }
}

/// `refresh_sizes_of` for a vault known by id (after a job ended).
pub(crate) async fn refresh_storage_size(st: &AppState, vault_id: &str) {
    let Ok(Some(v)) = st.catalog.vault(vault_id) else {
        return;
    };
    if let Ok(repo) = st.hub.repo(&v.region_id, vault_id).await {
        refresh_sizes_of(st, vault_id, &repo).await;
    }
}

/// Removes the vault from `JobRunner::prunes` when the job's work ends, however it ends.
struct PruneSlot {
    st: AppState,
    vault_id: String,
}

impl Drop for PruneSlot {
    fn drop(&mut self) {
        self.st
            .jobs
            .prunes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.vault_id);
    }
}

pub async fn create_prune_job(
    state: &AppState,
    r: CreatePruneJobRequest,
) -> ServerResult<JobIdResponse> {
    let vault = settled_vault(state, &r.vault_id).await?;
    check_usable(state, &vault)?;
    start_prune(state, &vault.vault_id, r.dry_run, "MANUAL")
}

/// Starts a prune job on a usable vault; 409 `PruneJobAlreadyRunning` while one runs there.
fn start_prune(
    state: &AppState,
    vault_id: &str,
    dry_run: bool,
    trigger: &str,
) -> ServerResult<JobIdResponse> {
    let vault = vault_row(state, vault_id)?;
    if !state
        .jobs
        .prunes
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(vault.vault_id.clone())
    {
        return Err(ServerError::conflict(
            codes::PRUNE_RUNNING,
            format!("A prune of the vault {vault_id} is already running; wait for it to end."),
        ));
    }
    let slot = PruneSlot {
        st: state.clone(),
        vault_id: vault.vault_id.clone(),
    };
    let job_id = new_id("pj");
    let params = serde_json::json!({"DryRun": dry_run, "TriggerMode": trigger}).to_string();
    state.catalog.insert_job(
        JobKind::Prune,
        &job_id,
        &vault.vault_id,
        "",
        "",
        "",
        &params,
        "",
        trigger,
    )?;
    let st = state.clone();
    let grace = state.settings.prune.grace;
    state.jobs.spawn(
        state,
        job_id.clone(),
        vault.vault_id.clone(),
        move |progress| async move {
            let _slot = slot;
            let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
            let stats = repo
                .prune(PruneRequest { dry_run, grace, ..PruneRequest::default() }, progress)
                .await?;
            refresh_sizes_of(&st, &vault.vault_id, &repo).await;
            Ok(Outcome {
                snapshot_id: None,
                result: serde_json::to_value(&stats).unwrap_or_default(),
                error: None,
                partial: false,
            })
        },
    );
    Ok(JobIdResponse { job_id })
}

pub fn describe_prune_jobs(
    state: &AppState,
    r: DescribePruneJobsRequest,
) -> ServerResult<DescribePruneJobsResponse> {
    let (page_number, page_size) = r.paging.resolve(10);
    let f = JobFilter {
        job_id: r.job_id.as_deref(),
        vault_id: r.vault_id.as_deref(),
        ..JobFilter::default()
    };
    let (total, rows) = state
        .catalog
        .list_jobs(JobKind::Prune, &f, page_number, page_size)?;
    let prune_job = rows
        .iter()
        .map(|j| {
            let params: serde_json::Value = serde_json::from_str(&j.params).unwrap_or_default();
            let stats: PruneStats = serde_json::from_str(&j.result).unwrap_or_default();
            PruneJob {
                job_id: j.job_id.clone(),
                vault_id: j.vault_id.clone(),
                status: if j.status == JOB_CREATED {
                    JOB_RUNNING.into()
                } else {
                    j.status.clone()
                },
                dry_run: params["DryRun"].as_bool().unwrap_or(false),
                snapshots_removed: stats.snapshots_removed as i64,
                packs_deleted: stats.packs_deleted as i64,
                packs_rewritten: stats.packs_rewritten as i64,
                bytes_freed: stats.bytes_freed as i64,
                storage_size_before: stats.storage_size_before as i64,
                storage_size_after: stats.storage_size_after as i64,
                packs_reindexed: stats.packs_reindexed as i64,
                trigger_mode: params["TriggerMode"]
                    .as_str()
                    .unwrap_or("MANUAL")
                    .to_string(),
                created_time: j.created_time,
                start_time: j.start_time,
                complete_time: j.complete_time,
                error_message: j.error_message.clone(),
            }
        })
        .collect();
    Ok(DescribePruneJobsResponse {
        page: Page {
            total_count: total,
            page_number,
            page_size,
        },
        prune_jobs: PruneJobs { prune_job },
    })
}

/// The automatic prune: a vault whose newest snapshot deletion is newer than its newest prune
/// job is pruned, at most once per `[prune] interval` (default 24 h). (Times are seconds: a
/// removal in the very second a prune was created counts as covered by it.)
pub(crate) async fn auto_prune(st: AppState) {
    let check = AUTO_CHECK.min(st.settings.prune.interval.max(Duration::from_secs(1)));
    let mut tick = tokio::time::interval(check);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Ok(vaults) = st.catalog.vault_ids() else {
            continue;
        };
        for (vault_id, _) in vaults {
            if let Some(why) = auto_prune_due(&st, &vault_id) {
                match start_prune(&st, &vault_id, false, "AUTO") {
                    Ok(j) => {
                        tracing::info!(%vault_id, job_id = %j.job_id, %why, "automatic prune started")
                    }
                    Err(e) => tracing::debug!(%vault_id, %e, "automatic prune not started"),
                }
            }
        }
    }
}

fn auto_prune_due(st: &AppState, vault_id: &str) -> Option<String> {
    let deleted = st.catalog.last_snapshot_deletion(vault_id).ok()??;
    let last = st.catalog.last_prune_created(vault_id).ok()?;
    let v = st.catalog.vault(vault_id).ok()??;
    if check_usable(st, &v).is_err() {
        return None;
    }
    let interval = st.settings.prune.interval.as_secs() as i64;
    match last {
        Some(p) if deleted <= p || now() - p < interval => None,
        Some(p) => Some(format!(
            "a snapshot was removed at {deleted}, after the last prune at {p}"
        )),
        None => Some(format!(
            "a snapshot was removed at {deleted} and the vault was never pruned"
        )),
    }
}
