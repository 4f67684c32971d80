//! The storage hub: one `Location` per region, the master key, the KMS key store, and a cache of
//! opened vault repositories (so each vault's chunk index is loaded once and shared).
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use super::config::RegionConfig;
use super::storage::{DataKey, KeyStore, Location, MasterKey, Repo, StorageError};

pub struct Region {
    pub region_id: String,
    pub local_name: String,
    pub location: Location,
}

pub struct StorageHub {
    regions: Vec<Region>,
    master: MasterKey,
    keystore: KeyStore,
    repos: Mutex<HashMap<String, Repo>>,
    /// Serialises opening a repo, so two callers never load the same index twice.
    open_lock: tokio::sync::Mutex<()>,
}

impl StorageHub {
    pub fn open(data_dir: &Path, regions: &[RegionConfig]) -> Result<StorageHub, StorageError> {
        let master = MasterKey::load_or_create(&data_dir.join("master.key"))?;
        let keystore = KeyStore::open(&data_dir.join("kms"), master.clone())?;
        let regions = regions
            .iter()
            .map(|r| {
                let cfg = r.location.clone().expect("config fills in every location");
                Ok(Region { region_id: r.region_id.clone(), local_name: r.local_name.clone(), location: Location::open(&cfg)? })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(StorageHub { regions, master, keystore, repos: Mutex::new(HashMap::new()), open_lock: tokio::sync::Mutex::new(()) })
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn region(&self, region_id: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.region_id == region_id)
    }

    /// Encrypts a secret for the catalog with the master key.
    pub fn seal_secret(&self, purpose: &str, secret: &str) -> Result<String, StorageError> {
        super::storage::crypto::seal_secret(&self.master, purpose, secret)
    }

    pub fn open_secret(&self, purpose: &str, sealed: &str) -> Result<String, StorageError> {
        super::storage::crypto::open_secret(&self.master, purpose, sealed)
    }

    pub fn keystore(&self) -> &KeyStore {
        &self.keystore
    }

    fn location(&self, region_id: &str) -> Result<&Location, StorageError> {
        self.region(region_id)
            .map(|r| &r.location)
            .ok_or_else(|| StorageError::Unavailable(format!("region {region_id} has no storage location")))
    }

    fn cached(&self, vault_id: &str) -> Option<Repo> {
        self.repos.lock().unwrap_or_else(|p| p.into_inner()).get(vault_id).cloned()
    }

    /// Creates a vault's repository in its region's location.
    pub async fn create(&self, region_id: &str, vault_id: &str, data_key: DataKey, encrypt_type: &str, kms_key_id: Option<&str>) -> Result<Repo, StorageError> {
        let loc = self.location(region_id)?;
        loc.check().await?;
        let repo = Repo::create(loc, vault_id, &self.master, data_key, encrypt_type, kms_key_id).await?;
        self.repos.lock().unwrap_or_else(|p| p.into_inner()).insert(vault_id.to_string(), repo.clone());
        Ok(repo)
    }

    /// Opens (once) and returns a vault's repository. Fails while its region is offline.
    pub async fn repo(&self, region_id: &str, vault_id: &str) -> Result<Repo, StorageError> {
        let loc = self.location(region_id)?;
        if loc.is_offline() {
            return Err(StorageError::Unavailable(format!("region {region_id} is unavailable")));
        }
        if let Some(r) = self.cached(vault_id) {
            return Ok(r);
        }
        let _guard = self.open_lock.lock().await;
        if let Some(r) = self.cached(vault_id) {
            return Ok(r);
        }
        let repo = Repo::open(loc, vault_id, &self.master).await?;
        self.repos.lock().unwrap_or_else(|p| p.into_inner()).insert(vault_id.to_string(), repo.clone());
        Ok(repo)
    }

    /// Whether a vault's repository is still in its region's location (its `config` object).
    pub async fn vault_present(&self, region_id: &str, vault_id: &str) -> Result<bool, StorageError> {
        self.location(region_id)?.exists(&format!("vaults/{vault_id}/config")).await
    }

    /// Drops the cached repository (after its data was deleted or damaged from outside).
    pub fn forget(&self, vault_id: &str) {
        self.repos.lock().unwrap_or_else(|p| p.into_inner()).remove(vault_id);
    }

    /// Removes a vault's data from its own region's location only.
    pub async fn delete(&self, region_id: &str, vault_id: &str) -> Result<(), StorageError> {
        self.forget(vault_id);
        self.location(region_id)?.delete_vault(vault_id).await
    }

    pub fn set_offline(&self, region_id: &str, offline: bool) -> Result<(), StorageError> {
        self.location(region_id)?.set_offline(offline);
        Ok(())
    }
}
