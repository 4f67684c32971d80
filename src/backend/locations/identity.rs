//! The catalog's knowledge of a vault written into its location (`storage::VaultIdentity`), and
//! vault deletes that a crash interrupted, finished.
//!
//! A vault delete runs: catalog row `DELETING` (nothing new may reference it) → tombstone in the
//! location → the data → the tombstone → the catalog row. `finish_deletes` (at start and on
//! every location check) completes a delete from wherever it stopped.
use crate::api::vault::STATUS_DELETING;
use crate::backend::state::AppState;
use crate::backend::storage::{StorageError, VaultIdentity};

/// Writes the vault's current name, description and mirror relationship into its location.
/// A failure is logged (the catalog stays the reference while it is there).
pub async fn record_identity(st: &AppState, vault_id: &str) {
    if let Err(e) = try_record(st, vault_id).await {
        tracing::warn!(%vault_id, %e, "cannot record the vault's identity in its location");
    }
}

async fn try_record(st: &AppState, vault_id: &str) -> Result<(), StorageError> {
    let v = match st.catalog.vault(vault_id) {
        Ok(Some(v)) if v.status != STATUS_DELETING => v,
        Ok(_) => return Ok(()),
        Err(e) => return Err(StorageError::Internal(e.to_string())),
    };
    let repo = st.hub.repo(&v.region_id, vault_id).await?;
    let source_region = (!v.source_region_id.is_empty()).then(|| v.source_region_id.clone());
    repo.write_identity(&VaultIdentity {
        vault_name: v.vault_name,
        description: v.description,
        is_mirror: v.is_mirror,
        source_region_id: v.source_vault_id.as_ref().and(source_region),
        source_vault_id: v.source_vault_id,
        updated: 0,
    })
    .await
}

/// Deletes a vault already marked `DELETING`: its location's data (tombstone first), then its
/// catalog row. Leaves the row when the location cannot be reached (retried later).
pub async fn finish_delete(st: &AppState, vault_id: &str, region_id: &str) -> Result<(), StorageError> {
    st.hub.delete(region_id, vault_id).await?;
    st.catalog.delete_vault(vault_id).map_err(|e| StorageError::Internal(e.to_string()))?;
    tracing::info!(%vault_id, "vault deleted");
    Ok(())
}

/// Completes deletes a crash or an unreachable location interrupted: catalog rows `DELETING`, and
/// tombstones in a location without a row.
pub async fn finish_deletes(st: &AppState) {
    match st.catalog.deleting_vaults() {
        Ok(rows) => {
            for (vault_id, region) in rows {
                if let Err(e) = finish_delete(st, &vault_id, &region).await {
                    tracing::warn!(%vault_id, %e, "cannot finish deleting the vault yet");
                }
            }
        }
        Err(e) => tracing::warn!(%e, "cannot list vaults being deleted"),
    }
    for region in st.hub.regions() {
        if region.location.is_offline() {
            continue;
        }
        let Ok(pending) = region.location.pending_deletions().await else { continue };
        for vault_id in pending {
            if matches!(st.catalog.vault(&vault_id), Ok(Some(v)) if v.status != STATUS_DELETING) {
                continue; // a live vault of the same id: never delete it here
            }
            match st.hub.delete(&region.region_id, &vault_id).await {
                Ok(()) => tracing::info!(%vault_id, region = %region.region_id, "finished an interrupted vault delete"),
                Err(e) => tracing::warn!(%vault_id, %e, "cannot finish an interrupted vault delete"),
            }
        }
    }
}

/// What an adopted vault is called and whether it is a mirror, from its location.
pub(super) struct Adopted {
    pub name: String,
    pub description: String,
    pub is_mirror: bool,
    pub source_vault_id: Option<String>,
}

pub(super) async fn adopted(repo: &crate::backend::storage::Repo, vault_id: &str) -> Adopted {
    match repo.identity().await {
        Ok(Some(i)) => Adopted { name: i.vault_name, description: i.description, is_mirror: i.is_mirror, source_vault_id: i.source_vault_id },
        other => {
            if let Err(e) = other {
                tracing::warn!(%vault_id, %e, "the vault's recorded identity cannot be read; adopting it under a generated name");
            }
            Adopted { name: format!("recovered-{vault_id}"), description: "Recovered from its storage location".into(), is_mirror: false, source_vault_id: None }
        }
    }
}
