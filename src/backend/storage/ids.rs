//! 32-byte ids (chunk ids, pack ids) and their hex form.

use super::error::StorageError;

/// A chunk id or pack id.
pub(crate) type Id = [u8; 32];

pub(crate) fn to_hex(id: &Id) -> String {
    hex::encode(id)
}

pub(crate) fn parse_id(s: &str, object: &str) -> Result<Id, StorageError> {
    let mut id = [0u8; 32];
    hex::decode_to_slice(s, &mut id)
        .map_err(|_| StorageError::corrupt(object, format!("bad id {s:?}")))?;
    Ok(id)
}

/// Vault-relative object name of a pack.
pub(crate) fn pack_object(id: &Id) -> String {
    let h = to_hex(id);
    format!("data/{}/{}", &h[..2], h)
}

/// Check that a name used as an object name component (vault id, snapshot id, key id) is safe.
pub(crate) fn check_name(kind: &str, s: &str) -> Result<(), StorageError> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s != "."
        && s != ".."
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(StorageError::Invalid(format!("invalid {kind} {s:?}")))
    }
}
