//! Mirror replication. One worker pass per mirror: snapshots committed in the source after the
//! mirror exists are copied at once (real time, woken by every commit); older ones wait until
//! the mirror's historical start time. A copy moves only the packs the mirror lacks, manifest
//! last; a failing location pauses the mirror with its reason and retries with backoff.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{Mutex as AsyncMutex, Notify, OwnedMutexGuard};

use crate::api::replication::{KIND_HISTORICAL, KIND_REALTIME};
use crate::api::vault::{Vault, REPL_ERROR, REPL_PAUSED, REPL_SYNCING};
use crate::backend::catalog::{now, HistoryRow, MirrorPair, VaultRow};
use crate::backend::jobs::catalog_snapshot;
use crate::backend::state::AppState;
use crate::backend::storage::{Progress, StorageError};

/// Longest wait between retries of a failing mirror.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Replicator {
    wake: Notify,
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    busy: Mutex<HashSet<String>>,
    /// Per mirror: consecutive failures and when to try again.
    backoff: Mutex<HashMap<String, (u32, Instant)>>,
    /// Per mirror: recent copy throughput in bytes/s, for the ETA.
    throughput: Mutex<HashMap<String, f64>>,
    /// Mirrors a pass skipped because their sync was running: a commit may have woken that pass,
    /// so the running sync triggers another pass when it ends (else it waits for the 1 s tick).
    rerun: Mutex<HashSet<String>>,
}

fn unix_now_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

impl Replicator {
    /// Runs a pass now (after a commit, a new mirror, a settings change).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Forgets every backoff and runs a pass now (a region came back).
    pub fn retry_now(&self) {
        self.backoff.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.wake();
    }

    /// Held while a mirror is copied to or deleted, so a delete never races a copy.
    pub async fn lock_mirror(&self, vault_id: &str) -> OwnedMutexGuard<()> {
        let lock = self.locks.lock().unwrap_or_else(|p| p.into_inner()).entry(vault_id.to_string()).or_default().clone();
        lock.lock_owned().await
    }

    pub fn eta_seconds(&self, v: &Vault, bytes_pending: i64) -> i64 {
        if bytes_pending <= 0 {
            return 0;
        }
        let mirror = if v.replication { &v.vault_id } else { &v.replication_target_vault_id };
        let rate = self.throughput.lock().unwrap_or_else(|p| p.into_inner()).get(mirror).copied().unwrap_or(0.0);
        let limit = v.replication_rate_limit as f64;
        let rate = if limit > 0.0 && (rate == 0.0 || rate > limit) { limit } else { rate };
        if rate <= 0.0 {
            0
        } else {
            (bytes_pending as f64 / rate).ceil() as i64
        }
    }

    /// The scheduler: a pass per wake-up or every second.
    pub async fn run(state: AppState) {
        loop {
            Self::pass(&state);
            tokio::select! {
                _ = state.replicator.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    fn pass(state: &AppState) {
        let pairs = match state.catalog.mirror_pairs() {
            Ok(p) => p,
            Err(e) => return tracing::error!(%e, "replication: cannot list mirrors"),
        };
        for pair in pairs {
            let mirror_id = pair.0.clone();
            if let Some((_, at)) = state.replicator.backoff.lock().unwrap_or_else(|p| p.into_inner()).get(&mirror_id) {
                if Instant::now() < *at {
                    continue;
                }
            }
            if !state.replicator.busy.lock().unwrap_or_else(|p| p.into_inner()).insert(mirror_id.clone()) {
                state.replicator.rerun.lock().unwrap_or_else(|p| p.into_inner()).insert(mirror_id.clone());
                continue;
            }
            let st = state.clone();
            tokio::spawn(async move {
                let result = sync_mirror(&st, &pair).await;
                let r = &st.replicator;
                match result {
                    Ok(()) => {
                        r.backoff.lock().unwrap_or_else(|p| p.into_inner()).remove(&pair.0);
                    }
                    Err((status, message)) => {
                        tracing::warn!(mirror = %pair.0, %message, "replication {status}");
                        let _ = st.catalog.set_replication_status(&pair.0, status, &message);
                        let mut b = r.backoff.lock().unwrap_or_else(|p| p.into_inner());
                        let n = b.get(&pair.0).map(|x| x.0 + 1).unwrap_or(1);
                        let wait = Duration::from_secs(1 << n.min(6)).min(MAX_BACKOFF);
                        b.insert(pair.0.clone(), (n, Instant::now() + wait));
                    }
                }
                r.busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&pair.0);
                if r.rerun.lock().unwrap_or_else(|p| p.into_inner()).remove(&pair.0) {
                    r.wake();
                }
            });
        }
    }
}

type SyncError = (&'static str, String);

fn paused(e: StorageError, which: &str, region: &str) -> SyncError {
    match e {
        StorageError::Unavailable(m) => (REPL_PAUSED, format!("The {which} region {region} is unavailable ({m}); replication resumes when it is back.")),
        other => (REPL_ERROR, format!("Replication failed reading or writing the {which} vault in {region}: {other}. Retrying with backoff.")),
    }
}

async fn sync_mirror(st: &AppState, (mirror_id, mirror_region, source_id, source_region): &MirrorPair) -> Result<(), SyncError> {
    let _guard = st.replicator.lock_mirror(mirror_id).await;
    let Some(mirror) = st.catalog.vault(mirror_id).map_err(|e| (REPL_ERROR, e.to_string()))? else { return Ok(()) };
    if mirror.source_vault_id.as_deref() != Some(source_id.as_str()) {
        return Ok(()); // detached or deleted meanwhile
    }
    let source_snaps = st.catalog.list_snapshots(source_id, None, None).map_err(|e| (REPL_ERROR, e.to_string()))?;
    let have: HashSet<String> =
        st.catalog.list_snapshots(mirror_id, None, None).map_err(|e| (REPL_ERROR, e.to_string()))?.into_iter().map(|s| s.snapshot_id).collect();
    let missing: Vec<_> = source_snaps.into_iter().filter(|s| !have.contains(&s.snapshot_id)).collect();
    let t = now();
    let historical_due = t >= mirror.repl.historical_start_time;
    let (realtime, historical): (Vec<_>, Vec<_>) = missing.into_iter().partition(|s| s.seq > mirror.repl.mirror_since_seq);
    if realtime.is_empty() && (historical.is_empty() || !historical_due) {
        if !mirror.repl.historical_done && historical.is_empty() && historical_due {
            let _ = st.catalog.set_historical_progress(mirror_id, mirror.repl.historical_bytes_total, mirror.repl.historical_bytes_total, true);
        }
        let _ = st.catalog.set_replication_pending(mirror_id, 0, 0);
        clear_error(st, &mirror);
        return Ok(());
    }
    let source = st.hub.repo(source_region, source_id).await.map_err(|e| paused(e, "source", source_region))?;
    let target = st.hub.repo(mirror_region, mirror_id).await.map_err(|e| paused(e, "mirror", mirror_region))?;
    clear_error(st, &mirror);
    let _ = st.catalog.set_replication_status(mirror_id, REPL_SYNCING, "");

    // Pending bytes (what a copy would move now) and the lag of the oldest due snapshot.
    let mut due: Vec<(_, &str)> = realtime.iter().map(|s| (s, KIND_REALTIME)).collect();
    if historical_due {
        due.extend(historical.iter().map(|s| (s, KIND_HISTORICAL)));
    }
    // What each due snapshot would move, computed once: the pending bytes and, when the
    // historical sync starts, its total both come from it.
    let mut missing = Vec::with_capacity(due.len());
    for (s, _) in &due {
        missing.push(source.bytes_missing_in(&target, &s.snapshot_id).await.map_err(|e| paused(e, "source", source_region))? as i64);
    }
    tracing::debug!(mirror = %mirror_id, snapshots = due.len(), "pending bytes computed");
    let mut pending: i64 = missing.iter().sum();
    let lag = due.iter().map(|(s, _)| t - s.complete_time).max().unwrap_or(0).max(0);
    let _ = st.catalog.set_replication_pending(mirror_id, pending, lag);
    if historical_due && !mirror.repl.historical_done && mirror.repl.historical_bytes_total == 0 {
        let total: i64 = due.iter().zip(&missing).filter(|((_, kind), _)| *kind == KIND_HISTORICAL).map(|(_, m)| *m).sum();
        let _ = st.catalog.set_historical_progress(mirror_id, total, 0, total == 0 && historical.is_empty());
    }

    let mut historical_done_bytes = mirror.repl.historical_bytes_done;
    for (snap, kind) in due {
        // Re-read the rate limit each snapshot, so an UpdateVault applies to the next copy.
        let rate = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.rate_limit).unwrap_or(0).max(0) as u64;
        let progress = Arc::new(Progress::default());
        let started = Instant::now();
        let start_time = now();
        let stats = source.copy_snapshot_to(&target, &snap.snapshot_id, rate, progress.clone()).await.map_err(|e| paused(e, "source or mirror", source_region))?;
        let secs = started.elapsed().as_secs_f64();
        let m = target.load_snapshot(&snap.snapshot_id).await.map_err(|e| paused(e, "mirror", mirror_region))?;
        catalog_snapshot(st, mirror_id, &m).map_err(|e| (REPL_ERROR, e.to_string()))?;
        let lag_seconds = if kind == KIND_REALTIME { (unix_now_f64() - snap.complete_time as f64).max(0.0) } else { 0.0 };
        let row = HistoryRow { snapshot_id: snap.snapshot_id.clone(), kind: kind.to_string(), bytes: stats.bytes_copied as i64, start_time, end_time: now(), lag_seconds };
        let _ = st.catalog.record_replication(mirror_id, &row, kind == KIND_REALTIME);
        if secs > 0.05 && stats.bytes_copied > 0 {
            st.replicator.throughput.lock().unwrap_or_else(|p| p.into_inner()).insert(mirror_id.clone(), stats.bytes_copied as f64 / secs);
        }
        pending = (pending - stats.bytes_copied as i64).max(0);
        let _ = st.catalog.set_replication_pending(mirror_id, pending, 0);
        if kind == KIND_HISTORICAL {
            historical_done_bytes += stats.bytes_copied as i64;
            let total = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.historical_bytes_total).unwrap_or(0);
            let _ = st.catalog.set_historical_progress(mirror_id, total, historical_done_bytes.min(total), false);
        }
        tracing::info!(mirror = %mirror_id, snapshot = %snap.snapshot_id, %kind, bytes = stats.bytes_copied, skipped = stats.packs_skipped, "snapshot replicated");
    }
    if historical_due {
        let total = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.historical_bytes_total).unwrap_or(0);
        let _ = st.catalog.set_historical_progress(mirror_id, total, total, true);
    }
    let _ = st.catalog.set_replication_pending(mirror_id, 0, 0);
    let _ = st.catalog.set_replication_status(mirror_id, "", "");
    if let Ok(size) = target.storage_size().await {
        let _ = st.catalog.set_storage_size(mirror_id, size as i64);
    }
    Ok(())
}

fn clear_error(st: &AppState, mirror: &VaultRow) {
    if mirror.repl.status == REPL_ERROR || mirror.repl.status == REPL_PAUSED {
        let _ = st.catalog.set_replication_status(&mirror.vault_id, "", "");
    }
}
