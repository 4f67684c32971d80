//! Backend-level store of KMS data keys (`DATA/kms/<KmsKeyId>.key`), each wrapped by the master key.

use std::path::{Path, PathBuf};

use super::crypto::{unwrap_key, wrap_key, write_secret_file, DataKey, MasterKey};
use super::error::StorageError;
use super::ids::check_name;

/// Key store for `EncryptType=KMS` vaults.
pub struct KeyStore {
    dir: PathBuf,
    master: MasterKey,
}

impl KeyStore {
    /// Open (creating if needed) the key store directory.
    pub fn open(dir: &Path, master: MasterKey) -> Result<Self, StorageError> {
        std::fs::create_dir_all(dir)?;
        crate::platform::restrict_dir(dir)?;
        Ok(KeyStore { dir: dir.to_path_buf(), master })
    }

    fn path(&self, key_id: &str) -> Result<PathBuf, StorageError> {
        check_name("KMS key id", key_id)?;
        Ok(self.dir.join(format!("{key_id}.key")))
    }

    fn store(&self, key_id: &str, key: &DataKey) -> Result<(), StorageError> {
        let path = self.path(key_id)?;
        if path.exists() {
            return Err(StorageError::Exists(format!("KMS key {key_id}")));
        }
        write_secret_file(&path, &wrap_key(&self.master, key.bytes())?)
    }

    /// Create a new random key under `key_id`; `Exists` if present.
    pub fn generate(&self, key_id: &str) -> Result<(), StorageError> {
        self.store(key_id, &DataKey::generate())
    }

    /// Import a key given as 64 hex digits (or base64).
    pub fn import(&self, key_id: &str, key_hex: &str) -> Result<(), StorageError> {
        self.store(key_id, &DataKey::from_text(key_hex)?)
    }

    pub fn get(&self, key_id: &str) -> Result<DataKey, StorageError> {
        let path = self.path(key_id)?;
        let text = std::fs::read(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StorageError::NotFound { object: format!("kms/{key_id}.key") },
            _ => StorageError::Io(e),
        })?;
        Ok(DataKey::from_bytes(unwrap_key(&self.master, &text, &format!("kms/{key_id}.key"))?))
    }

    /// Key ids, sorted.
    pub fn list(&self) -> Result<Vec<String>, StorageError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            if let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".key")) {
                out.push(id.to_string());
            }
        }
        out.sort();
        Ok(out)
    }
}
