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
    // Read while the pending bytes and the catalog are seen to (the copy needs them).
    source.prefetch_snapshots(&ids);
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
    let kinds: Vec<&str> = due.iter().map(|(_, k)| *k).collect();
    for batch in batches(&kinds, &missing) {
        let batch = &due[batch];
        let kind = batch[0].1;
        // Re-read the rate limit each batch, so an UpdateVault applies to the next copy.
        let rate = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.rate_limit).unwrap_or(0).max(0) as u64;
        let progress = Arc::new(Progress::default());
        let started = Instant::now();
        let start_time = now();
        let ids: Vec<&str> = batch.iter().map(|(s, _)| s.snapshot_id.as_str()).collect();
        let copy = source.copy_snapshots_to(&target, &ids, rate, progress.clone());
        tokio::pin!(copy);
        // While the packs land: the pending bytes, the historical progress and the throughput
        // (so the ETA) move with them, not only when the whole batch is in.
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
        let each = copied.map_err(|e| paused(e, "source or mirror", source_region))?;
        let secs = started.elapsed().as_secs_f64();
        for ((snap, kind), (stats, m)) in batch.iter().zip(&each) {
            catalog_snapshot(st, mirror_id, m).map_err(|e| (REPL_ERROR, e.to_string()))?;
            let lag_seconds = if *kind == KIND_REALTIME { (unix_now_f64() - snap.complete_time as f64).max(0.0) } else { 0.0 };
            let row = HistoryRow { snapshot_id: snap.snapshot_id.clone(), kind: kind.to_string(), bytes: stats.bytes_copied as i64, start_time, end_time: now(), lag_seconds };
            st.catalog.record_replication(mirror_id, &row, *kind == KIND_REALTIME).or_log_vault(mirror_id, "replication history");
            pending = (pending - stats.bytes_copied as i64).max(0);
            if *kind == KIND_HISTORICAL {
                historical_done_bytes += stats.bytes_copied as i64;
            }
            tracing::info!(mirror = %mirror_id, snapshot = %snap.snapshot_id, %kind, bytes = stats.bytes_copied, skipped = stats.packs_skipped, "snapshot replicated");
        }
        st.replicator.record_throughput(mirror_id, each.iter().map(|(s, _)| s.bytes_copied).sum(), secs);
        st.catalog.set_replication_pending(mirror_id, pending, 0).or_log_vault(mirror_id, "pending bytes");
        if kind == KIND_HISTORICAL {
            let total = st.catalog.vault(mirror_id).ok().flatten().map(|v| v.repl.historical_bytes_total).unwrap_or(0);
            st.catalog.set_historical_progress(mirror_id, total, historical_done_bytes.min(total), false).or_log_vault(mirror_id, "historical progress");
        }
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

/// What one transfer copies at most: a batch of due snapshots closes before the one that would
/// take it past this many bytes, so a long backlog still lands in the mirror snapshot after
/// snapshot every so often, and a sync of many small snapshots pays one listing, one index and
/// one pass of copies instead of one per snapshot.
const BATCH_BYTES: i64 = 256 << 20;

/// Consecutive runs of `kinds` of one kind, each moving at most `BATCH_BYTES` of `missing`
/// (or one snapshot, when it alone moves more).
fn batches(kinds: &[&str], missing: &[i64]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for i in 0..kinds.len() {
        let m = missing.get(i).copied().unwrap_or(0);
        if i > start && (kinds[i] != kinds[start] || bytes + m > BATCH_BYTES) {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += m;
    }
    if start < kinds.len() {
        out.push(start..kinds.len());
    }
    out
}

fn clear_error(st: &AppState, mirror: &VaultRow) {
    if mirror.repl.status == REPL_ERROR || mirror.repl.status == REPL_PAUSED {
        st.catalog.set_replication_status(&mirror.vault_id, "", "").or_log_vault(&mirror.vault_id, "replication status");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_one_kind_and_a_byte_budget() {
        let (r, h) = (KIND_REALTIME, KIND_HISTORICAL);
        assert!(batches(&[], &[]).is_empty());
        assert_eq!(batches(&[r, r, h, h, h], &[1, 2, 3, 4, 5]), vec![0..2, 2..5]);
        let big = BATCH_BYTES / 2 + 1;
        assert_eq!(batches(&[h, h, h, h], &[big, big, 1, BATCH_BYTES * 3]), vec![0..1, 1..3, 3..4]);
        assert_eq!(batches(&[h, h], &[0, BATCH_BYTES]), vec![0..2]);
    }
}
