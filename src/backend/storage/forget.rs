//! Removing a snapshot from a vault (`Repo::delete_snapshot`): its manifest is deleted (a
//! snapshot exists iff its manifest exists) and the repo's caches forget it. Its chunks become
//! garbage that only prune reclaims.

use super::error::StorageError;
use super::ids::check_name;
use super::repo::Repo;
use super::snapshot::snapshot_object;

impl Repo {
    /// Deletes the snapshot's manifest; `NotFound` when there is none.
    pub async fn delete_snapshot(&self, snapshot_id: &str) -> Result<(), StorageError> {
        check_name("snapshot id", snapshot_id)?;
        let name = snapshot_object(snapshot_id);
        if !self
            .location()
            .exists(&format!("vaults/{}/{name}", self.vault_id()))
            .await?
        {
            return Err(StorageError::NotFound { object: name });
        }
        self.delete(&name).await?;
        self.forget_remembered(snapshot_id);
        Ok(())
    }
}
