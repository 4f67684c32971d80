//! A location: one region's storage root (local directory or S3 bucket + prefix).

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};
use serde::{Deserialize, Serialize};

use super::error::StorageError;

/// How to reach a location.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LocationConfig {
    Local {
        path: PathBuf,
    },
    S3 {
        endpoint: String,
        bucket: String,
        #[serde(default)]
        prefix: String,
        access_key_id: String,
        secret_access_key: String,
        #[serde(default)]
        region: Option<String>,
        #[serde(default)]
        allow_http: bool,
    },
}

impl fmt::Debug for LocationConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocationConfig::Local { path } => f.debug_struct("Local").field("path", path).finish(),
            LocationConfig::S3 { endpoint, bucket, prefix, region, allow_http, .. } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("bucket", bucket)
                .field("prefix", prefix)
                .field("access_key_id", &"***")
                .field("secret_access_key", &"***")
                .field("region", region)
                .field("allow_http", allow_http)
                .finish(),
        }
    }
}

/// Objects reached through something other than `object_store`: a remote agent's view of its
/// vault through the backend's agent data plane (`crate::agent`). Keys are location-relative,
/// as for every `Location` method.
pub trait RemoteObjects: Send + Sync {
    fn put<'a>(&'a self, key: &'a str, data: Bytes) -> BoxFuture<'a, Result<(), StorageError>>;
    /// The whole object, or `range` of it.
    fn get<'a>(&'a self, key: &'a str, range: Option<Range<u64>>) -> BoxFuture<'a, Result<Bytes, StorageError>>;
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>>;
    /// Objects under a "dir/" prefix: (key, size, last write in Unix ms).
    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<(String, u64, i64)>, StorageError>>;
}

#[derive(Clone)]
enum Store {
    Object(Arc<dyn ObjectStore>),
    Remote(Arc<dyn RemoteObjects>),
}

/// An opened location. Cheap to clone.
#[derive(Clone)]
pub struct Location {
    store: Store,
    prefix: String,
    description: String,
    /// What tells two locations apart (endpoint included): repos of one vault share state by it.
    identity: String,
    offline: Arc<AtomicBool>,
    /// The directory of a local location (for read-ahead hints).
    local_root: Option<PathBuf>,
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({})", self.description)
    }
}

/// One listed object: key relative to the location root, and size.
pub(crate) struct Listed {
    pub key: String,
    pub size: u64,
    /// Last write, Unix milliseconds.
    pub modified_ms: i64,
}

impl Location {
    /// Open a location; a local directory is created if missing.
    pub fn open(cfg: &LocationConfig) -> Result<Location, StorageError> {
        match cfg {
            LocationConfig::Local { path } => {
                if !path.is_absolute() {
                    return Err(StorageError::InvalidPath(format!("{} is not absolute", path.display())));
                }
                std::fs::create_dir_all(path)?;
                let store = LocalFileSystem::new_with_prefix(path)?.with_automatic_cleanup(true);
                Ok(Location {
                    store: Store::Object(Arc::new(store)),
                    prefix: String::new(),
                    description: format!("local:{}", path.display()),
                    identity: format!("local:{}", path.display()),
                    offline: Arc::new(AtomicBool::new(false)),
                    local_root: Some(path.clone()),
                })
            }
            LocationConfig::S3 { endpoint, bucket, prefix, access_key_id, secret_access_key, region, allow_http } => {
                let store = AmazonS3Builder::new()
                    .with_endpoint(endpoint)
                    .with_bucket_name(bucket)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_region(region.clone().unwrap_or_else(|| "us-east-1".to_string()))
                    .with_allow_http(*allow_http)
                    .with_virtual_hosted_style_request(false)
                    .build()?;
                let prefix = prefix.trim_matches('/').to_string();
                let description = if prefix.is_empty() {
                    format!("s3://{bucket}")
                } else {
                    format!("s3://{bucket}/{prefix}")
                };
                Ok(Location {
                    store: Store::Object(Arc::new(store)),
                    identity: format!("{endpoint} {description}"),
                    prefix,
                    description,
                    offline: Arc::new(AtomicBool::new(false)),
                    local_root: None,
                })
            }
        }
    }

    /// A location whose objects are reached through `remote` (an agent's view of one vault).
    pub fn remote(remote: Arc<dyn RemoteObjects>, description: &str) -> Location {
        Location {
            store: Store::Remote(remote),
            prefix: String::new(),
            description: description.to_string(),
            identity: format!("remote:{description}"),
            offline: Arc::new(AtomicBool::new(false)),
            local_root: None,
        }
    }

    fn object_store(&self) -> Result<&Arc<dyn ObjectStore>, StorageError> {
        match &self.store {
            Store::Object(s) => Ok(s),
            Store::Remote(_) => Err(StorageError::Invalid(format!("{} cannot list vaults", self.description))),
        }
    }

    /// The endpoint and place of the location (no secrets); unique per reachable location.
    pub(crate) fn identity(&self) -> &str {
        &self.identity
    }

    /// "local:/path" or "s3://bucket/prefix"; never secrets.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    /// Write, read back and delete a probe object.
    pub async fn check(&self) -> Result<(), StorageError> {
        let key = format!("probe/{}", uuid::Uuid::new_v4());
        let payload = Bytes::from_static(b"mirrorvault probe");
        let res = async {
            self.put(&key, payload.clone()).await?;
            let back = self.get(&key).await?;
            self.delete(&key).await?;
            if back != payload {
                return Err(StorageError::Unavailable("probe object read back differently".into()));
            }
            Ok(())
        }
        .await;
        res.map_err(|e| match e {
            StorageError::Unavailable(m) => StorageError::Unavailable(m),
            other => StorageError::Unavailable(format!("{}: {other}", self.description)),
        })
    }

    /// Outage drill: while set, every operation fails with `Unavailable`.
    pub fn set_offline(&self, offline: bool) {
        self.offline.store(offline, Ordering::SeqCst);
    }

    pub fn is_offline(&self) -> bool {
        self.offline.load(Ordering::SeqCst)
    }

    /// Vault ids present (those with a `config` object), sorted.
    pub async fn list_vaults(&self) -> Result<Vec<String>, StorageError> {
        let mut out = Vec::new();
        for id in self.vault_prefixes().await? {
            if self.exists(&format!("vaults/{id}/config")).await? {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Every `vaults/<id>/` prefix, whatever it holds, sorted.
    pub(crate) async fn vault_prefixes(&self) -> Result<Vec<String>, StorageError> {
        self.online()?;
        let res = self.object_store()?.list_with_delimiter(Some(&self.path("vaults"))).await?;
        let mut out: Vec<String> = res.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_string)).collect();
        out.sort();
        Ok(out)
    }

    fn online(&self) -> Result<(), StorageError> {
        if self.is_offline() {
            Err(StorageError::Unavailable(format!("{} is offline", self.description)))
        } else {
            Ok(())
        }
    }

    fn path(&self, key: &str) -> ObjPath {
        if self.prefix.is_empty() {
            ObjPath::from(key)
        } else {
            ObjPath::from(format!("{}/{}", self.prefix, key))
        }
    }

    fn strip(&self, p: &ObjPath) -> String {
        let s = p.as_ref();
        if self.prefix.is_empty() {
            s.to_string()
        } else {
            s.strip_prefix(&self.prefix).map(|r| r.trim_start_matches('/')).unwrap_or(s).to_string()
        }
    }

    fn map_err(&self, key: &str, e: object_store::Error) -> StorageError {
        match e {
            object_store::Error::NotFound { .. } => StorageError::NotFound { object: key.to_string() },
            other => StorageError::ObjectStore(other),
        }
    }

    pub(crate) async fn put(&self, key: &str, data: Bytes) -> Result<(), StorageError> {
        self.online()?;
        match &self.store {
            Store::Object(s) => s.put(&self.path(key), PutPayload::from_bytes(data)).await.map(|_| ()).map_err(|e| self.map_err(key, e)),
            Store::Remote(r) => r.put(key, data).await,
        }
    }

    pub(crate) async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        self.online()?;
        match &self.store {
            Store::Object(s) => s.get(&self.path(key)).await.map_err(|e| self.map_err(key, e))?.bytes().await.map_err(|e| self.map_err(key, e)),
            Store::Remote(r) => r.get(key, None).await,
        }
    }

    /// The object as a stream of parts.
    pub(crate) async fn get_stream(&self, key: &str) -> Result<BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        self.online()?;
        match &self.store {
            Store::Object(s) => {
                let r = s.get(&self.path(key)).await.map_err(|e| self.map_err(key, e))?;
                Ok(r.into_stream().map_err(StorageError::from).boxed())
            }
            Store::Remote(r) => {
                let data = r.get(key, None).await?;
                Ok(futures::stream::once(async move { Ok(data) }).boxed())
            }
        }
    }

    pub(crate) async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes, StorageError> {
        self.online()?;
        match &self.store {
            Store::Object(s) => s.get_range(&self.path(key), range).await.map_err(|e| self.map_err(key, e)),
            Store::Remote(r) => r.get(key, Some(range)).await,
        }
    }

    /// The file behind `key` when this is an online local location (for copies that the
    /// kernel can do without passing the bytes through user space).
    pub(crate) fn local_file(&self, key: &str) -> Option<PathBuf> {
        let root = self.local_root.as_ref()?;
        (!self.is_offline()).then(|| root.join(key))
    }

    /// Tells the kernel an object of a local location will be read soon, so a reader that
    /// takes it piece by piece does not wait on the disk for each piece. Best effort; a no-op
    /// for S3 and offline locations.
    pub(crate) fn prefetch(&self, key: &str) {
        if let Some(path) = self.local_file(key) {
            crate::platform::will_need(&path, 0);
        }
    }

    pub(crate) async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        self.online()?;
        let store = match &self.store {
            Store::Object(s) => s,
            Store::Remote(r) => {
                return match r.get(key, None).await {
                    Ok(_) => Ok(true),
                    Err(StorageError::NotFound { .. }) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        };
        match store.head(&self.path(key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.map_err(key, e)),
        }
    }

    pub(crate) async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.online()?;
        let store = match &self.store {
            Store::Object(s) => s,
            Store::Remote(r) => return r.delete(key).await,
        };
        match store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.map_err(key, e)),
        }
    }

    /// All objects whose key starts with `prefix` (a "dir/" prefix).
    pub(crate) async fn list(&self, prefix: &str) -> Result<Vec<Listed>, StorageError> {
        self.online()?;
        let store = match &self.store {
            Store::Object(s) => s,
            Store::Remote(r) => return Ok(r.list(prefix).await?.into_iter().map(|(key, size, modified_ms)| Listed { key, size, modified_ms }).collect()),
        };
        let p = self.path(prefix.trim_end_matches('/'));
        let metas: Vec<_> = store.list(Some(&p)).try_collect().await.or_else(|e| match e {
            object_store::Error::NotFound { .. } => Ok(Vec::new()),
            e => Err(self.map_err(prefix, e)),
        })?;
        Ok(metas.into_iter().map(|m| Listed { key: self.strip(&m.location), size: m.size, modified_ms: m.last_modified.timestamp_millis() }).collect())
    }
}
