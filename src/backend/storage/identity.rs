//! What the location remembers about a vault beyond its data, so that a backend that lost its
//! catalog adopts the vault as it was: `identity` (name, description, mirror relationship;
//! encrypted, as names are the user's data) and the `deleting` tombstone that makes a vault
//! delete finish after a crash.
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::error::StorageError;
use super::location::Location;
use super::repo::{now_secs, Repo};

const IDENTITY_OBJECT: &str = "identity";
const IDENTITY_AAD: &[u8] = b"mirrorvault vault identity v1";
/// Written first by a vault delete, removed last.
pub const TOMBSTONE_OBJECT: &str = "deleting";

/// `vaults/<id>/identity` (encrypted with the vault's keys).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultIdentity {
    pub vault_name: String,
    #[serde(default)]
    pub description: String,
    /// A replication (mirror) vault: read-only.
    #[serde(default)]
    pub is_mirror: bool,
    /// On a mirror: its source vault and that vault's region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_vault_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_region_id: Option<String>,
    pub updated: i64,
}

impl Repo {
    /// Records the vault's identity in its location (replacing the previous one).
    pub async fn write_identity(&self, identity: &VaultIdentity) -> Result<(), StorageError> {
        let mut identity = identity.clone();
        identity.updated = now_secs();
        let json = serde_json::to_vec(&identity).map_err(|e| StorageError::Internal(e.to_string()))?;
        self.put(IDENTITY_OBJECT, Bytes::from(self.keys().seal(IDENTITY_AAD, &json)?)).await
    }

    /// The recorded identity; `None` for vaults written before it existed.
    pub async fn identity(&self) -> Result<Option<VaultIdentity>, StorageError> {
        let bytes = match self.get(IDENTITY_OBJECT).await {
            Ok(b) => b,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let object = format!("vaults/{}/{IDENTITY_OBJECT}", self.vault_id());
        let json = self.keys().open(IDENTITY_AAD, &bytes, &object)?;
        serde_json::from_slice(&json).map(Some).map_err(|e| StorageError::corrupt(object, e.to_string()))
    }
}

impl Location {
    /// Deletes a vault crash-safely: the tombstone first, then `config` (the vault is no longer
    /// listed or adoptable), then every other object, the tombstone last. A crash in between
    /// leaves the tombstone, and `pending_deletions` lets the next start finish the work.
    pub async fn delete_vault(&self, vault_id: &str) -> Result<(), StorageError> {
        super::ids::check_name("vault id", vault_id)?;
        let base = format!("vaults/{vault_id}");
        let stone = serde_json::json!({ "deleted": now_secs() }).to_string();
        self.put(&format!("{base}/{TOMBSTONE_OBJECT}"), Bytes::from(stone)).await?;
        self.delete(&format!("{base}/config")).await?;
        let objects = self.list(&format!("{base}/")).await?;
        let tombstone = format!("{base}/{TOMBSTONE_OBJECT}");
        futures::stream::iter(objects.into_iter().filter(|o| o.key != tombstone))
            .map(|o| async move { self.delete(&o.key).await })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        self.delete(&tombstone).await
    }

    /// Vaults whose delete began but did not finish (a tombstone is present), sorted.
    pub async fn pending_deletions(&self) -> Result<Vec<String>, StorageError> {
        let mut out = Vec::new();
        for id in self.vault_prefixes().await? {
            if self.exists(&format!("vaults/{id}/{TOMBSTONE_OBJECT}")).await? {
                out.push(id);
            }
        }
        Ok(out)
    }
}
