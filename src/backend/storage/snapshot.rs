//! Snapshot manifests: encrypted JSON, written last; a snapshot exists iff its manifest exists.

use serde::{Deserialize, Serialize};

use super::crypto::VaultKeys;
use super::error::StorageError;

const SNAPSHOT_AAD: &[u8] = b"mirrorvault snapshot v1";

/// A finished snapshot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotManifest {
    pub snapshot_id: String,
    /// Vault that first wrote it.
    pub vault_id: String,
    pub client_id: String,
    pub source_type: String,
    pub paths: Vec<String>,
    pub parent_snapshot_id: Option<String>,
    pub start_time: i64,
    pub complete_time: i64,
    pub bytes_total: u64,
    /// New packed bytes written by this backup.
    pub bytes_added: u64,
    pub items_total: u64,
    pub meta: serde_json::Value,
    /// Chunk ids of the serialized tree.
    pub tree: Vec<String>,
    /// Entries the backup could not read and left out ("path: reason"); empty in manifests
    /// written before format revision 1.3.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// Files whose size or mtime moved while they were read, twice ("path: changed during
    /// backup"): stored as read the second time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<String>,
}

impl SnapshotManifest {
    pub(crate) fn encode(&self, keys: &VaultKeys) -> Result<Vec<u8>, StorageError> {
        keys.seal(SNAPSHOT_AAD, &super::meta::encode(self)?)
    }

    pub(crate) fn decode(keys: &VaultKeys, data: &[u8], object: &str) -> Result<SnapshotManifest, StorageError> {
        let json = keys.open(SNAPSHOT_AAD, data, object)?;
        super::meta::decode(&json, "manifest", object)
    }
}

pub(crate) fn snapshot_object(id: &str) -> String {
    format!("snapshots/{id}")
}
