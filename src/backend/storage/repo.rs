//! A repository: one vault in one location — the `Repo` type, its vault config, the in-memory
//! index, the cache of recent snapshots' chunks and packs, and blob, tree and manifest reads.
//! The operations (`backup`, `restore`, `copy`, `verify`) are `impl Repo` blocks in their own
//! files, which import this one; this file imports none of them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::blob;
use super::chunker::ChunkerParams;
use super::coord::{Coord, PinGuard, ReadGuard};
use super::crypto::{unwrap_key, wrap_key, DataKey, MasterKey, VaultKeys};
use super::error::StorageError;
use super::ids::{check_name, pack_object, to_hex, Id};
use super::index::{ChunkIndex, IndexFile, ParsedIndex};
use super::location::Location;
use super::snapshot::{snapshot_object, SnapshotManifest};
use super::tree::{self, TreeEntry};

const FORMAT_VERSION: u32 = 1;
pub(crate) const DEFAULT_PACK_SIZE: u64 = 16 * 1024 * 1024;
const KEY_OBJECT: &str = "keys/data.key";

/// Chunking of small files (see `VaultConfig::small_files`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SmallFiles {
    pub below: u64,
    pub chunker: ChunkerParams,
}

/// `vaults/<id>/config` (plaintext).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct VaultConfig {
    pub version: u32,
    pub vault_id: String,
    pub encrypt_type: String,
    pub kms_key_id: Option<String>,
    pub chunker: ChunkerParams,
    /// Files smaller than `below` bytes are cut with finer parameters, so an edit to a small
    /// file stores the chunks around it, not the whole file. Absent in vaults of format revision
    /// 1.0 (docs/design.md, "Format versions"): their small files stay one chunk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_files: Option<SmallFiles>,
    pub pack_size: u64,
    pub created: i64,
}

pub(crate) struct Inner {
    pub loc: Location,
    pub vault_id: String,
    pub keys: VaultKeys,
    pub data_key: DataKey,
    pub config: VaultConfig,
    pub index: Arc<RwLock<ChunkIndex>>,
    /// Index files that could not be read at open.
    pub bad_index: Mutex<Vec<String>>,
    /// The chunks (and, once asked for, packs) of recent snapshots — a snapshot never changes:
    /// replication asks what a snapshot would move and then copies it, and each would otherwise
    /// decrypt and parse its whole tree.
    pub remembered: Mutex<std::collections::VecDeque<Remembered>>,
    /// Bumped (under `remembered`'s lock) whenever remembered pack sets are forgotten: a pack
    /// set computed before that is not kept.
    pub packs_epoch: std::sync::atomic::AtomicU64,
    /// Pins, readers and the prune gate (`coord.rs`).
    pub coord: Arc<Coord>,
}

/// Snapshots whose chunk sets are kept (per vault).
const NEEDED_CACHE: usize = 8;

/// What `Repo::remember_chunks` keeps of one snapshot.
pub(crate) struct Remembered {
    pub(crate) snapshot_id: String,
    chunks: Arc<std::collections::HashSet<Id>>,
    packs: Option<Arc<std::collections::HashMap<Id, u64>>>,
}

/// A chunk's stored bytes as read from its pack, not yet authenticated.
pub(crate) struct RawBlob {
    id: Id,
    raw_length: u32,
    data: Bytes,
    object: String,
}

impl RawBlob {
    /// Decrypt, decompress and re-hash (CPU work: call from a blocking context).
    pub(crate) fn decode(self, repo: &Repo) -> Result<Vec<u8>, StorageError> {
        blob::decode(repo.keys(), &self.id, self.raw_length, &self.data, &self.object)
    }
}

/// One vault in one location. Cheap to clone.
#[derive(Clone)]
pub struct Repo {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Repo {
    /// Create a vault: writes `keys/data.key` then `config`. `Exists` if a config is there.
    pub async fn create(
        loc: &Location,
        vault_id: &str,
        master: &MasterKey,
        data_key: DataKey,
        encrypt_type: &str,
        kms_key_id: Option<&str>,
    ) -> Result<Repo, StorageError> {
        check_name("vault id", vault_id)?;
        let base = format!("vaults/{vault_id}");
        if loc.exists(&format!("{base}/config")).await? {
            return Err(StorageError::Exists(format!("vault {vault_id} in {}", loc.describe())));
        }
        let config = VaultConfig {
            version: FORMAT_VERSION,
            vault_id: vault_id.to_string(),
            encrypt_type: encrypt_type.to_string(),
            kms_key_id: kms_key_id.map(str::to_string),
            chunker: ChunkerParams { min: 512 * 1024, avg: 1024 * 1024, max: 8 * 1024 * 1024 },
            small_files: Some(SmallFiles { below: 1024 * 1024, chunker: ChunkerParams { min: 2 * 1024, avg: 8 * 1024, max: 32 * 1024 } }),
            pack_size: DEFAULT_PACK_SIZE,
            created: now_secs(),
        };
        loc.put(&format!("{base}/{KEY_OBJECT}"), Bytes::from(wrap_key(master, data_key.bytes())?)).await?;
        let cfg = serde_json::to_vec_pretty(&config).map_err(|e| StorageError::Internal(e.to_string()))?;
        loc.put(&format!("{base}/config"), Bytes::from(cfg)).await?;
        Ok(Repo::from_parts(loc, config, data_key))
    }

    /// Open a vault from its location alone (plus the master key); loads all index files.
    pub async fn open(loc: &Location, vault_id: &str, master: &MasterKey) -> Result<Repo, StorageError> {
        check_name("vault id", vault_id)?;
        let base = format!("vaults/{vault_id}");
        let cfg_bytes = loc.get(&format!("{base}/config")).await?;
        let config: VaultConfig = serde_json::from_slice(&cfg_bytes)
            .map_err(|e| StorageError::corrupt(format!("{base}/config"), e.to_string()))?;
        if config.version != FORMAT_VERSION {
            return Err(StorageError::corrupt(format!("{base}/config"), format!("unsupported version {}", config.version)));
        }
        let key_obj = format!("{base}/{KEY_OBJECT}");
        let wrapped = loc.get(&key_obj).await?;
        let data_key = DataKey::from_bytes(unwrap_key(master, &wrapped, &key_obj)?);
        let repo = Repo::from_parts(loc, config, data_key);
        repo.load_index().await?;
        Ok(repo)
    }

    /// Open a vault with its data key given (a remote agent: the backend hands it the key of the
    /// one vault its job works on, never the master key); loads all index files.
    pub async fn open_with_key(loc: &Location, vault_id: &str, data_key: DataKey) -> Result<Repo, StorageError> {
        check_name("vault id", vault_id)?;
        let base = format!("vaults/{vault_id}");
        let cfg_bytes = loc.get(&format!("{base}/config")).await?;
        let config: VaultConfig = serde_json::from_slice(&cfg_bytes)
            .map_err(|e| StorageError::corrupt(format!("{base}/config"), e.to_string()))?;
        if config.version != FORMAT_VERSION || config.vault_id != vault_id {
            return Err(StorageError::corrupt(format!("{base}/config"), format!("unsupported version {} or another vault", config.version)));
        }
        let repo = Repo::from_parts(loc, config, data_key);
        repo.load_index().await?;
        Ok(repo)
    }

    fn from_parts(loc: &Location, config: VaultConfig, data_key: DataKey) -> Repo {
        let index = Arc::new(RwLock::new(ChunkIndex::default()));
        let coord = Coord::for_vault(loc.identity(), &config.vault_id, &index);
        Repo {
            inner: Arc::new(Inner {
                loc: loc.clone(),
                vault_id: config.vault_id.clone(),
                keys: VaultKeys::derive(&data_key),
                data_key,
                config,
                index,
                bad_index: Mutex::new(Vec::new()),
                remembered: Mutex::new(std::collections::VecDeque::new()),
                packs_epoch: std::sync::atomic::AtomicU64::new(0),
                coord,
            }),
        }
    }

    pub fn vault_id(&self) -> &str {
        &self.inner.vault_id
    }

    pub fn data_key(&self) -> DataKey {
        self.inner.data_key.clone()
    }

    pub fn encrypt_type(&self) -> String {
        self.inner.config.encrypt_type.clone()
    }

    pub fn location(&self) -> &Location {
        &self.inner.loc
    }

    /// Fully written manifests, sorted by start time then id. Unreadable manifests are skipped.
    pub async fn list_snapshots(&self) -> Result<Vec<SnapshotManifest>, StorageError> {
        let objects = self.list("snapshots/").await?;
        let mut out: Vec<SnapshotManifest> = futures::stream::iter(objects)
            .map(|(name, _)| async move {
                let id = name.trim_start_matches("snapshots/").to_string();
                match self.load_snapshot(&id).await {
                    Ok(m) => Ok(Some(m)),
                    Err(StorageError::Unavailable(m)) => Err(StorageError::Unavailable(m)),
                    Err(e) => {
                        tracing::warn!(vault = %self.vault_id(), snapshot = %id, error = %e, "unreadable snapshot manifest");
                        Ok(None)
                    }
                }
            })
            .buffer_unordered(8)
            .try_filter_map(|m| async move { Ok(m) })
            .try_collect()
            .await?;
        out.sort_by(|a, b| (a.start_time, &a.snapshot_id).cmp(&(b.start_time, &b.snapshot_id)));
        Ok(out)
    }

    pub async fn load_snapshot(&self, snapshot_id: &str) -> Result<SnapshotManifest, StorageError> {
        check_name("snapshot id", snapshot_id)?;
        let name = snapshot_object(snapshot_id);
        let bytes = self.get(&name).await?;
        SnapshotManifest::decode(&self.inner.keys, &bytes, &name)
    }

    /// Bytes of all objects in the vault.
    pub async fn storage_size(&self) -> Result<u64, StorageError> {
        Ok(self.list("").await?.iter().map(|(_, s)| *s).sum())
    }

    /// (bytes of all objects, the part of them referenced): packs no loaded index lists —
    /// leaks of failed or killed backups until prune removes them — are the difference. One
    /// listing; the chunk index answers the rest.
    pub async fn storage_sizes(&self) -> Result<(u64, u64), StorageError> {
        let listed = self.list("").await?;
        let total = listed.iter().map(|(_, s)| *s).sum();
        let idx = self.index();
        let unreferenced: u64 = listed
            .iter()
            .filter_map(|(name, size)| {
                let file = name.strip_prefix("data/")?.rsplit('/').next()?;
                let mut id = [0u8; 32];
                hex::decode_to_slice(file, &mut id).ok()?;
                (!idx.packs.contains_key(&id)).then_some(*size)
            })
            .sum();
        Ok((total, total - unreferenced))
    }

    // ----- object helpers (names relative to the vault) -----

    fn key(&self, rel: &str) -> String {
        format!("vaults/{}/{}", self.inner.vault_id, rel)
    }

    pub(crate) async fn put(&self, rel: &str, data: Bytes) -> Result<(), StorageError> {
        self.inner.loc.put(&self.key(rel), data).await
    }

    /// An online local directory (plain file I/O works on it).
    pub(crate) fn is_local(&self) -> bool {
        self.local_file("config").is_some()
    }

    /// See `Location::local_file`.
    pub(crate) fn local_file(&self, rel: &str) -> Option<PathBuf> {
        self.inner.loc.local_file(&self.key(rel))
    }

    pub(crate) async fn get(&self, rel: &str) -> Result<Bytes, StorageError> {
        self.inner.loc.get(&self.key(rel)).await.map_err(|e| self.rel_err(rel, e))
    }

    pub(crate) async fn get_range(&self, rel: &str, range: std::ops::Range<u64>) -> Result<Bytes, StorageError> {
        self.inner.loc.get_range(&self.key(rel), range).await.map_err(|e| self.rel_err(rel, e))
    }

    pub(crate) async fn get_stream(&self, rel: &str) -> Result<futures::stream::BoxStream<'static, Result<Bytes, StorageError>>, StorageError> {
        self.inner.loc.get_stream(&self.key(rel)).await.map_err(|e| self.rel_err(rel, e))
    }

    pub(crate) async fn delete(&self, rel: &str) -> Result<(), StorageError> {
        if rel.starts_with("index/") {
            self.index_mut().forget_file(rel);
        }
        self.inner.loc.delete(&self.key(rel)).await
    }

    fn rel_err(&self, rel: &str, e: StorageError) -> StorageError {
        match e {
            StorageError::NotFound { .. } => StorageError::NotFound { object: rel.to_string() },
            other => other,
        }
    }

    /// Objects under a vault-relative prefix ("" = all): (relative name, size).
    pub(crate) async fn list(&self, rel_prefix: &str) -> Result<Vec<(String, u64)>, StorageError> {
        let base = format!("vaults/{}/", self.inner.vault_id);
        let listed = self.inner.loc.list(&format!("{base}{rel_prefix}")).await?;
        Ok(listed
            .into_iter()
            .filter_map(|l| l.key.strip_prefix(&base).map(|r| (r.to_string(), l.size)))
            .collect())
    }

    /// Objects under a vault-relative prefix: (relative name, size, last write in Unix ms).
    pub(crate) async fn list_meta(&self, rel_prefix: &str) -> Result<Vec<(String, u64, i64)>, StorageError> {
        let base = format!("vaults/{}/", self.inner.vault_id);
        let listed = self.inner.loc.list(&format!("{base}{rel_prefix}")).await?;
        Ok(listed
            .into_iter()
            .filter_map(|l| l.key.strip_prefix(&base).map(|r| (r.to_string(), l.size, l.modified_ms)))
            .collect())
    }

    // ----- sharing the vault with a prune (coord.rs, docs/design.md) -----

    /// A new pin set for a writer (backup): every chunk it references goes in, until its
    /// manifest is written.
    pub(crate) fn pins(&self) -> PinGuard {
        self.inner.coord.new_pins()
    }

    /// Pins `id` and answers whether the vault already stores it, in one step against prune's
    /// decision (which drops chunks from the index under the same lock).
    pub(crate) fn pin_and_contains(&self, pins: &PinGuard, id: &Id) -> bool {
        let mut st = self.inner.coord.lock_pins();
        st.pin(pins.set, id);
        self.index().contains(id)
    }

    /// Pins `ids` if the vault stores every one of them (else pins nothing and says false).
    pub(crate) fn pin_if_all_present(&self, pins: &PinGuard, ids: &[Id]) -> bool {
        let mut st = self.inner.coord.lock_pins();
        let idx = self.index();
        if !ids.iter().all(|id| idx.contains(id)) {
            return false;
        }
        drop(idx);
        for id in ids {
            st.pin(pins.set, id);
        }
        true
    }

    /// Held by a remote agent's backup for its whole run: a prune of the vault waits for it (the
    /// agent deduplicates against the index it read when it started, which no pin protects).
    pub(crate) async fn writer_gate(&self) -> tokio::sync::RwLockReadGuard<'_, ()> {
        self.inner.coord.gate.read().await
    }

    /// Registers a reader (restore, copy from here, verify) until the guard drops.
    pub(crate) fn reader(&self) -> ReadGuard {
        self.inner.coord.reader()
    }

    /// Forgets the cached pack sets of remembered snapshots (after a prune moved chunks).
    pub(crate) fn forget_remembered_packs(&self) {
        let mut c = self.inner.remembered.lock().unwrap_or_else(|p| p.into_inner());
        self.inner.packs_epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        for r in c.iter_mut() {
            r.packs = None;
        }
    }

    /// Read before computing a pack set for `remember_packs`.
    pub(crate) fn packs_epoch(&self) -> u64 {
        self.inner.packs_epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Forgets a snapshot's remembered chunks and packs.
    pub(crate) fn forget_remembered(&self, snapshot_id: &str) {
        self.inner.remembered.lock().unwrap_or_else(|p| p.into_inner()).retain(|r| r.snapshot_id != snapshot_id);
    }

    /// Pack ids present in the vault, with sizes.
    pub(crate) async fn list_packs(&self) -> Result<std::collections::HashMap<Id, u64>, StorageError> {
        let mut out = std::collections::HashMap::new();
        for (name, size) in self.list("data/").await? {
            let Some(file) = name.rsplit('/').next() else { continue };
            let mut id = [0u8; 32];
            if hex::decode_to_slice(file, &mut id).is_ok() {
                out.insert(id, size);
            }
        }
        Ok(out)
    }

    pub(crate) fn keys(&self) -> &VaultKeys {
        &self.inner.keys
    }

    pub(crate) fn config(&self) -> &VaultConfig {
        &self.inner.config
    }

    /// Read-lock the chunk index.
    pub(crate) fn index(&self) -> std::sync::RwLockReadGuard<'_, ChunkIndex> {
        self.inner.index.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn index_mut(&self) -> std::sync::RwLockWriteGuard<'_, ChunkIndex> {
        self.inner.index.write().unwrap_or_else(|p| p.into_inner())
    }

    async fn load_index(&self) -> Result<(), StorageError> {
        let files = self.list("index/").await?;
        let loaded: Vec<(String, Result<ParsedIndex, StorageError>)> = futures::stream::iter(files)
            .map(|(name, _)| async move {
                let res = match self.get(&name).await {
                    Ok(bytes) => ParsedIndex::decode(self.keys(), &bytes, &name),
                    Err(e) => Err(e),
                };
                (name, res)
            })
            .buffer_unordered(16)
            .collect()
            .await;
        let mut bad = Vec::new();
        let mut idx = self.index_mut();
        for (name, res) in loaded {
            match res {
                Ok(f) => {
                    if let Err(e) = idx.add_parsed(&f) {
                        tracing::warn!(object = %name, error = %e, "bad index file");
                        bad.push(name);
                    }
                }
                Err(StorageError::Unavailable(m)) => return Err(StorageError::Unavailable(m)),
                Err(e) => {
                    tracing::warn!(object = %name, error = %e, "unreadable index file");
                    bad.push(name);
                }
            }
        }
        drop(idx);
        *self.inner.bad_index.lock().unwrap_or_else(|p| p.into_inner()) = bad;
        Ok(())
    }

    /// Index files that failed to load at open.
    pub(crate) fn bad_index_files(&self) -> Vec<String> {
        self.inner.bad_index.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Write an index file and merge it into memory; returns its object name.
    pub(crate) async fn write_index(&self, file: &IndexFile) -> Result<String, StorageError> {
        let bytes = Bytes::from(file.encode(self.keys())?);
        let name = index_object(&bytes);
        let parsed = file.parse(&name)?;
        self.put_indexes(vec![(parsed, bytes)]).await?;
        Ok(name)
    }

    /// `write_index` of files already encoded with this vault's keys, each parsed as
    /// `index_object` of its bytes: written side by side, then merged under one lock.
    pub(crate) async fn put_indexes(&self, files: Vec<(ParsedIndex, Bytes)>) -> Result<(), StorageError> {
        let parsed: Vec<ParsedIndex> = futures::stream::iter(files)
            .map(|(parsed, bytes)| async move { self.put(parsed.object(), bytes).await.map(|_| parsed) })
            .buffer_unordered(4)
            .try_collect()
            .await?;
        let mut idx = self.index_mut();
        for p in &parsed {
            idx.add_parsed(p)?;
        }
        Ok(())
    }

    /// Read, authenticate, decompress and re-hash one chunk.
    pub(crate) async fn read_blob(&self, id: &Id) -> Result<Vec<u8>, StorageError> {
        let raw = self.read_blob_raw(id).await?;
        let repo = self.clone();
        tokio::task::spawn_blocking(move || raw.decode(&repo)).await?
    }

    /// Read one chunk's stored bytes; `decode` them (blocking) to get the chunk.
    pub(crate) async fn read_blob_raw(&self, id: &Id) -> Result<RawBlob, StorageError> {
        let loc = self
            .index()
            .get(id)
            .ok_or_else(|| StorageError::NotFound { object: format!("chunk {}", to_hex(id)) })?;
        let object = pack_object(&loc.pack);
        let data = self
            .inner
            .loc
            .get_range(&self.key(&object), loc.offset..loc.offset + u64::from(loc.length))
            .await
            .map_err(|e| self.rel_err(&object, e))?;
        Ok(RawBlob { id: *id, raw_length: loc.raw_length, data, object })
    }

    /// Read and decode one chunk with plain blocking file I/O from a local location (callers
    /// check `is_local`; one that went offline since is `Unavailable`). `open` keeps the last
    /// pack file open between calls.
    pub(crate) fn read_blob_local(&self, id: &Id, open: &mut Option<(Id, std::fs::File)>) -> Result<Vec<u8>, StorageError> {
        let loc = self.index().get(id).ok_or_else(|| StorageError::NotFound { object: format!("chunk {}", to_hex(id)) })?;
        let object = pack_object(&loc.pack);
        let path = self.local_file(&object).ok_or_else(|| StorageError::Unavailable("the location went offline".into()))?;
        if open.as_ref().map(|(p, _)| *p) != Some(loc.pack) {
            let f = std::fs::File::open(&path).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => StorageError::NotFound { object: object.clone() },
                _ => StorageError::Io(e),
            })?;
            *open = Some((loc.pack, f));
        }
        let (_, f) = open.as_ref().expect("just opened");
        let mut buf = vec![0u8; loc.length as usize];
        crate::platform::read_exact_at(f, &mut buf, loc.offset).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => StorageError::corrupt(&object, "pack is shorter than its index says"),
            _ => StorageError::Io(e),
        })?;
        blob::decode(self.keys(), id, loc.raw_length, &buf, &object)
    }

    /// Asks the kernel to read these snapshots' manifests ahead (from a blocking thread).
    pub(crate) fn prefetch_snapshots(&self, ids: &[&str]) {
        let (repo, names): (Repo, Vec<String>) = (self.clone(), ids.iter().map(|id| snapshot_object(id)).collect());
        drop(tokio::task::spawn_blocking(move || names.iter().for_each(|n| repo.prefetch(n))));
    }

    /// `Location::prefetch` of one object (blocking: call from a blocking thread).
    pub(crate) fn prefetch(&self, rel: &str) {
        self.inner.loc.prefetch(&self.key(rel));
    }

    /// Hint that a pack will be read soon (local locations: the kernel starts reading it).
    pub(crate) fn prefetch_pack(&self, pack: &Id) {
        self.prefetch(&pack_object(pack));
    }

    /// Load and parse the tree of a snapshot.
    pub(crate) async fn load_tree(&self, manifest: &SnapshotManifest) -> Result<Vec<TreeEntry>, StorageError> {
        let ids = tree_ids(manifest)?;
        if self.is_local() {
            // One blocking task reads every tree chunk (thousands of small reads).
            let repo = self.clone();
            return tokio::task::spawn_blocking(move || {
                let mut open = None;
                let mut data = Vec::new();
                for id in &ids {
                    let part = repo.read_blob_local(id, &mut open)?;
                    data.extend_from_slice(&part);
                }
                tree::deserialize(&data)
            })
            .await?;
        }
        let data = self.tree_json(ids).await?;
        tokio::task::spawn_blocking(move || tree::deserialize(&data)).await?
    }

    /// A remote vault's tree JSON (its chunks fetched four at a time).
    async fn tree_json(&self, ids: Vec<Id>) -> Result<Vec<u8>, StorageError> {
        let parts: Vec<Vec<u8>> = futures::stream::iter(ids)
            .map(|id| async move { self.read_blob(&id).await })
            .buffered(4)
            .try_collect()
            .await?;
        Ok(parts.concat())
    }

    /// Adds every chunk the entries of a snapshot's tree reference to `into` (not the tree's
    /// own chunks), reading the tree as a stream.
    pub(crate) async fn tree_chunks<E: Extend<Id> + Send + 'static>(&self, manifest: &SnapshotManifest, mut into: E) -> Result<E, StorageError> {
        self.read_tree(manifest, move |json| tree::chunk_ids(json, &mut into).map(|()| into)).await
    }

    /// Hands a snapshot's tree JSON to `parse` as a stream, on a blocking thread (a local
    /// vault's chunk by chunk; a remote one's fetched first, four chunks at a time).
    pub(super) async fn read_tree<R: Send + 'static>(
        &self,
        manifest: &SnapshotManifest,
        parse: impl FnOnce(&mut dyn std::io::Read) -> Result<R, serde_json::Error> + Send + 'static,
    ) -> Result<R, StorageError> {
        let ids = tree_ids(manifest)?;
        let bad = |e: serde_json::Error| StorageError::corrupt("tree", format!("bad tree: {e}"));
        if self.is_local() {
            let repo = self.clone();
            return tokio::task::spawn_blocking(move || {
                let mut reader = TreeBytes { repo: &repo, ids: ids.iter(), open: None, cur: Vec::new(), pos: 0, err: None };
                let parsed = parse(&mut reader);
                if let Some(e) = reader.err {
                    return Err(e);
                }
                parsed.map_err(bad)
            })
            .await?;
        }
        let data = self.tree_json(ids).await?;
        tokio::task::spawn_blocking(move || parse(&mut &data[..]).map_err(bad)).await?
    }

    /// The chunks a snapshot references, as its backup or a copy found them (kept for the
    /// last few snapshots: replication asks for them right after a backup).
    pub(crate) fn remember_chunks(&self, snapshot_id: &str, chunks: std::collections::HashSet<Id>) -> Arc<std::collections::HashSet<Id>> {
        let chunks = Arc::new(chunks);
        let mut c = self.inner.remembered.lock().unwrap_or_else(|p| p.into_inner());
        c.retain(|r| r.snapshot_id != snapshot_id);
        if c.len() >= NEEDED_CACHE {
            c.pop_front();
        }
        c.push_back(Remembered { snapshot_id: snapshot_id.to_string(), chunks: chunks.clone(), packs: None });
        chunks
    }

    pub(crate) fn remembered_chunks(&self, snapshot_id: &str) -> Option<Arc<std::collections::HashSet<Id>>> {
        let c = self.inner.remembered.lock().unwrap_or_else(|p| p.into_inner());
        c.iter().find(|r| r.snapshot_id == snapshot_id).map(|r| r.chunks.clone())
    }

    /// Cached packs of a remembered snapshot.
    pub(crate) fn remembered_packs(&self, snapshot_id: &str) -> Option<Arc<std::collections::HashMap<Id, u64>>> {
        let c = self.inner.remembered.lock().unwrap_or_else(|p| p.into_inner());
        c.iter().find(|r| r.snapshot_id == snapshot_id).and_then(|r| r.packs.clone())
    }

    /// Keeps the packs of a snapshot whose chunks are remembered, computed from the index as
    /// it was at `epoch` (`packs_epoch`; not kept if a prune has moved chunks since).
    pub(crate) fn remember_packs(&self, snapshot_id: &str, packs: Arc<std::collections::HashMap<Id, u64>>, epoch: u64) {
        let mut c = self.inner.remembered.lock().unwrap_or_else(|p| p.into_inner());
        if epoch != self.packs_epoch() {
            return;
        }
        if let Some(r) = c.iter_mut().find(|r| r.snapshot_id == snapshot_id) {
            r.packs = Some(packs);
        }
    }

    /// Write a manifest (the last step of a backup or copy).
    pub(crate) async fn write_manifest(&self, m: &SnapshotManifest) -> Result<(), StorageError> {
        let bytes = m.encode(self.keys())?;
        self.put(&snapshot_object(&m.snapshot_id), Bytes::from(bytes)).await
    }
}

/// The ids of a snapshot's tree chunks, in order.
/// The object name of an encoded index file: its BLAKE3 hash.
pub(crate) fn index_object(bytes: &[u8]) -> String {
    format!("index/{}", blake3::hash(bytes).to_hex())
}

fn tree_ids(manifest: &SnapshotManifest) -> Result<Vec<Id>, StorageError> {
    let name = snapshot_object(&manifest.snapshot_id);
    manifest.tree.iter().map(|h| super::ids::parse_id(h, &name)).collect()
}

/// A local tree's JSON, read chunk by chunk (`Repo::read_tree`); a read error is kept in
/// `err` (the parser only sees that the stream failed).
struct TreeBytes<'a> {
    repo: &'a Repo,
    ids: std::slice::Iter<'a, Id>,
    open: Option<(Id, std::fs::File)>,
    cur: Vec<u8>,
    pos: usize,
    err: Option<StorageError>,
}

impl std::io::Read for TreeBytes<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.cur.len() {
            let Some(id) = self.ids.next() else { return Ok(0) };
            match self.repo.read_blob_local(id, &mut self.open) {
                Ok(data) => (self.cur, self.pos) = (data, 0),
                Err(e) => {
                    let msg = e.to_string();
                    self.err = Some(e);
                    return Err(std::io::Error::other(msg));
                }
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
