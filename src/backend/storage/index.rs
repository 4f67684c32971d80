//! Index files (encrypted JSON listing the blobs of packs) and the in-memory index.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::crypto::VaultKeys;
use super::error::StorageError;
use super::ids::{parse_id, Id};
use super::pack::BlobEntry;

const INDEX_AAD: &[u8] = b"mirrorvault index v1";

/// One pack as described in an index file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct IndexPack {
    pub id: String,
    pub size: u64,
    pub blobs: Vec<BlobEntry>,
}

/// An index file's content.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct IndexFile {
    pub packs: Vec<IndexPack>,
}

impl IndexFile {
    pub(crate) fn encode(&self, keys: &VaultKeys) -> Result<Vec<u8>, StorageError> {
        keys.seal(INDEX_AAD, &super::meta::encode(self)?)
    }

    pub(crate) fn decode(keys: &VaultKeys, data: &[u8], object: &str) -> Result<IndexFile, StorageError> {
        let json = keys.open(INDEX_AAD, data, object)?;
        super::meta::decode(&json, "index", object)
    }
}

/// Where a blob lives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlobLoc {
    pub pack: Id,
    pub offset: u64,
    pub length: u32,
    pub raw_length: u32,
}

/// All index files of a vault, merged.
#[derive(Default)]
pub(crate) struct MemIndex {
    pub blobs: HashMap<Id, BlobLoc>,
    /// pack id -> (size, blob entries)
    pub packs: HashMap<Id, IndexPack>,
}

impl MemIndex {
    pub(crate) fn add_pack(&mut self, p: &IndexPack, object: &str) -> Result<(), StorageError> {
        let pack = parse_id(&p.id, object)?;
        for b in &p.blobs {
            let id = b.chunk_id(object)?;
            // Latest wins: a repaired or re-copied pack replaces an older location.
            self.blobs.insert(id, BlobLoc { pack, offset: b.offset, length: b.length, raw_length: b.raw_length });
        }
        self.packs.insert(pack, p.clone());
        Ok(())
    }

    pub(crate) fn add_file(&mut self, f: &IndexFile, object: &str) -> Result<(), StorageError> {
        for p in &f.packs {
            self.add_pack(p, object)?;
        }
        Ok(())
    }

    pub(crate) fn get(&self, id: &Id) -> Option<BlobLoc> {
        self.blobs.get(id).copied()
    }

    pub(crate) fn contains(&self, id: &Id) -> bool {
        self.blobs.contains_key(id)
    }
}
