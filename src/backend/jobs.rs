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

pub struct JobRunner {
    running: Mutex<HashMap<String, Running>>,
    backups: Pool,
    restores: Pool,
    /// Days finished jobs are kept (0 = forever).
    history_days: u64,
    /// Vaults with a prune job (`server/prune.rs`): one at a time per vault.
    pub prunes: Mutex<std::collections::HashSet<String>>,
}

/// Default of `[jobs] history_days`.
pub const DEFAULT_HISTORY_DAYS: u64 = 90;
/// How often old job history is trimmed.
const TRIM_INTERVAL: Duration = Duration::from_secs(3600);

/// One bounded pool of job workers.
struct Pool {
    name: &'static str,
    size: usize,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Pool {
    fn new(name: &'static str, size: usize) -> Pool {
        let size = size.max(1);
        Pool { name, size, slots: Arc::new(tokio::sync::Semaphore::new(size)) }
    }
}

impl Default for JobRunner {
    fn default() -> Self {
        JobRunner::new(&crate::backend::config::JobsConfig::default())
    }
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
    /// Pools sized from `[jobs]`, else from the core count.
    pub fn new(cfg: &crate::backend::config::JobsConfig) -> JobRunner {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        JobRunner {
            running: Mutex::new(HashMap::new()),
            backups: Pool::new("backup", cfg.backup_workers.unwrap_or(cores.max(2))),
            restores: Pool::new("restore", cfg.restore_workers.unwrap_or((cores / 2).max(2))),
            history_days: cfg.history_days.unwrap_or(DEFAULT_HISTORY_DAYS),
            prunes: Mutex::new(std::collections::HashSet::new()),
        }
    }

    /// The pool a job of this kind runs in (as stored in the catalog's `kind` column).
    fn pool(&self, kind: &str) -> &Pool {
        match kind {
            "RESTORE" | "VERIFY" | "SQLRESTORE" => &self.restores,
            _ => &self.backups,
        }
    }

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

    /// True when a running job on the vault reads the snapshot: a restore of it, or a verify of
    /// it or of every snapshot. A catalog failure counts as reading (never remove on doubt).
    pub fn reads_snapshot(&self, catalog: &crate::backend::catalog::Catalog, vault_id: &str, snapshot_id: &str) -> bool {
        let ids: Vec<String> = self.running().iter().filter(|(_, r)| r.vault_id == vault_id).map(|(id, _)| id.clone()).collect();
        ids.iter().any(|id| match catalog.job(id) {
            Ok(Some(j)) => match j.kind.as_str() {
                "RESTORE" | "SQLRESTORE" => j.snapshot_id == snapshot_id,
                "VERIFY" => j.snapshot_id.is_empty() || j.snapshot_id == snapshot_id,
                _ => false,
            },
            Ok(None) => false,
            Err(_) => true,
        })
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
        self.spawn_on(state, job_id, vault_id, true, work)
    }

    /// `spawn` for a job a remote agent runs: it takes no worker of the pools (it waits for,
    /// and runs on, the agent), and it is RUNNING from the moment the agent claims it
    /// (`backend::agents`), CREATED until then.
    pub fn spawn_remote<F, Fut>(&self, state: &AppState, job_id: String, vault_id: String, work: F)
    where
        F: FnOnce(Arc<Progress>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Outcome, StorageError>> + Send + 'static,
    {
        self.spawn_on(state, job_id, vault_id, false, work)
    }

    fn spawn_on<F, Fut>(&self, state: &AppState, job_id: String, vault_id: String, pooled: bool, work: F)
    where
        F: FnOnce(Arc<Progress>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Outcome, StorageError>> + Send + 'static,
    {
        let progress = Arc::new(Progress::default());
        self.running().insert(job_id.clone(), Running { vault_id: vault_id.clone(), progress: progress.clone() });
        let st = state.clone();
        tokio::spawn(async move {
            let _slot = match pooled {
                true => {
                    let Some(slot) = wait_for_worker(&st, &job_id, &progress).await else {
                        st.catalog.finish_job(&job_id, JOB_CANCELED, "The job was canceled while it waited for a worker.", None, "{}").or_log_job(&job_id, "job cancel");
                        st.jobs.running().remove(&job_id);
                        return;
                    };
                    st.catalog.start_job(&job_id).or_log_job(&job_id, "job start");
                    Some(slot)
                }
                false => None,
            };
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
            match st.catalog.job(&job_id) {
                Ok(Some(row)) => crate::backend::alerts::job_ended(&st, &row),
                Ok(None) => {}
                Err(e) => tracing::warn!(%job_id, %e, "cannot read the ended job for its alert"),
            }
            if status == JOB_FAILED || status == JOB_CANCELED {
                // A failed or canceled job may have left packs behind: StorageSize says so.
                crate::backend::server::prune::refresh_storage_size(&st, &vault_id).await;
            }
        });
    }
}

/// Removes finished jobs older than `[jobs] history_days` from the catalog, at start and hourly
/// (in batches, so requests are not held up behind one long statement).
pub async fn trim_history(st: AppState) {
    if st.jobs.history_days == 0 {
        return;
    }
    loop {
        let cutoff = crate::backend::catalog::now() - (st.jobs.history_days as i64) * 86_400;
        let mut removed = 0;
        loop {
            match st.catalog.trim_job_history(cutoff, 5_000) {
                Ok(0) => break,
                Ok(n) => removed += n,
                Err(e) => {
                    tracing::warn!(%e, "cannot trim the job history");
                    break;
                }
            }
            tokio::task::yield_now().await;
        }
        if removed > 0 {
            tracing::info!(removed, days = st.jobs.history_days, "old finished jobs removed from the catalog");
        }
        tokio::time::sleep(TRIM_INTERVAL).await;
    }
}

/// Waits for a worker of the job's pool; `None` when the job was canceled meanwhile. While it
/// waits the job's row says so.
async fn wait_for_worker(st: &AppState, job_id: &str, progress: &Progress) -> Option<tokio::sync::OwnedSemaphorePermit> {
    let kind = match st.catalog.job(job_id) {
        Ok(Some(j)) => j.kind,
        _ => String::new(),
    };
    let pool = st.jobs.pool(&kind);
    if let Ok(permit) = pool.slots.clone().try_acquire_owned() {
        return Some(permit);
    }
    let message = format!("Waiting for a free {} worker: all {} are busy; it starts when one is free.", pool.name, pool.size);
    st.catalog.set_job_message(job_id, &message).or_log_job(job_id, "job waiting");
    loop {
        if progress.cancel.load(Ordering::SeqCst) {
            return None;
        }
        if let Ok(Ok(permit)) = tokio::time::timeout(Duration::from_millis(250), pool.slots.clone().acquire_owned()).await {
            return Some(permit);
        }
    }
}

fn write_progress(st: &AppState, job_id: &str, p: &Progress, started: Instant) {
    let started = p.started.get().copied().unwrap_or(started);
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
    if st.catalog.snapshot(vault_id, &m.snapshot_id)?.is_some() {
        return Ok(()); // catalogued before (reconcile at start walks every manifest)
    }
    let mut row = SnapshotRow {
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
        ..Default::default()
    };
    // Retention, ExpireTime and plan from the manifest's meta (`retention::retention_of`).
    crate::backend::retention::retention_of(&st.catalog, &mut row)?;
    st.catalog.insert_snapshot(&row)
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
