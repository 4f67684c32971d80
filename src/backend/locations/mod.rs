//! The catalog kept in line with the storage locations: `reconcile` at start (snapshots written
//! but not catalogued, vaults found in a location but unknown to the catalog), `watch_locations`
//! while running (`watch.rs`: a vault whose data vanished is marked `ERROR`, and back when it
//! reappears), a vault's identity recorded in its location and crash-safe vault deletes
//! (`identity.rs`), and the writer lock that keeps a second backend from writing a location this
//! one writes (`writer_lock.rs`).
mod identity;
mod watch;
mod writer_lock;

pub use watch::{check_locations, watch_locations, MISSING_DATA_PREFIX, WATCH_INTERVAL};
pub use identity::{finish_delete, finish_deletes, record_identity};

pub use writer_lock::{host_name, LocationLocks, LockError, WriterLock, HEARTBEAT_INTERVAL, LOCK_KEY, STALE_AFTER};

use crate::backend::catalog::LogFailure;
use crate::backend::jobs::catalog_snapshot;
use crate::backend::state::AppState;

/// Brings the catalog in line with what the locations hold: snapshots whose manifest was written
/// but not catalogued (a crash between the two), and whole vaults found in a location but unknown
/// to the catalog (a lost or wiped catalog: the locations are self-describing).
pub async fn reconcile(st: &AppState) {
    finish_deletes(st).await;
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
        crate::backend::server::prune::refresh_sizes_of(st, &vault_id, &repo).await;
    }
}

/// Adopts the vaults a location holds but the catalog does not know, under the name,
/// description and mirror relationship recorded in the location (`identity.rs`; vaults written
/// before it are named `recovered-<id>`). Sources first, so a mirror finds its source's row.
pub async fn adopt_unknown_vaults(st: &AppState) {
    let mut known: std::collections::HashSet<String> = match st.catalog.vault_ids() {
        Ok(v) => v.into_iter().map(|(id, _)| id).collect(),
        Err(e) => return tracing::error!(%e, "reconcile: cannot list vaults to adopt"),
    };
    let mut found = Vec::new();
    for region in st.hub.regions() {
        if region.location.is_offline() {
            continue;
        }
        let Ok(ids) = region.location.list_vaults().await else { continue };
        for vault_id in ids.into_iter().filter(|v| !known.contains(v)) {
            let (status, message, encrypt_type, who) = match st.hub.repo(&region.region_id, &vault_id).await {
                Ok(repo) => (crate::api::vault::STATUS_CREATED, String::new(), repo.encrypt_type(), identity::adopted(&repo, &vault_id).await),
                Err(e) => (
                    crate::api::vault::STATUS_ERROR,
                    format!("Found in the storage location but cannot be opened: {e}"),
                    String::new(),
                    identity::Adopted { name: format!("recovered-{vault_id}"), description: "Recovered from its storage location".into(), is_mirror: false, source_vault_id: None },
                ),
            };
            found.push((region.region_id.clone(), vault_id, status, message, encrypt_type, who));
        }
    }
    found.sort_by_key(|f| f.5.source_vault_id.is_some());
    for (region_id, vault_id, status, message, encrypt_type, who) in found {
        let source = who.source_vault_id.as_deref().filter(|s| known.contains(*s));
        let new = |source_vault_id| crate::backend::catalog::NewVault {
            vault_id: &vault_id,
            vault_name: &who.name,
            description: &who.description,
            region_id: &region_id,
            encrypt_type: &encrypt_type,
            kms_key_id: "",
            is_mirror: who.is_mirror,
            source_vault_id,
            historical_start_time: 0,
            status,
        };
        let mut inserted = st.catalog.insert_vault(&new(source));
        if source.is_some() && matches!(&inserted, Err(e) if e.is_constraint()) {
            // The source has another mirror now: adopt this one as a standalone replica.
            inserted = st.catalog.insert_vault(&new(None));
        }
        match inserted {
            Ok(()) => {
                known.insert(vault_id.clone());
                if !message.is_empty() {
                    st.catalog.set_vault_status(&vault_id, status, &message).or_log_vault(&vault_id, "adopted vault status");
                }
                // A vault WORM in its location stays WORM.
                crate::backend::retention::worm::sync_marker(st, &vault_id, &region_id).await;
                tracing::info!(%vault_id, region = %region_id, name = %who.name, status, "vault recovered from its storage location");
            }
            Err(e) if e.is_constraint() => {} // created meanwhile
            Err(e) => tracing::error!(%vault_id, %e, "cannot adopt vault"),
        }
    }
}
