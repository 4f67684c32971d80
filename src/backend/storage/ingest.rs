//! What a remote agent writes into a vault, checked before it is stored (`Ingest`): the backend
//! holds the vault's keys, so it can check every object an agent uploads as strictly as it
//! would its own. A pack must hash to its name and every blob in it must authenticate,
//! decompress and re-hash to its chunk id; an index file must hash to its name and list only
//! packs this same job uploaded, exactly as their headers say; the snapshot manifest is not an
//! upload at all but the job's commit (`Ingest::commit`), written by the backend after it has
//! checked that the manifest belongs to the job and that every chunk it references is stored.
//! Nothing else can be written, and the only thing an agent may delete is an index file its own
//! job wrote (the per-pack index files a backup merges). Protocol: docs/design.md, "Remote agents".

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use bytes::Bytes;

use super::blob;
use super::error::StorageError;
use super::ids::{pack_object, parse_id, to_hex, Id};
use super::index::{IndexFile, IndexPack};
use super::pack;
use super::repo::Repo;
use super::snapshot::{snapshot_object, SnapshotManifest};

/// One job's uploads into one vault (several may be in flight at once).
pub struct Ingest {
    repo: Repo,
    /// Packs this job stored, as their headers list them.
    packs: Mutex<HashMap<Id, IndexPack>>,
    /// Index files this job stored.
    index_files: Mutex<HashSet<String>>,
    /// Bytes of the packs stored (the snapshot's `BytesAdded`).
    bytes_added: AtomicU64,
}

/// What an upload is, by its vault-relative name.
enum Upload {
    Pack(Id),
    Index(String),
}

fn refuse(m: impl Into<String>) -> StorageError {
    StorageError::Invalid(m.into())
}

fn classify(rel: &str) -> Result<Upload, StorageError> {
    if let Some(rest) = rel.strip_prefix("data/") {
        let (dir, hex) = rest.split_once('/').ok_or_else(|| refuse(format!("{rel}: not a pack name")))?;
        let id = parse_id(hex, rel).map_err(|_| refuse(format!("{rel}: not a pack name")))?;
        if dir != &hex[..2] || pack_object(&id) != rel {
            return Err(refuse(format!("{rel}: not a pack name")));
        }
        return Ok(Upload::Pack(id));
    }
    if let Some(hex) = rel.strip_prefix("index/") {
        parse_id(hex, rel).map_err(|_| refuse(format!("{rel}: not an index file name")))?;
        return Ok(Upload::Index(rel.to_string()));
    }
    Err(refuse(format!("{rel}: an agent uploads only packs (data/) and index files (index/); the snapshot is committed by the backend")))
}

impl Ingest {
    pub fn new(repo: Repo) -> Ingest {
        Ingest { repo, packs: Mutex::default(), index_files: Mutex::default(), bytes_added: AtomicU64::new(0) }
    }

    /// True for a name an upload's bytes are checked against (a pack's or an index file's is
    /// the BLAKE3 of its bytes).
    pub fn content_addressed(rel: &str) -> bool {
        classify(rel).is_ok()
    }

    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// Checks and stores one upload (`rel` relative to the vault). `Invalid` for anything that
    /// is not a well-formed pack or index file of this job.
    pub async fn put(&self, rel: &str, data: Bytes) -> Result<(), StorageError> {
        match classify(rel)? {
            Upload::Pack(id) => {
                if self.packs().contains_key(&id) {
                    return Ok(()); // a retried upload of the same bytes
                }
                let repo = self.repo.clone();
                let name = rel.to_string();
                let (data, entries) = tokio::task::spawn_blocking(move || check_pack(&repo, &name, id, data)).await??;
                let size = data.len() as u64;
                self.repo.put(rel, data).await?;
                if self.packs().insert(id, IndexPack { id: to_hex(&id), size, blobs: entries }).is_none() {
                    self.bytes_added.fetch_add(size, Ordering::Relaxed);
                }
                Ok(())
            }
            Upload::Index(name) => {
                if *blake3::hash(&data).as_bytes() != parse_id(&name["index/".len()..], &name)? {
                    return Err(refuse(format!("{name}: the bytes do not hash to the name")));
                }
                let file = IndexFile::decode(self.repo.keys(), &data, &name).map_err(|e| refuse(format!("{name}: {e}")))?;
                {
                    let packs = self.packs();
                    for p in &file.packs {
                        let id = parse_id(&p.id, &name).map_err(|e| refuse(e.to_string()))?;
                        let ours = packs.get(&id).ok_or_else(|| refuse(format!("{name}: lists the pack {}, which this job did not upload", p.id)))?;
                        if !same_pack(ours, p) {
                            return Err(refuse(format!("{name}: the entries of pack {} differ from its header", p.id)));
                        }
                    }
                }
                self.repo.put(&name, data).await?;
                self.repo.index_mut().add_file(&file, &name)?;
                self.index_files().insert(name);
                Ok(())
            }
        }
    }

    /// Deletes an index file this job wrote (a backup merges its per-pack index files into one;
    /// it wrote the merged file first). Anything else is `Invalid`.
    pub async fn delete(&self, rel: &str) -> Result<(), StorageError> {
        if !self.index_files().contains(rel) {
            return Err(refuse(format!("{rel}: an agent deletes only the index files its own job wrote")));
        }
        self.repo.delete(rel).await?;
        self.index_files().remove(rel);
        Ok(())
    }

    fn packs(&self) -> std::sync::MutexGuard<'_, HashMap<Id, IndexPack>> {
        self.packs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn index_files(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.index_files.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks the job's manifest (encoded with the vault's key) and writes it: it must be the
    /// job's snapshot, client and source type, in this vault, and every chunk of its tree and
    /// files must be stored. Returns it, `BytesAdded` set to what this job stored.
    pub async fn commit(&self, encoded: &[u8], snapshot_id: &str, client_id: &str, source_type: &str) -> Result<SnapshotManifest, StorageError> {
        self.commit_checked(encoded, snapshot_id, client_id, source_type, |_| Ok(())).await
    }

    /// `commit`, refusing the manifest too when `check` says what is wrong with it.
    pub async fn commit_checked(
        &self,
        encoded: &[u8],
        snapshot_id: &str,
        client_id: &str,
        source_type: &str,
        check: impl FnOnce(&SnapshotManifest) -> Result<(), String>,
    ) -> Result<SnapshotManifest, StorageError> {
        let object = snapshot_object(snapshot_id);
        let mut m = SnapshotManifest::decode(self.repo.keys(), encoded, &object).map_err(|e| refuse(format!("the manifest: {e}")))?;
        check(&m).map_err(refuse)?;
        if m.snapshot_id != snapshot_id || m.vault_id != self.repo.vault_id() || m.client_id != client_id || m.source_type != source_type {
            return Err(refuse(format!(
                "the manifest is of snapshot {} in {} for {} ({}), not this job's {snapshot_id} in {} for {client_id} ({source_type})",
                m.snapshot_id,
                m.vault_id,
                m.client_id,
                m.source_type,
                self.repo.vault_id()
            )));
        }
        if self.repo.get(&object).await.is_ok() {
            return Err(StorageError::Exists(format!("snapshot {snapshot_id}")));
        }
        let missing = |what: &str, id: &str| refuse(format!("the manifest references {what} {id}, which the vault does not hold"));
        for h in &m.tree {
            let id = parse_id(h, &object).map_err(|e| refuse(e.to_string()))?;
            if !self.repo.index().contains(&id) {
                return Err(missing("tree chunk", h));
            }
        }
        let entries = self.repo.load_tree(&m).await?;
        {
            let index = self.repo.index();
            for e in &entries {
                if let Some(id) = e.chunks.iter().find(|id| !index.contains(id)) {
                    return Err(missing("chunk", &to_hex(id)));
                }
            }
        }
        m.bytes_added = self.bytes_added.load(Ordering::Relaxed);
        self.repo.write_manifest(&m).await?;
        Ok(m)
    }
}

fn same_pack(a: &IndexPack, b: &IndexPack) -> bool {
    a.size == b.size
        && a.blobs.len() == b.blobs.len()
        && a.blobs.iter().zip(&b.blobs).all(|(x, y)| x.id == y.id && x.offset == y.offset && x.length == y.length && x.raw_length == y.raw_length)
}

/// A pack's bytes hash to its id, its header authenticates, and every blob in it decodes to its
/// chunk id (blocking: decrypts and decompresses the whole pack).
fn check_pack(repo: &Repo, rel: &str, id: Id, data: Bytes) -> Result<(Bytes, Vec<pack::BlobEntry>), StorageError> {
    if *blake3::hash(&data).as_bytes() != id {
        return Err(refuse(format!("{rel}: the bytes do not hash to the pack id")));
    }
    let entries = pack::read_header(repo.keys(), &data, rel).map_err(|e| refuse(e.to_string()))?;
    let body_end = data.len() as u64;
    // No chunk of this vault is larger than its chunker's maximum (small files and trees are cut
    // smaller): a header claiming more would make the check decompress without bound.
    let largest = repo.config().chunker.max as u64;
    for e in &entries {
        let chunk = e.chunk_id(rel).map_err(|e| refuse(e.to_string()))?;
        let end = e.offset.checked_add(u64::from(e.length)).filter(|&end| end <= body_end).ok_or_else(|| refuse(format!("{rel}: blob {} lies outside the pack", e.id)))?;
        if u64::from(e.raw_length) > largest {
            return Err(refuse(format!("{rel}: blob {} claims {} bytes, more than the vault's largest chunk ({largest})", e.id, e.raw_length)));
        }
        blob::verify(repo.keys(), &chunk, e.raw_length, &data[e.offset as usize..end as usize], rel).map_err(|e| refuse(e.to_string()))?;
    }
    Ok((data, entries))
}
