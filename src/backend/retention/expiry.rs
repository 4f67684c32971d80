//! Expiry: snapshots whose `ExpireTime` passed leave their vault after each backup commit of
//! the vault, after each replication pass of a mirror, and at least hourly for every vault —
//! except the newest of a plan/client that keeps its latest, and a snapshot a running restore
//! or verify reads (it goes on a later pass).
//!
//! One removal (`remove_snapshot`, also `DeleteSnapshot`'s): the manifest leaves the location
//! first (a crash after it leaves a catalog row without manifest, which the next pass or a
//! restart's reconcile cannot bring back), then the catalog row goes and `deleted_snapshots`
//! records it, in one transaction.
use std::time::Duration;

use crate::backend::catalog::{LogFailure, REASON_EXPIRED};
use crate::backend::state::AppState;
use crate::backend::storage::{Repo, StorageError};

/// How often every vault is checked for expired snapshots.
pub const EXPIRY_INTERVAL: Duration = Duration::from_secs(3600);

/// Removes one snapshot from a vault: storage first, then the catalog row and the record of
/// the removal. Holds the mirror lock of the vault (no copy into it or delete of it meanwhile).
pub async fn remove_snapshot(st: &AppState, repo: &Repo, vault_id: &str, snapshot_id: &str, reason: &str) -> Result<(), StorageError> {
    let _one = st.retention.removal_lock().await;
    let _vault = st.replicator.lock_mirror(vault_id).await;
    repo.delete_snapshot(snapshot_id).await?;
    st.catalog.forget_snapshot(vault_id, snapshot_id, reason).map_err(|e| StorageError::Internal(e.to_string()))?;
    tracing::info!(%vault_id, %snapshot_id, %reason, "snapshot removed from the vault");
    Ok(())
}

/// Removes the vault's expired snapshots; returns how many went.
pub async fn expire_vault(st: &AppState, vault_id: &str) -> usize {
    let now = st.retention.now();
    let expired = match st.catalog.expired_snapshots(vault_id, now) {
        Ok(rows) if rows.is_empty() => return 0,
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!(%vault_id, %e, "expiry: cannot list expired snapshots");
            return 0;
        }
    };
    let Ok(Some(vault)) = st.catalog.vault(vault_id) else { return 0 };
    let repo = match st.hub.repo(&vault.region_id, vault_id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(%vault_id, %e, "expiry: the vault cannot be opened now; its expired snapshots go on a later pass");
            return 0;
        }
    };
    let mut removed = 0;
    for s in expired {
        if st.jobs.reads_snapshot(&st.catalog, vault_id, &s.snapshot_id) {
            tracing::info!(%vault_id, snapshot_id = %s.snapshot_id, "expiry: a running job reads the snapshot; it goes on a later pass");
            continue;
        }
        match remove_snapshot(st, &repo, vault_id, &s.snapshot_id, REASON_EXPIRED).await {
            Ok(()) => removed += 1,
            Err(e) => {
                tracing::warn!(%vault_id, snapshot_id = %s.snapshot_id, %e, "expiry: cannot remove the snapshot; retried on the next pass");
                break;
            }
        }
    }
    if removed > 0 {
        if let Ok(size) = repo.storage_size().await {
            st.catalog.set_storage_size(vault_id, size as i64).or_log_vault(vault_id, "storage size after expiry");
        }
    }
    removed
}

/// One pass over every vault whose region is reachable: expiry, and WORM markers kept in line.
pub async fn expire_all(st: &AppState) -> usize {
    let vaults = match st.catalog.vault_ids() {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(%e, "expiry: cannot list vaults");
            return 0;
        }
    };
    let mut removed = 0;
    for (vault_id, region) in vaults {
        if st.hub.region(&region).map(|r| r.location.is_offline()).unwrap_or(true) {
            continue;
        }
        super::worm::sync_marker(st, &vault_id, &region).await;
        removed += expire_vault(st, &vault_id).await;
    }
    removed
}

/// The hourly expiry worker (its first pass at start).
pub async fn run(st: AppState) {
    loop {
        expire_all(&st).await;
        tokio::time::sleep(EXPIRY_INTERVAL).await;
    }
}
