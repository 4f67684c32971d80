//! The catalog kept in line with the storage locations: `reconcile` at start (snapshots written
//! but not catalogued, vaults found in a location but unknown to the catalog), `watch_locations`
//! while running (a vault whose data vanished is marked `ERROR`, and back when it reappears), and
//! the writer lock that keeps a second backend from writing a location this one writes
//! (`writer_lock.rs`).
mod writer_lock;

pub use writer_lock::{host_name, LocationLocks, LockError, WriterLock, HEARTBEAT_INTERVAL, LOCK_KEY, STALE_AFTER};

use crate::backend::catalog::LogFailure;
use crate::backend::jobs::catalog_snapshot;
use crate::backend::state::AppState;

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
        crate::backend::server::prune::refresh_sizes_of(st, &vault_id, &repo).await;
    }
}

pub async fn adopt_unknown_vaults(st: &AppState) {
    let known: std::collections::HashSet<String> = match st.catalog.vault_ids() {
        Ok(v) => v.into_iter().map(|(id, _)| id).collect(),
        Err(e) => return tracing::error!(%e, "reconcile: cannot list vaults to adopt"),
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
                        st.catalog.set_vault_status(&vault_id, status, &message).or_log_vault(&vault_id, "adopted vault status");
                    }
                    tracing::info!(%vault_id, region = %region.region_id, status, "vault recovered from its storage location");
                }
                Err(e) if e.is_constraint() => {} // created meanwhile
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
    let vaults = match st.catalog.vault_ids() {
        Ok(v) => v,
        Err(e) => return tracing::warn!(%e, "location check: cannot list vaults"),
    };
    for (vault_id, region) in vaults {
        let v = match st.catalog.vault(&vault_id) {
            Ok(Some(v)) => v,
            Ok(None) => continue, // deleted meanwhile
            Err(e) => {
                tracing::warn!(%vault_id, %e, "location check: cannot read vault");
                continue;
            }
        };
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
                st.catalog.set_vault_status(&vault_id, STATUS_ERROR, &message).or_log_vault(&vault_id, "missing data status");
            }
            Ok(true) if flagged => {
                tracing::info!(%vault_id, %region, "vault data is back in its location");
                st.hub.forget(&vault_id);
                st.catalog.set_vault_status(&vault_id, STATUS_CREATED, "").or_log_vault(&vault_id, "data back status");
            }
            _ => {}
        }
    }
}
