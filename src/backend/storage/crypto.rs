//! Keys: the master key, per-vault data keys, key wrapping and the AEAD used for every object.

use std::fmt;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::error::StorageError;
use super::ids::Id;

pub use super::keystore::KeyStore;

const NONCE_LEN: usize = 12;
const ENC_CONTEXT: &str = "mirrorvault 2026 blob encryption";
const ID_CONTEXT: &str = "mirrorvault 2026 chunk id";

/// The machine's master key (256 bits). Wraps every data key.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    pub fn generate() -> Self {
        MasterKey(random_key())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        MasterKey(bytes)
    }

    /// Text form (hex) for `key export`.
    pub fn export_string(&self) -> String {
        hex::encode(self.0)
    }

    /// Parse hex (64 digits) or base64 (standard alphabet) text.
    pub fn from_export_string(s: &str) -> Result<MasterKey, StorageError> {
        parse_key_text(s).map(MasterKey)
    }

    /// Load a key file (hex or base64 text).
    pub fn load(path: &Path) -> Result<MasterKey, StorageError> {
        let text = std::fs::read_to_string(path)?;
        MasterKey::from_export_string(&text)
    }

    /// Load the key file, or create it (mode 0600) with a fresh random key.
    pub fn load_or_create(path: &Path) -> Result<MasterKey, StorageError> {
        if path.exists() {
            return MasterKey::load(path);
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let key = MasterKey::generate();
        write_secret_file(path, format!("{}\n", key.export_string()).as_bytes())?;
        Ok(key)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A vault's data key (256 bits); encryption and chunk-id keys derive from it.
#[derive(Clone)]
pub struct DataKey([u8; 32]);

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

impl DataKey {
    pub fn generate() -> Self {
        DataKey(random_key())
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        DataKey(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub(crate) fn from_text(s: &str) -> Result<DataKey, StorageError> {
        parse_key_text(s).map(DataKey)
    }
}

/// Write `bytes` to a new file readable only by the owner (see `platform::create_private`).
pub(crate) fn write_secret_file(path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    let mut f = crate::platform::create_private(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

fn random_key() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut k);
    k
}

fn parse_key_text(s: &str) -> Result<[u8; 32], StorageError> {
    let s = s.trim();
    let bytes = if s.len() == 64 {
        hex::decode(s).map_err(|_| StorageError::Invalid("key is not valid hex".into()))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .map_err(|_| StorageError::Invalid("key is neither hex nor base64".into()))?
    };
    bytes.try_into().map_err(|_| StorageError::Invalid("key must be 32 bytes".into()))
}

/// AES-256-GCM seal: `nonce(12) || ciphertext+tag`.
pub(crate) fn seal(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StorageError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .map_err(|_| StorageError::Internal("encryption failed".into()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Inverse of [`seal`]; authentication failure -> `Crypto{object}`.
pub(crate) fn open(cipher: &Aes256Gcm, aad: &[u8], data: &[u8], object: &str) -> Result<Vec<u8>, StorageError> {
    if data.len() < NONCE_LEN + 16 {
        return Err(StorageError::Crypto { object: object.to_string() });
    }
    let (nonce, ct) = data.split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| StorageError::Crypto { object: object.to_string() })
}

fn cipher_for(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(key.into())
}

/// A key wrapped by the master key, as stored in `keys/data.key` and the KMS key store.
#[derive(Serialize, Deserialize)]
struct WrappedKey {
    alg: String,
    wrapped: String,
}

const WRAP_AAD: &[u8] = b"mirrorvault wrapped key v1";

/// Wrap a 32-byte key with the master key (JSON text).
pub(crate) fn wrap_key(master: &MasterKey, key: &[u8; 32]) -> Result<Vec<u8>, StorageError> {
    let sealed = seal(&cipher_for(master.bytes()), WRAP_AAD, key)?;
    let w = WrappedKey {
        alg: "aes-256-gcm".into(),
        wrapped: base64::engine::general_purpose::STANDARD.encode(sealed),
    };
    serde_json::to_vec_pretty(&w).map_err(|e| StorageError::Internal(e.to_string()))
}

/// Unwrap a key written by [`wrap_key`]; a wrong master key gives `Crypto{object}`.
pub(crate) fn unwrap_key(master: &MasterKey, text: &[u8], object: &str) -> Result<[u8; 32], StorageError> {
    let w: WrappedKey = serde_json::from_slice(text)
        .map_err(|e| StorageError::corrupt(object, format!("bad wrapped key: {e}")))?;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(w.wrapped.trim())
        .map_err(|_| StorageError::corrupt(object, "bad base64 in wrapped key"))?;
    let plain = open(&cipher_for(master.bytes()), WRAP_AAD, &sealed, object)?;
    plain.try_into().map_err(|_| StorageError::corrupt(object, "wrapped key is not 32 bytes"))
}

/// Keys derived from a vault's data key.
pub(crate) struct VaultKeys {
    cipher: Aes256Gcm,
    id_key: [u8; 32],
}

impl VaultKeys {
    pub(crate) fn derive(data_key: &DataKey) -> Self {
        let enc = blake3::derive_key(ENC_CONTEXT, data_key.bytes());
        let id_key = blake3::derive_key(ID_CONTEXT, data_key.bytes());
        VaultKeys { cipher: cipher_for(&enc), id_key }
    }

    /// Keyed BLAKE3 of the plaintext.
    pub(crate) fn chunk_id(&self, data: &[u8]) -> Id {
        *blake3::keyed_hash(&self.id_key, data).as_bytes()
    }

    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StorageError> {
        seal(&self.cipher, aad, plaintext)
    }

    pub(crate) fn open(&self, aad: &[u8], data: &[u8], object: &str) -> Result<Vec<u8>, StorageError> {
        open(&self.cipher, aad, data, object)
    }

    /// As [`VaultKeys::open`], into `out` (cleared first; a buffer reused across calls saves an
    /// allocation per blob when only a check of the plaintext is wanted).
    pub(crate) fn open_into(&self, aad: &[u8], data: &[u8], out: &mut Vec<u8>, object: &str) -> Result<(), StorageError> {
        use aes_gcm::aead::AeadInPlace;
        if data.len() < NONCE_LEN + 16 {
            return Err(StorageError::Crypto { object: object.to_string() });
        }
        let (nonce, ct) = data.split_at(NONCE_LEN);
        out.clear();
        out.extend_from_slice(ct);
        self.cipher.decrypt_in_place(Nonce::from_slice(nonce), aad, out).map_err(|_| StorageError::Crypto { object: object.to_string() })
    }
}

/// Encrypts a small secret (e.g. a SQL Server password) with the master key, for the catalog:
/// base64(`nonce || AES-256-GCM(master, secret)`), bound to `purpose`.
pub fn seal_secret(master: &MasterKey, purpose: &str, secret: &str) -> Result<String, StorageError> {
    let sealed = seal(&cipher_for(master.bytes()), purpose.as_bytes(), secret.as_bytes())?;
    Ok(base64::engine::general_purpose::STANDARD.encode(sealed))
}

/// Inverse of [`seal_secret`].
pub fn open_secret(master: &MasterKey, purpose: &str, sealed: &str) -> Result<String, StorageError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed.trim())
        .map_err(|_| StorageError::Crypto { object: purpose.to_string() })?;
    let plain = open(&cipher_for(master.bytes()), purpose.as_bytes(), &bytes, purpose)?;
    String::from_utf8(plain).map_err(|_| StorageError::Crypto { object: purpose.to_string() })
}
