//! Background jobs: backup, restore and verify run as tokio tasks on a vault's repository; their
//! progress lives in memory (`Progress`) and is written to the catalog every second. Keeping the
//! catalog in line with the locations is `locations/`.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::api::backup::*;
use crate::api::error as codes;
use crate::backend::catalog::{CatalogResult, LogFailure, SnapshotRow};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;
use crate::backend::storage::{Progress, SnapshotManifest, StorageError};

struct Running {
    vault_id: String,
    progress: Arc<Progress>,
}

#[derive(Default)]
pub struct JobRunner {
    running: Mutex<HashMap<String, Running>>,
    /// Vaults with a prune job (`server/prune.rs`): one at a time per vault.
    pub prunes: Mutex<std::collections::HashSet<String>>,
}

/// What a finished job reports.
pub struct Outcome {
    pub snapshot_id: Option<String>,
    pub result: serde_json::Value,
    /// A job can finish with an error message but still have produced results (e.g. a restore
    /// where some files failed); it is then FAILED.
    pub error: Option<String>,
    /// The job did its work but not all of it (entries it could not read or that changed while
    /// read, listed in `result`): it ends PARTIAL_COMPLETE.
    pub partial: bool,
}

impl JobRunner {
    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// 409 while a job runs on the vault (deleting it would pull data from under the job).
    pub fn ensure_vault_idle(&self, vault_id: &str) -> ServerResult<()> {
        if self.running().values().any(|r| r.vault_id == vault_id) {
            return Err(ServerError::conflict(codes::JOB_NOT_CANCELABLE, format!("A job is running on the vault {vault_id}; wait for it or cancel it first.")));
        }
        Ok(())
    }

    /// Requests cancellation. Returns false when the job is not running.
    pub fn cancel(&self, job_id: &str) -> bool {
        match self.running().get(job_id) {
            Some(r) => {
                r.progress.cancel.store(true, Ordering::SeqCst);
                true
            }
            None => false,
        }
    }

    /// Runs `work` as job `job_id` on `vault_id`, keeping the catalog's progress current.
    pub fn spawn<F, Fut>(&self, state: &AppState, job_id: String, vault_id: String, work: F)
    where
        F: FnOnce(Arc<Progress>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Outcome, StorageError>> + Send + 'static,
    {
        let progress = Arc::new(Progress::default());
        self.running().insert(job_id.clone(), Running { vault_id: vault_id.clone(), progress: progress.clone() });
        let st = state.clone();
        tokio::spawn(async move {
            st.catalog.start_job(&job_id).or_log_job(&job_id, "job start");
            let started = Instant::now();
            // The work runs as its own task, so a panic in it ends the job FAILED instead of
            // leaving it RUNNING (and its vault locked) forever.
            let mut work = tokio::spawn(work(progress.clone()));
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let result = loop {
                tokio::select! {
                    r = &mut work => break r.unwrap_or_else(|e| Err(StorageError::Internal(format!("the job stopped unexpectedly: {e}")))),
                    _ = tick.tick() => write_progress(&st, &job_id, &progress, started),
                }
            };
            write_progress(&st, &job_id, &progress, started);
            let (status, message, snapshot_id, result_json) = match result {
                Ok(o) => {
                    let status = if o.error.is_some() { JOB_FAILED } else if o.partial { JOB_PARTIAL_COMPLETE } else { JOB_COMPLETE };
                    (status, o.error.unwrap_or_default(), o.snapshot_id, o.result.to_string())
                }
                Err(StorageError::Canceled) => (JOB_CANCELED, "The job was canceled.".to_string(), None, "{}".into()),
                Err(e) => (JOB_FAILED, e.to_string(), None, "{}".into()),
            };
            if status != JOB_COMPLETE {
                tracing::warn!(%job_id, %message, "job ended {status}");
            }
            if let Err(e) = st.catalog.finish_job(&job_id, status, &message, snapshot_id.as_deref(), &result_json) {
                tracing::error!(%job_id, %e, "cannot record job end");
            }
            st.jobs.running().remove(&job_id);
            if status == JOB_FAILED || status == JOB_CANCELED {
                // A failed or canceled job may have left packs behind: StorageSize says so.
                crate::backend::server::prune::refresh_storage_size(&st, &vault_id).await;
            }
        });
    }
}

fn write_progress(st: &AppState, job_id: &str, p: &Progress, started: Instant) {
    let done = p.bytes_done.load(Ordering::Relaxed) as i64;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    // Written every second: a failing catalog would log once a second, which is what an
    // operator needs to see (the job's progress is not being recorded).
    st.catalog
        .job_progress(
            job_id,
            p.bytes_total.load(Ordering::Relaxed) as i64,
            done,
            p.items_total.load(Ordering::Relaxed) as i64,
            p.items_done.load(Ordering::Relaxed) as i64,
            (done as f64 / secs) as i64,
        )
        .or_log_job(job_id, "job progress");
}

/// Catalogues a snapshot written to `vault_id`'s location.
pub fn catalog_snapshot(st: &AppState, vault_id: &str, m: &SnapshotManifest) -> CatalogResult<()> {
    st.catalog.insert_snapshot(&SnapshotRow {
        vault_id: vault_id.to_string(),
        snapshot_id: m.snapshot_id.clone(),
        client_id: m.client_id.clone(),
        source_type: m.source_type.clone(),
        paths: m.paths.clone(),
        bytes_total: m.bytes_total as i64,
        bytes_added: m.bytes_added as i64,
        items_total: m.items_total as i64,
        parent_snapshot_id: m.parent_snapshot_id.clone().unwrap_or_default(),
        start_time: m.start_time,
        complete_time: m.complete_time,
        meta: m.meta.clone(),
        seq: 0,
    })
}

/// Progress percentage of a job row.
pub fn percent(status: &str, done: i64, total: i64) -> i64 {
    if status == JOB_COMPLETE || status == JOB_PARTIAL_COMPLETE {
        100
    } else if total > 0 {
        (done * 100 / total).clamp(0, 99)
    } else {
        0
    }
}
