//! Blobs: one stored chunk, `nonce || AES-256-GCM(flag || payload)` with AAD = chunk id.
//! `flag` is 1 when `payload` is zstd-compressed, 0 when it is the raw chunk (zstd did not shrink it).

use super::crypto::VaultKeys;
use super::error::StorageError;
use super::ids::{to_hex, Id};

const FLAG_RAW: u8 = 0;
const FLAG_ZSTD: u8 = 1;
const ZSTD_LEVEL: i32 = 1;

/// A chunk ready to be packed.
pub(crate) struct EncodedBlob {
    pub id: Id,
    pub data: Vec<u8>,
    pub raw_len: u32,
}

/// Compress (if it helps) and encrypt a chunk whose id is `id`.
pub(crate) fn encode(keys: &VaultKeys, id: Id, plaintext: &[u8]) -> Result<EncodedBlob, StorageError> {
    let raw_len = u32::try_from(plaintext.len()).map_err(|_| StorageError::Internal("chunk too large".into()))?;
    let compressed = compress(plaintext).filter(|c| c.len() < plaintext.len());
    let mut framed = Vec::with_capacity(1 + compressed.as_ref().map_or(plaintext.len(), |c| c.len()));
    match compressed {
        Some(c) => {
            framed.push(FLAG_ZSTD);
            framed.extend_from_slice(&c);
        }
        None => {
            framed.push(FLAG_RAW);
            framed.extend_from_slice(plaintext);
        }
    }
    let data = keys.seal(&id, &framed)?;
    Ok(EncodedBlob { id, data, raw_len })
}

/// zstd with a per-thread context (creating one per chunk showed in the backup profile).
fn compress(plaintext: &[u8]) -> Option<Vec<u8>> {
    thread_local! {
        static COMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> =
            std::cell::RefCell::new(zstd::bulk::Compressor::new(ZSTD_LEVEL).ok());
    }
    COMPRESSOR.with(|c| match c.borrow_mut().as_mut() {
        Some(c) => c.compress(plaintext).ok(),
        None => zstd::bulk::compress(plaintext, ZSTD_LEVEL).ok(),
    })
}

fn decompress(payload: &[u8], capacity: usize) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
    }
    DECOMPRESSOR.with(|d| match d.borrow_mut().as_mut() {
        Some(d) => d.decompress(payload, capacity),
        None => zstd::bulk::decompress(payload, capacity),
    })
}

/// Decrypt, decompress and re-hash a blob read from `object`.
pub(crate) fn decode(keys: &VaultKeys, id: &Id, raw_len: u32, blob: &[u8], object: &str) -> Result<Vec<u8>, StorageError> {
    let framed = keys.open(id, blob, object).map_err(|_| {
        StorageError::corrupt(object, format!("blob {} failed authentication", to_hex(id)))
    })?;
    let (flag, payload) = framed
        .split_first()
        .ok_or_else(|| StorageError::corrupt(object, format!("blob {} is empty", to_hex(id))))?;
    let plain = match *flag {
        FLAG_RAW => payload.to_vec(),
        FLAG_ZSTD => decompress(payload, raw_len as usize)
            .map_err(|e| StorageError::corrupt(object, format!("blob {}: zstd: {e}", to_hex(id))))?,
        other => return Err(StorageError::corrupt(object, format!("blob {}: unknown flag {other}", to_hex(id)))),
    };
    if plain.len() != raw_len as usize || keys.chunk_id(&plain) != *id {
        return Err(StorageError::corrupt(object, format!("chunk {} hash mismatch", to_hex(id))));
    }
    Ok(plain)
}
