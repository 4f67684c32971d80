//! Metadata objects (snapshot manifests, index files, pack headers): JSON, zstd-compressed
//! before encryption. Their bulk is hex chunk ids and repeated field names, which zstd halves;
//! each incremental snapshot writes one of each, so this is a large part of what a small
//! backup adds. Objects of format revisions 1.0 and 1.1 are plain JSON; a reader tells the two apart
//! by the zstd frame magic (JSON never starts with byte 0x28).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::StorageError;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
const LEVEL: i32 = 3;

/// JSON of `value`, zstd-compressed.
pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, StorageError> {
    let json = serde_json::to_vec(value).map_err(|e| StorageError::Internal(e.to_string()))?;
    zstd::bulk::compress(&json, LEVEL).map_err(|e| StorageError::Internal(format!("zstd: {e}")))
}

/// Parses what `encode` wrote, or plain JSON. `what` and `object` name it in errors.
pub(crate) fn decode<T: DeserializeOwned>(plain: &[u8], what: &str, object: &str) -> Result<T, StorageError> {
    let parsed = if plain.starts_with(&ZSTD_MAGIC) {
        let json = zstd::stream::decode_all(plain).map_err(|e| StorageError::corrupt(object, format!("{what}: zstd: {e}")))?;
        serde_json::from_slice(&json)
    } else {
        serde_json::from_slice(plain)
    };
    parsed.map_err(|e| StorageError::corrupt(object, format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_and_plain_json_both_read() {
        let v = vec![("a".to_string(), 1u64); 100];
        let packed = encode(&v).unwrap();
        assert!(packed.starts_with(&ZSTD_MAGIC));
        assert!(packed.len() < serde_json::to_vec(&v).unwrap().len() / 4);
        assert_eq!(decode::<Vec<(String, u64)>>(&packed, "x", "o").unwrap(), v);
        assert_eq!(decode::<Vec<(String, u64)>>(&serde_json::to_vec(&v).unwrap(), "x", "o").unwrap(), v);
        let err = decode::<Vec<(String, u64)>>(&[0x28, 0xB5, 0x2F, 0xFD, 1, 2, 3], "index", "obj").unwrap_err();
        assert!(err.to_string().contains("obj"), "{err}");
    }
}
