//! WORM (`WormEnabled`): in a WORM vault no snapshot leaves before its `ExpireTime`, retention
//! cannot be shortened, the vault cannot be deleted while it holds an unexpired snapshot, and
//! WORM is never turned off. The catalog's `worm_enabled` is what requests check; the marker
//! in the location (`storage/forget.rs`) makes a vault adopted from its location WORM again.
use crate::api::error as codes;
use crate::backend::catalog::{LogFailure, SnapshotRow, VaultRow};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;
use crate::backend::storage::StorageError;

/// True when WORM keeps the snapshot: the vault is WORM and the snapshot has not expired.
pub fn protects(st: &AppState, v: &VaultRow, s: &SnapshotRow) -> bool {
    v.worm_enabled && (s.expire_time == 0 || s.expire_time > st.retention.now())
}

/// 409 `SnapshotWormProtected` when WORM keeps the snapshot.
pub fn check_deletable(st: &AppState, v: &VaultRow, s: &SnapshotRow) -> ServerResult<()> {
    if protects(st, v, s) {
        let until = if s.expire_time == 0 {
            "it is kept until deleted, so it can never be deleted".to_string()
        } else {
            format!("it can be deleted from its ExpireTime {} on", s.expire_time)
        };
        return Err(ServerError::conflict(
            codes::SNAPSHOT_WORM_PROTECTED,
            format!("The vault {} is WORM and the snapshot {} has not expired: {until}.", v.vault_id, s.snapshot_id),
        ));
    }
    Ok(())
}

/// 409 `VaultWormProtected` when a WORM vault still holds an unexpired snapshot.
pub fn check_vault_deletable(st: &AppState, v: &VaultRow) -> ServerResult<()> {
    if !v.worm_enabled {
        return Ok(());
    }
    let n = st.catalog.unexpired_snapshot_count(&v.vault_id, st.retention.now())?;
    if n > 0 {
        return Err(ServerError::conflict(
            codes::VAULT_WORM_PROTECTED,
            format!("The vault {} is WORM and holds {n} snapshot(s) that have not expired; it can be deleted once they have.", v.vault_id),
        ));
    }
    Ok(())
}

/// Turns WORM on: the marker goes into the location first (so a crash never leaves a vault the
/// catalog calls WORM that a re-adoption would not), then the catalog. 409 `RegionUnavailable`
/// while the location cannot be written.
pub async fn enable(st: &AppState, v: &VaultRow) -> ServerResult<()> {
    let repo = st.hub.repo(&v.region_id, &v.vault_id).await.map_err(location_error)?;
    repo.write_worm_marker().await.map_err(location_error)?;
    st.catalog.set_worm(&v.vault_id)?;
    tracing::info!(vault_id = %v.vault_id, "WORM enabled");
    Ok(())
}

fn location_error(e: StorageError) -> ServerError {
    match e {
        StorageError::Unavailable(m) => ServerError::conflict(codes::REGION_UNAVAILABLE, m),
        other => ServerError::internal(other),
    }
}

/// Keeps the catalog and the marker in line (hourly and at start): a marker the catalog does
/// not know (a catalog restored from before WORM) makes the vault WORM; a WORM vault without a
/// marker (its initialisation was still running when WORM was set) gets one.
pub async fn sync_marker(st: &AppState, vault_id: &str, region: &str) {
    let Ok(Some(v)) = st.catalog.vault(vault_id) else { return };
    if v.status != crate::api::vault::STATUS_CREATED {
        return;
    }
    let Ok(repo) = st.hub.repo(region, vault_id).await else { return };
    match repo.worm_marker().await {
        Ok(true) if !v.worm_enabled => {
            tracing::info!(%vault_id, "the vault's location says WORM: WORM enabled in the catalog");
            st.catalog.set_worm(vault_id).map(|_| ()).or_log_vault(vault_id, "WORM from the location marker");
        }
        Ok(false) if v.worm_enabled => {
            if let Err(e) = repo.write_worm_marker().await {
                tracing::warn!(%vault_id, %e, "cannot write the WORM marker; retried on the next pass");
            }
        }
        Ok(_) => {}
        Err(e) => tracing::debug!(%vault_id, %e, "cannot read the WORM marker"),
    }
}
