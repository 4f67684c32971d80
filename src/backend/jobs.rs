//! Background jobs: backup, restore and verify run as tokio tasks on a vault's repository; their
//! progress lives in memory (`Progress`) and is written to the catalog every second.
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::api::backup::*;
use crate::api::error as codes;
use crate::backend::catalog::SnapshotRow;
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
}

/// What a finished job reports.
pub struct Outcome {
    pub snapshot_id: Option<String>,
    pub result: serde_json::Value,
    /// A job can finish with an error message but still have produced results (e.g. a restore
    /// where some files failed); it is then FAILED.
    pub error: Option<String>,
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
        self.running().insert(job_id.clone(), Running { vault_id, progress: progress.clone() });
        let st = state.clone();
        tokio::spawn(async move {
            let _ = st.catalog.start_job(&job_id);
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
                    let partial = o.result.get("PartialComplete").and_then(serde_json::Value::as_bool) == Some(true);
                    let status = if o.error.is_some() { JOB_FAILED } else if partial { JOB_PARTIAL_COMPLETE } else { JOB_COMPLETE };
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
        });
    }
}

fn write_progress(st: &AppState, job_id: &str, p: &Progress, started: Instant) {
    let done = p.bytes_done.load(Ordering::Relaxed) as i64;
    let secs = started.elapsed().as_secs_f64().max(0.001);
    let _ = st.catalog.job_progress(
        job_id,
        p.bytes_total.load(Ordering::Relaxed) as i64,
        done,
        p.items_total.load(Ordering::Relaxed) as i64,
        p.items_done.load(Ordering::Relaxed) as i64,
        (done as f64 / secs) as i64,
    );
}

/// Catalogues a snapshot written to `vault_id`'s location.
pub fn catalog_snapshot(st: &AppState, vault_id: &str, m: &SnapshotManifest) -> rusqlite::Result<()> {
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

/// Brings the catalog in line with what the locations hold: snapshots whose manifest was written
/// but not catalogued (a crash between the two), and whole vaults found in a location but unknown
/// to the catalog (a lost or wiped catalog: the locations are self-describing).
pub async fn reconcile(st: &AppState) {
    adopt_unknown_vaults(st).await;
    let vaults = match st.catalog.vault_ids() {
        Ok(v) => v,
        Err(e) => return tracing::error!(%e, "reconcile: cannot list vaults"),
    };
    for (vault_id, region) in vaults {
        let Ok(repo) = st.hub.repo(&region, &vault_id).await else { continue };
        match repo.list_snapshots().await {
            Ok(list) => {
                for m in &list {
                    if let Err(e) = catalog_snapshot(st, &vault_id, m) {
                        tracing::error!(%vault_id, %e, "reconcile: cannot catalogue snapshot");
                    }
                }
            }
            Err(e) => tracing::warn!(%vault_id, %e, "reconcile: cannot list snapshots"),
        }
        if let Ok(size) = repo.storage_size().await {
            let _ = st.catalog.set_storage_size(&vault_id, size as i64);
        }
    }
}

async fn adopt_unknown_vaults(st: &AppState) {
    let known: std::collections::HashSet<String> = match st.catalog.vault_ids() {
        Ok(v) => v.into_iter().map(|(id, _)| id).collect(),
        Err(_) => return,
    };
    for region in st.hub.regions() {
        if region.location.is_offline() {
            continue;
        }
        let Ok(found) = region.location.list_vaults().await else { continue };
        for vault_id in found.into_iter().filter(|v| !known.contains(v)) {
            let (status, message, encrypt_type) = match st.hub.repo(&region.region_id, &vault_id).await {
                Ok(repo) => (crate::api::vault::STATUS_CREATED, String::new(), repo.encrypt_type()),
                Err(e) => (crate::api::vault::STATUS_ERROR, format!("Found in the storage location but cannot be opened: {e}"), String::new()),
            };
            let name = format!("recovered-{vault_id}");
            let inserted = st.catalog.insert_vault(&crate::backend::catalog::NewVault {
                vault_id: &vault_id,
                vault_name: &name,
                description: "Recovered from its storage location",
                region_id: &region.region_id,
                encrypt_type: &encrypt_type,
                kms_key_id: "",
                is_mirror: false,
                source_vault_id: None,
                historical_start_time: 0,
                status,
            });
            match inserted {
                Ok(()) => {
                    if !message.is_empty() {
                        let _ = st.catalog.set_vault_status(&vault_id, status, &message);
                    }
                    tracing::info!(%vault_id, region = %region.region_id, status, "vault recovered from its storage location");
                }
                Err(e) if crate::backend::catalog::is_constraint(&e) => {} // created meanwhile
                Err(e) => tracing::error!(%vault_id, %e, "cannot adopt vault"),
            }
        }
    }
}

/// Marks a vault whose data vanished from its location (a lost or emptied region, a deleted
/// bucket prefix) `ERROR` with a message that says so, and back to `CREATED` when it reappears.
/// Without this a vault whose storage is gone would keep showing `CREATED`.
pub const MISSING_DATA_PREFIX: &str = "The vault's data is missing from its storage location";

/// How often `watch_locations` looks.
pub const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3);

pub async fn watch_locations(st: AppState) {
    loop {
        tokio::time::sleep(WATCH_INTERVAL).await;
        check_locations(&st).await;
    }
}

pub async fn check_locations(st: &AppState) {
    use crate::api::vault::{STATUS_CREATED, STATUS_ERROR};
    let Ok(vaults) = st.catalog.vault_ids() else { return };
    for (vault_id, region) in vaults {
        let Ok(Some(v)) = st.catalog.vault(&vault_id) else { continue };
        let flagged = v.status == STATUS_ERROR && v.status_message.starts_with(MISSING_DATA_PREFIX);
        if v.status != STATUS_CREATED && !flagged {
            continue; // initializing, or in error for another reason
        }
        let Some(r) = st.hub.region(&region) else { continue };
        if r.location.is_offline() {
            continue; // an outage drill is reported separately
        }
        match st.hub.vault_present(&region, &vault_id).await {
            Ok(false) if !flagged => {
                let mirror = match (&v.target, &v.source_vault_id) {
                    (Some((m, mr, _)), _) => format!(" Restore from its mirror vault {m} in {mr}."),
                    (None, Some(src)) => format!(" Its source vault {src} still holds the snapshots."),
                    _ => String::new(),
                };
                let message = format!(
                    "{MISSING_DATA_PREFIX} {} (vaults/{vault_id}/config not found): the region's storage was lost or emptied.{mirror}",
                    r.location.describe()
                );
                tracing::error!(%vault_id, %region, "vault data missing from its location");
                st.hub.forget(&vault_id);
                let _ = st.catalog.set_vault_status(&vault_id, STATUS_ERROR, &message);
            }
            Ok(true) if flagged => {
                tracing::info!(%vault_id, %region, "vault data is back in its location");
                st.hub.forget(&vault_id);
                let _ = st.catalog.set_vault_status(&vault_id, STATUS_CREATED, "");
            }
            _ => {}
        }
    }
}
