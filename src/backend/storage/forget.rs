//! A snapshot leaves its vault (`Repo::delete_snapshot`), and the vault's WORM marker.
//!
//! A snapshot exists iff its manifest exists, so deleting the manifest removes the snapshot; its
//! chunks stay in their packs as garbage until prune reclaims what no other snapshot needs.
//!
//! `vaults/<id>/worm` (plaintext JSON `{"worm_enabled": true, "since": <UNIX seconds>}`) records
//! that the vault is WORM, so a vault adopted from its location stays WORM. It is never removed
//! while the vault exists.
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::error::StorageError;
use super::ids::check_name;
use super::repo::{now_secs, Repo};
use super::snapshot::snapshot_object;

/// The WORM marker, relative to the vault.
pub(crate) const WORM_OBJECT: &str = "worm";

#[derive(Serialize, Deserialize)]
struct WormMarker {
    worm_enabled: bool,
    since: i64,
}

impl Repo {
    /// Deletes the snapshot's manifest and forgets the snapshot in the repo's caches. Deleting a
    /// snapshot that is not there succeeds (a retried removal).
    pub async fn delete_snapshot(&self, snapshot_id: &str) -> Result<(), StorageError> {
        check_name("snapshot id", snapshot_id)?;
        self.delete(&snapshot_object(snapshot_id)).await?;
        self.forget_remembered(snapshot_id);
        Ok(())
    }

    /// Writes the WORM marker (idempotent: an existing marker keeps its time).
    pub async fn write_worm_marker(&self) -> Result<(), StorageError> {
        if self.worm_marker().await? {
            return Ok(());
        }
        let body = serde_json::to_vec(&WormMarker { worm_enabled: true, since: now_secs() }).map_err(|e| StorageError::Internal(e.to_string()))?;
        self.put(WORM_OBJECT, Bytes::from(body)).await
    }

    /// Whether the vault's location says it is WORM. A marker that cannot be parsed counts as
    /// WORM: protection is never dropped because of a damaged object.
    pub async fn worm_marker(&self) -> Result<bool, StorageError> {
        match self.get(WORM_OBJECT).await {
            Ok(bytes) => Ok(serde_json::from_slice::<WormMarker>(&bytes).map(|m| m.worm_enabled).unwrap_or(true)),
            Err(StorageError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
