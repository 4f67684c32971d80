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
    let framed = keys.open(id, blob, object).map_err(|_| failed_authentication(id, object))?;
    let (flag, payload) = framed.split_first().ok_or_else(|| empty(id, object))?;
    let plain = match *flag {
        FLAG_RAW => payload.to_vec(),
        FLAG_ZSTD => decompress(payload, raw_len as usize).map_err(|e| zstd_error(id, object, e))?,
        other => return Err(unknown_flag(id, object, other)),
    };
    check_plain(keys, id, raw_len, &plain, object)?;
    Ok(plain)
}

/// What [`decode`] checks, without keeping the plaintext (the backend's check of an agent's
/// upload): decrypted and decompressed into per-thread buffers, a raw chunk hashed in place.
pub(crate) fn verify(keys: &VaultKeys, id: &Id, raw_len: u32, blob: &[u8], object: &str) -> Result<(), StorageError> {
    thread_local! {
        static BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
    }
    BUFFERS.with(|b| {
        let (framed, plain) = &mut *b.borrow_mut();
        keys.open_into(id, blob, framed, object).map_err(|_| failed_authentication(id, object))?;
        let (flag, payload) = framed.split_first().ok_or_else(|| empty(id, object))?;
        match *flag {
            FLAG_RAW => check_plain(keys, id, raw_len, payload, object),
            FLAG_ZSTD => {
                plain.clear();
                plain.reserve(raw_len as usize);
                decompress_into(payload, plain).map_err(|e| zstd_error(id, object, e))?;
                check_plain(keys, id, raw_len, plain, object)
            }
            other => Err(unknown_flag(id, object, other)),
        }
    })
}

/// zstd into `out`, which has room for the whole chunk (a frame larger than that is an error).
fn decompress_into(payload: &[u8], out: &mut Vec<u8>) -> std::io::Result<usize> {
    thread_local! {
        static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
            std::cell::RefCell::new(zstd::bulk::Decompressor::new().ok());
    }
    DECOMPRESSOR.with(|d| match d.borrow_mut().as_mut() {
        Some(d) => d.decompress_to_buffer(payload, out),
        None => zstd::bulk::Decompressor::new()?.decompress_to_buffer(payload, out),
    })
}

fn check_plain(keys: &VaultKeys, id: &Id, raw_len: u32, plain: &[u8], object: &str) -> Result<(), StorageError> {
    if plain.len() != raw_len as usize || keys.chunk_id(plain) != *id {
        return Err(StorageError::corrupt(object, format!("chunk {} hash mismatch", to_hex(id))));
    }
    Ok(())
}

fn failed_authentication(id: &Id, object: &str) -> StorageError {
    StorageError::corrupt(object, format!("blob {} failed authentication", to_hex(id)))
}

fn empty(id: &Id, object: &str) -> StorageError {
    StorageError::corrupt(object, format!("blob {} is empty", to_hex(id)))
}

fn zstd_error(id: &Id, object: &str, e: std::io::Error) -> StorageError {
    StorageError::corrupt(object, format!("blob {}: zstd: {e}", to_hex(id)))
}

fn unknown_flag(id: &Id, object: &str, flag: u8) -> StorageError {
    StorageError::corrupt(object, format!("blob {}: unknown flag {flag}", to_hex(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::storage::crypto::DataKey;

    #[test]
    fn verify_accepts_what_decode_accepts_and_nothing_else() {
        let keys = VaultKeys::derive(&DataKey::generate());
        let text = b"compressible text, compressible text, compressible text ".repeat(200);
        let random: Vec<u8> = (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for plain in [&text[..], &random[..], b""] {
            let id = keys.chunk_id(plain);
            let b = encode(&keys, id, plain).unwrap();
            assert_eq!(decode(&keys, &id, b.raw_len, &b.data, "t").unwrap(), plain);
            verify(&keys, &id, b.raw_len, &b.data, "t").unwrap();
            // the same bytes under another id, a wrong length, a flipped bit: refused by both
            let other = keys.chunk_id(b"other");
            assert!(verify(&keys, &other, b.raw_len, &b.data, "t").is_err());
            assert!(verify(&keys, &id, b.raw_len + 1, &b.data, "t").is_err());
            let mut flipped = b.data.clone();
            let last = flipped.len() - 1;
            flipped[last] ^= 1;
            assert!(verify(&keys, &id, b.raw_len, &flipped, "t").is_err());
            assert!(decode(&keys, &id, b.raw_len, &flipped, "t").is_err());
        }
        // a chunk whose plaintext is another chunk's, sealed under this id, fails the re-hash
        let id = keys.chunk_id(&text);
        let planted = encode(&keys, id, &random).unwrap();
        assert!(verify(&keys, &id, planted.raw_len, &planted.data, "t").is_err());
    }
}
