//! Packs: blobs back to back, then the encrypted header, then the header length (u32 LE).
//! Pack id = BLAKE3(pack bytes).

use serde::{Deserialize, Serialize};

use super::blob::EncodedBlob;
use super::crypto::VaultKeys;
use super::error::StorageError;
use super::ids::{parse_id, to_hex, Id};

const HEADER_AAD: &[u8] = b"mirrorvault pack header v1";

/// One blob inside a pack (as listed in pack headers and index files).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BlobEntry {
    pub id: String,
    pub offset: u64,
    pub length: u32,
    pub raw_length: u32,
}

impl BlobEntry {
    pub(crate) fn chunk_id(&self, object: &str) -> Result<Id, StorageError> {
        parse_id(&self.id, object)
    }
}

/// Accumulates blobs into one pack.
#[derive(Default)]
pub(crate) struct PackBuilder {
    buf: Vec<u8>,
    entries: Vec<BlobEntry>,
}

/// A finished pack.
pub(crate) struct FinishedPack {
    pub id: Id,
    pub bytes: Vec<u8>,
    pub entries: Vec<BlobEntry>,
}

impl PackBuilder {
    pub(crate) fn with_capacity(cap: usize) -> Self {
        PackBuilder { buf: Vec::with_capacity(cap), entries: Vec::new() }
    }

    pub(crate) fn add(&mut self, blob: EncodedBlob) -> Result<(), StorageError> {
        let length = u32::try_from(blob.data.len()).map_err(|_| StorageError::Internal("blob too large".into()))?;
        self.entries.push(BlobEntry {
            id: to_hex(&blob.id),
            offset: self.buf.len() as u64,
            length,
            raw_length: blob.raw_len,
        });
        self.buf.extend_from_slice(&blob.data);
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Append the encrypted header and its length; hash the result.
    pub(crate) fn finish(self, keys: &VaultKeys) -> Result<FinishedPack, StorageError> {
        let PackBuilder { mut buf, entries } = self;
        let header = keys.seal(HEADER_AAD, &super::meta::encode(&entries)?)?;
        let hlen = u32::try_from(header.len()).map_err(|_| StorageError::Internal("pack header too large".into()))?;
        // Exactly the room needed when the buffer's spare room is short (growing by doubling
        // would hold twice a pack).
        buf.reserve_exact(header.len() + 4);
        buf.extend_from_slice(&header);
        buf.extend_from_slice(&hlen.to_le_bytes());
        let id = *blake3::hash(&buf).as_bytes();
        Ok(FinishedPack { id, bytes: buf, entries })
    }
}

/// Decrypt and parse a pack header (the `H` bytes before the length trailer).
pub(crate) fn decode_header(keys: &VaultKeys, header: &[u8], object: &str) -> Result<Vec<BlobEntry>, StorageError> {
    let json = keys
        .open(HEADER_AAD, header, object)
        .map_err(|_| StorageError::corrupt(object, "pack header failed authentication"))?;
    super::meta::decode(&json, "pack header", object)
}

/// Read the header of a whole pack (used when an index is lost).
#[allow(dead_code)]
pub(crate) fn read_header(keys: &VaultKeys, pack: &[u8], object: &str) -> Result<Vec<BlobEntry>, StorageError> {
    let n = pack.len();
    if n < 4 {
        return Err(StorageError::corrupt(object, "pack too short"));
    }
    let mut lb = [0u8; 4];
    lb.copy_from_slice(&pack[n - 4..]);
    let hlen = u32::from_le_bytes(lb) as usize;
    if hlen + 4 > n {
        return Err(StorageError::corrupt(object, "bad pack header length"));
    }
    let json = keys
        .open(HEADER_AAD, &pack[n - 4 - hlen..n - 4], object)
        .map_err(|_| StorageError::corrupt(object, "pack header failed authentication"))?;
    super::meta::decode(&json, "pack header", object)
}
