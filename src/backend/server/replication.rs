//! Replication detail actions (the product's own, in the same dialect).
use crate::api::error as codes;
use crate::api::replication::*;
use crate::api::Page;
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

use super::backup::{check_usable, storage_error};
use super::vault_row;

/// The mirror named by `VaultId`: the vault itself when it is a mirror, else its mirror.
fn mirror_of(state: &AppState, vault_id: &str) -> ServerResult<crate::backend::catalog::VaultRow> {
    let v = vault_row(state, vault_id)?;
    if v.is_mirror {
        return Ok(v);
    }
    match &v.target {
        Some((mirror, _, _)) => vault_row(state, mirror),
        None => Err(ServerError::conflict(codes::NOT_A_MIRROR, format!("The vault {} has no mirror vault.", v.vault_id))),
    }
}

pub fn history(state: &AppState, r: DescribeReplicationHistoryRequest) -> ServerResult<DescribeReplicationHistoryResponse> {
    let mirror = mirror_of(state, &r.vault_id)?;
    let (page_number, page_size) = r.paging.resolve(100);
    let (total, rows) = state.catalog.replication_history(&mirror.vault_id, page_number, page_size)?;
    let record = rows
        .into_iter()
        .map(|h| ReplicationRecord { snapshot_id: h.snapshot_id, kind: h.kind, bytes: h.bytes, start_time: h.start_time, end_time: h.end_time, lag_seconds: h.lag_seconds })
        .collect();
    Ok(DescribeReplicationHistoryResponse { page: Page { total_count: total, page_number, page_size }, records: ReplicationRecords { record } })
}

/// Starts the historical sync at once.
pub fn sync_now(state: &AppState, r: SyncReplicationVaultNowRequest) -> ServerResult<serde_json::Value> {
    let mirror = mirror_of(state, &r.vault_id)?;
    if mirror.source_vault_id.is_none() {
        return Err(ServerError::conflict(codes::NOT_A_MIRROR, format!("The vault {} no longer replicates from a source.", mirror.vault_id)));
    }
    state.catalog.start_historical_now(&mirror.vault_id)?;
    state.replicator.wake();
    Ok(serde_json::json!({ "VaultId": mirror.vault_id }))
}

/// Re-fetches damaged or missing objects of one copy from the other, verified by hash.
/// `VaultId` is the vault to repair (a source or a mirror).
pub async fn repair(state: &AppState, r: RepairVaultFromMirrorRequest) -> ServerResult<RepairResponse> {
    let damaged = vault_row(state, &r.vault_id)?;
    let healthy_id = match (&damaged.source_vault_id, &damaged.target) {
        (Some(source), _) => source.clone(),
        (None, Some((mirror, _, _))) => mirror.clone(),
        (None, None) => return Err(ServerError::conflict(codes::NOT_A_MIRROR, format!("The vault {} has no mirror or source to repair from.", damaged.vault_id))),
    };
    let healthy = vault_row(state, &healthy_id)?;
    check_usable(state, &damaged)?;
    check_usable(state, &healthy)?;
    let _guard = state.replicator.lock_mirror(if damaged.is_mirror { &damaged.vault_id } else { &healthy.vault_id }).await;
    state.hub.forget(&damaged.vault_id);
    let d = state.hub.repo(&damaged.region_id, &damaged.vault_id).await.map_err(storage_error)?;
    let h = state.hub.repo(&healthy.region_id, &healthy.vault_id).await.map_err(storage_error)?;
    let repaired_objects = d.repair_from(&h).await.map_err(storage_error)?;
    state.hub.forget(&damaged.vault_id);
    Ok(RepairResponse { repaired_objects })
}
