//! One mirror's sync: the snapshots it lacks, split into real time (committed after the mirror
//! was attached, copied at once) and historical (older, copied from the historical start time
//! on), never one the mirror dropped (`deleted_snapshots`); the pending bytes and lag; then the
//! copies, each recorded in the history.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::api::replication::{KIND_HISTORICAL, KIND_REALTIME};
use crate::api::vault::{REPL_ERROR, REPL_PAUSED, REPL_SYNCING};
use crate::backend::catalog::{now, HistoryRow, LogFailure, MirrorPair, VaultRow};
use crate::backend::jobs::catalog_snapshot;
use crate::backend::state::AppState;
use crate::backend::storage::{Progress, StorageError};

fn unix_now_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

pub(super) type SyncError = (&'static str, String);

/// How often a copy in progress updates the mirror's pending bytes and historical progress.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

fn paused(e: StorageError, which: &str, region: &str) -> SyncError {
    match e {
        StorageError::Unavailable(m) => (REPL_PAUSED, format!("The {which} region {region} is unavailable ({m}); replication resumes when it is back.")),
        other => (REPL_ERROR, format!("Replication failed reading or writing the {which} vault in {region}: {other}. Retrying with backoff.")),
    }
}

pub(super) async fn sync_mirror(st: &AppState, (mirror_id, mirror_region, source_id, source_region): &MirrorPair) -> Result<(), SyncError> {
    let _guard = st.replicator.lock_mirror(mirror_id).await;
    let Some(mirror) = st.catalog.vault(mirror_id).map_err(|e| (REPL_ERROR, e.to_string()))? else { return Ok(()) };
    if mirror.source_vault_id.as_deref() != Some(source_id.as_str()) {
        return Ok(()); // detached or deleted meanwhile
    }
    let source_snaps = st.catalog.list_snapshots(source_id, None, None).map_err(|e| (REPL_ERROR, e.to_string()))?;
    let have: HashSet<String> =
        st.catalog.list_snapshots(mirror_id, None, None).map_err(|e| (REPL_ERROR, e.to_string()))?.into_iter().map(|s| s.snapshot_id).collect();
    // A snapshot the mirror dropped (deleted, expired by its own retention) is never copied again.
    let dropped = st.catalog.deleted_snapshot_ids(mirror_id).map_err(|e| (REPL_ERROR, e.to_string()))?;
    let missing: Vec<_> = source_snaps.into_iter().filter(|s| !have.contains(&s.snapshot_id) && !dropped.contains(&s.snapshot_id)).collect();
    let t = now();
    let historical_due = t >= mirror.repl.historical_start_time;
    let (realtime, historical): (Vec<_>, Vec<_>) = missing.into_iter().partition(|s| s.seq > mirror.repl.mirror_since_seq);
    if realtime.is_empty() && (historical.is_empty() || !historical_due) {
        if !mirror.repl.historical_done && historical.is_empty() && historical_due {
            st.catalog.set_historical_progress(mirror_id, mirror.repl.historical_bytes_total, mirror.repl.historical_bytes_total, true).or_log_vault(mirror_id, "historical progress");
        }
        st.catalog.set_replication_pending(mirror_id, 0, 0).or_log_vault(mirror_id, "pending bytes");
        clear_error(st, &mirror);
        return Ok(());
    }
    let began = Instant::now();
    let source = st.hub.repo(source_region, source_id).await.map_err(|e| paused(e, "source", source_region))?;
    let target = st.hub.repo(mirror_region, mirror_id).await.map_err(|e| paused(e, "mirror", mirror_region))?;
    tracing::debug!(mirror = %mirror_id, opened = ?began.elapsed(), "source and mirror open");
    clear_error(st, &mirror);
    st.catalog.set_replication_status(mirror_id, REPL_SYNCING, "").or_log_vault(mirror_id, "replication status");

    // Pending bytes (what a copy would move now) and the lag of the oldest due snapshot.
    let mut due: Vec<(_, &str)> = realtime.iter().map(|s| (s, KIND_REALTIME)).collect();
    if historical_due {
        due.extend(historical.iter().map(|s| (s, KIND_HISTORICAL)));
    }
    // What each due snapshot would move, computed once: the pending bytes and, when the
    // historical sync starts, its total both come from it.
    let ids: Vec<&str> = due.iter().map(|(s, _)| s.snapshot_id.as_str()).collect();
    let missing: Vec<i64> = source.bytes_missing_in_each(&target, &ids).await.map_err(|e| paused(e, "source", source_region))?.into_iter().map(|b| b as i64).collect();
    tracing::debug!(mirror = %mirror_id, snapshots = due.len(), since_open = ?began.elapsed(), "pending bytes computed");
    let mut pending: i64 = missing.iter().sum();
    let lag = due.iter().map(|(s, _)| t - s.complete_time).max().unwrap_or(0).max(0);
    st.catalog.set_replication_pending(mirror_id, pending, lag).or_log_vault(mirror_id, "pending bytes");
    if historical_due && !mirror.repl.historical_done && mirror.repl.historical_bytes_total == 0 {
        let total: i64 = due.iter().zip(&missing).filter(|((_, kind), _)| *kind == KIND_HISTORICAL).map(|(_, m)| *m).sum();
        st.catalog.set_historical_progress(mirror_id, total, 0, total == 0 && historical.is_empty()).or_log_vault(mirror_id, "historical progress");
    }

    let mut historical_done_bytes = mirror.repl.historical_bytes_done;
    for (snap, kind) in due {
        // Re-read the rate limit each snapshot, so an UpdateVault applies to the next copy.
        let rate = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.rate_limit).unwrap_or(0).max(0) as u64;
        let progress = Arc::new(Progress::default());
        let started = Instant::now();
        let start_time = now();
        let copy = source.copy_snapshot_to(&target, &snap.snapshot_id, rate, progress.clone());
        tokio::pin!(copy);
        // While the packs land: the pending bytes, the historical progress and the throughput
        // (so the ETA) move with them, not only when the whole snapshot is in.
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        tick.tick().await;
        let copied = loop {
            tokio::select! {
                r = &mut copy => break r,
                _ = tick.tick() => {
                    let done = progress.bytes_done.load(std::sync::atomic::Ordering::Relaxed) as i64;
                    st.catalog.set_replication_pending(mirror_id, (pending - done).max(0), 0).or_log_vault(mirror_id, "pending bytes");
                    st.replicator.record_throughput(mirror_id, done as u64, started.elapsed().as_secs_f64());
                    if kind == KIND_HISTORICAL {
                        let total = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.historical_bytes_total).unwrap_or(0);
                        st.catalog.set_historical_progress(mirror_id, total, (historical_done_bytes + done).min(total), false).or_log_vault(mirror_id, "historical progress");
                    }
                }
            }
        };
        let stats = copied.map_err(|e| paused(e, "source or mirror", source_region))?;
        let secs = started.elapsed().as_secs_f64();
        let m = target.load_snapshot(&snap.snapshot_id).await.map_err(|e| paused(e, "mirror", mirror_region))?;
        catalog_snapshot(st, mirror_id, &m).map_err(|e| (REPL_ERROR, e.to_string()))?;
        let lag_seconds = if kind == KIND_REALTIME { (unix_now_f64() - snap.complete_time as f64).max(0.0) } else { 0.0 };
        let row = HistoryRow { snapshot_id: snap.snapshot_id.clone(), kind: kind.to_string(), bytes: stats.bytes_copied as i64, start_time, end_time: now(), lag_seconds };
        st.catalog.record_replication(mirror_id, &row, kind == KIND_REALTIME).or_log_vault(mirror_id, "replication history");
        st.replicator.record_throughput(mirror_id, stats.bytes_copied, secs);
        pending = (pending - stats.bytes_copied as i64).max(0);
        st.catalog.set_replication_pending(mirror_id, pending, 0).or_log_vault(mirror_id, "pending bytes");
        if kind == KIND_HISTORICAL {
            historical_done_bytes += stats.bytes_copied as i64;
            let total = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.historical_bytes_total).unwrap_or(0);
            st.catalog.set_historical_progress(mirror_id, total, historical_done_bytes.min(total), false).or_log_vault(mirror_id, "historical progress");
        }
        tracing::info!(mirror = %mirror_id, snapshot = %snap.snapshot_id, %kind, bytes = stats.bytes_copied, skipped = stats.packs_skipped, "snapshot replicated");
    }
    if historical_due {
        let total = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.historical_bytes_total).unwrap_or(0);
        st.catalog.set_historical_progress(mirror_id, total, total, true).or_log_vault(mirror_id, "historical progress");
    }
    st.catalog.set_replication_pending(mirror_id, 0, 0).or_log_vault(mirror_id, "pending bytes");
    st.catalog.set_replication_status(mirror_id, "", "").or_log_vault(mirror_id, "replication status");
    crate::backend::server::prune::refresh_sizes_of(st, mirror_id, &target).await;
    Ok(())
}

fn clear_error(st: &AppState, mirror: &VaultRow) {
    if mirror.repl.status == REPL_ERROR || mirror.repl.status == REPL_PAUSED {
        st.catalog.set_replication_status(&mirror.vault_id, "", "").or_log_vault(&mirror.vault_id, "replication status");
    }
}
