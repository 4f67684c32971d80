//! Index files (encrypted JSON listing the blobs of packs) and the in-memory index.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::crypto::VaultKeys;
use super::error::StorageError;
use super::ids::{parse_id, to_hex, Id};
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

/// A blob's location as kept in memory: the pack by its number in `MemIndex::pack_ids`
/// (16 bytes instead of 48 with the pack id inline; 10 GiB of small files is ~650k chunks).
#[derive(Clone, Copy, Debug)]
struct CompactLoc {
    pack: u32,
    offset: u32,
    length: u32,
    raw_length: u32,
}

/// All index files of a vault, merged.
#[derive(Default)]
pub(crate) struct MemIndex {
    blobs: HashMap<Id, CompactLoc>,
    pack_ids: Vec<Id>,
    pack_numbers: HashMap<Id, u32>,
    /// pack id -> size. (A pack's blob entries are in `blobs`.)
    pub packs: HashMap<Id, u64>,
}

impl MemIndex {
    pub(crate) fn add_pack(&mut self, p: &IndexPack, object: &str) -> Result<(), StorageError> {
        let pack = parse_id(&p.id, object)?;
        let number = match self.pack_numbers.get(&pack) {
            Some(n) => *n,
            None => {
                let n = u32::try_from(self.pack_ids.len()).map_err(|_| StorageError::Internal("too many packs".into()))?;
                self.pack_ids.push(pack);
                self.pack_numbers.insert(pack, n);
                n
            }
        };
        for b in &p.blobs {
            let id = b.chunk_id(object)?;
            let offset = u32::try_from(b.offset).map_err(|_| StorageError::corrupt(object, format!("blob offset {} beyond 4 GiB", b.offset)))?;
            // Latest wins: a repaired or re-copied pack replaces an older location.
            self.blobs.insert(id, CompactLoc { pack: number, offset, length: b.length, raw_length: b.raw_length });
        }
        self.packs.insert(pack, p.size);
        Ok(())
    }

    /// Adds the blobs of `p` the index lacks (a pack rebuilt from its header); returns their
    /// ids (none added: empty).
    pub(crate) fn add_pack_missing(&mut self, p: &IndexPack, object: &str) -> Result<Vec<Id>, StorageError> {
        let mut missing = Vec::new();
        for b in &p.blobs {
            if !self.blobs.contains_key(&b.chunk_id(object)?) {
                missing.push(b.clone());
            }
        }
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let ids = missing.iter().map(|b| b.chunk_id(object)).collect::<Result<Vec<_>, _>>()?;
        self.add_pack(&IndexPack { id: p.id.clone(), size: p.size, blobs: missing }, object)?;
        Ok(ids)
    }

    pub(crate) fn add_file(&mut self, f: &IndexFile, object: &str) -> Result<(), StorageError> {
        for p in &f.packs {
            self.add_pack(p, object)?;
        }
        Ok(())
    }

    /// Index entries for `wanted` packs, rebuilt from the blob map (a chunk stored in two packs
    /// is listed under the one the index resolves it to).
    pub(crate) fn pack_entries(&self, wanted: &std::collections::HashSet<Id>) -> Vec<IndexPack> {
        let mut per: HashMap<u32, Vec<BlobEntry>> = HashMap::new();
        for (id, loc) in &self.blobs {
            if wanted.contains(&self.pack_ids[loc.pack as usize]) {
                per.entry(loc.pack).or_default().push(BlobEntry {
                    id: to_hex(id),
                    offset: u64::from(loc.offset),
                    length: loc.length,
                    raw_length: loc.raw_length,
                });
            }
        }
        per.into_iter()
            .filter_map(|(n, mut blobs)| {
                let pack = self.pack_ids[n as usize];
                blobs.sort_by_key(|b| b.offset);
                Some(IndexPack { id: to_hex(&pack), size: *self.packs.get(&pack)?, blobs })
            })
            .collect()
    }

    pub(crate) fn get(&self, id: &Id) -> Option<BlobLoc> {
        self.blobs.get(id).map(|l| BlobLoc {
            pack: self.pack_ids[l.pack as usize],
            offset: u64::from(l.offset),
            length: l.length,
            raw_length: l.raw_length,
        })
    }

    pub(crate) fn contains(&self, id: &Id) -> bool {
        self.blobs.contains_key(id)
    }

    /// Every chunk the index resolves, by the pack it resolves to.
    pub(crate) fn by_pack(&self) -> HashMap<Id, Vec<(Id, BlobLoc)>> {
        let mut out: HashMap<Id, Vec<(Id, BlobLoc)>> = HashMap::new();
        for (id, l) in &self.blobs {
            let pack = self.pack_ids[l.pack as usize];
            out.entry(pack).or_default().push((*id, BlobLoc { pack, offset: u64::from(l.offset), length: l.length, raw_length: l.raw_length }));
        }
        out
    }

    /// Drops chunks (prune's decision: later lookups miss them, so writers store them anew).
    pub(crate) fn remove_chunks<'a>(&mut self, ids: impl IntoIterator<Item = &'a Id>) {
        for id in ids {
            self.blobs.remove(id);
        }
    }

    /// Drops a pack from the pack table (its chunks resolve elsewhere or were removed).
    pub(crate) fn remove_pack(&mut self, pack: &Id) {
        self.packs.remove(pack);
    }
}
