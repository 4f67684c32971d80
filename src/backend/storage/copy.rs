//! Copy between two vaults sharing a data key (`Repo::copy_snapshot_to`, `bytes_missing_in`,
//! `repair_from`, `CopyStats`): packs and manifests are copied as ciphertext, each pack verified
//! against its name (BLAKE3) while it streams. Used by replication and by repair.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::error::StorageError;
use super::ids::{pack_object, parse_id, to_hex, Id};
use super::index::IndexFile;
use super::progress::Progress;
use super::rate::RateLimiter;
use super::repo::Repo;
use super::snapshot::{snapshot_object, SnapshotManifest};

/// Packs copied at once (to S3 or rate-limited, each is held whole in memory while hashed).
const PACKS_IN_PARALLEL: usize = 4;

#[derive(Debug, Default, Clone, Serialize)]
pub struct CopyStats {
    pub packs_copied: u64,
    pub packs_skipped: u64,
    pub bytes_copied: u64,
}

impl Repo {
    /// Copy a snapshot to `dest` (a vault with the same data key): the packs it needs that
    /// `dest` lacks, an index for them, then the manifest. `rate_limit_bytes_per_sec` 0 = unlimited.
    pub async fn copy_snapshot_to(&self, dest: &Repo, snapshot_id: &str, rate_limit_bytes_per_sec: u64, progress: Arc<Progress>) -> Result<CopyStats, StorageError> {
        same_key(self, dest)?;
        // A reader of this vault (a prune here waits before deleting packs it rewrote), and
        // a writer of `dest` (a prune there runs before or after, not beside: `coord.rs`).
        let _reading = self.reader();
        let _gate = dest.inner.coord.gate.read().await;
        let started = Instant::now();
        let name = snapshot_object(snapshot_id);
        super::ids::check_name("snapshot id", snapshot_id)?;
        let raw = self.get(&name).await?;
        let manifest = SnapshotManifest::decode(self.keys(), &raw, &name)?;
        let packs = needed_packs(self, &manifest).await?;
        let planned = started.elapsed();
        let stats = transfer(self, dest, &packs, rate_limit_bytes_per_sec, &progress).await?;
        progress.check_cancel()?;
        dest.put(&name, raw).await?;
        tracing::debug!(snapshot = snapshot_id, ?planned, total = ?started.elapsed(), packs = stats.packs_copied, "snapshot copied");
        Ok(stats)
    }

    /// Pack bytes that `copy_snapshot_to(dest, snapshot_id)` would transfer.
    pub async fn bytes_missing_in(&self, dest: &Repo, snapshot_id: &str) -> Result<u64, StorageError> {
        Ok(self.bytes_missing_in_each(dest, &[snapshot_id]).await?.first().copied().unwrap_or(0))
    }

    /// What copying `snapshot_ids` to `dest` in this order moves, snapshot by snapshot: a pack
    /// two of them share counts once, for the first (the later copy skips it). `dest` is listed
    /// once.
    pub async fn bytes_missing_in_each(&self, dest: &Repo, snapshot_ids: &[&str]) -> Result<Vec<u64>, StorageError> {
        let _reading = self.reader();
        let present = dest.list_packs().await?;
        let mut counted: HashSet<Id> = HashSet::new();
        let mut out = Vec::with_capacity(snapshot_ids.len());
        for id in snapshot_ids {
            let began = Instant::now();
            let remembered = self.remembered_packs(id).is_some() || self.remembered_chunks(id).is_some();
            let manifest = self.load_snapshot(id).await?;
            let packs = needed_packs(self, &manifest).await?;
            tracing::debug!(snapshot = id, remembered, took = ?began.elapsed(), "packs a copy needs");
            let missing = packs.iter().filter(|(id, size)| present.get(*id) != Some(*size) && counted.insert(**id)).map(|(_, size)| size).sum();
            out.push(missing);
        }
        Ok(out)
    }

    /// Re-fetch damaged or missing objects from `healthy` (same data key); returns repaired names.
    /// Unreadable manifests are replaced; for every readable snapshot, missing/damaged packs
    /// (checked by hash) and chunks missing from the index are re-fetched; unreadable index
    /// files are replaced by a new index and deleted.
    pub async fn repair_from(&self, healthy: &Repo) -> Result<Vec<String>, StorageError> {
        same_key(self, healthy)?;
        let _gate = self.inner.coord.gate.read().await;
        let _reading = healthy.reader();
        let mut repaired = Vec::new();
        let mut manifests = Vec::new();
        for (name, _) in self.list("snapshots/").await? {
            let id = name.trim_start_matches("snapshots/").to_string();
            match self.load_snapshot(&id).await {
                Ok(m) => manifests.push(m),
                Err(e @ StorageError::Unavailable(_)) => return Err(e),
                Err(_) => {
                    let good = healthy.load_snapshot(&id).await?;
                    self.put(&name, healthy.get(&name).await?).await?;
                    repaired.push(name);
                    manifests.push(good);
                }
            }
        }
        let mut chunks = HashSet::new();
        for m in &manifests {
            let needed = match needed_chunks(self, m).await {
                Ok(c) => c,
                Err(e @ StorageError::Unavailable(_)) => return Err(e),
                Err(_) => needed_chunks(healthy, m).await?,
            };
            chunks.extend(needed.iter().copied());
        }
        // Chunks whose pack here is missing or damaged, or that this vault does not index.
        let mut checked: HashMap<Id, bool> = HashMap::new();
        let mut broken = HashSet::new();
        for c in &chunks {
            let loc = self.index().get(c);
            let ok = match loc {
                Some(l) => match checked.get(&l.pack) {
                    Some(v) => *v,
                    None => {
                        let v = pack_ok(self, &l.pack).await?;
                        checked.insert(l.pack, v);
                        v
                    }
                },
                None => false,
            };
            if !ok {
                broken.insert(*c);
            }
        }
        let bad_index = self.bad_index_files();
        if !broken.is_empty() {
            let packs = packs_for(healthy, &broken)?;
            let names: Vec<String> = packs.keys().map(pack_object).collect();
            let progress = Arc::new(Progress::default());
            // Force re-copy of packs present under the same name but damaged.
            for id in packs.keys() {
                if checked.get(id) == Some(&false) {
                    self.delete(&pack_object(id)).await?;
                }
            }
            transfer(healthy, self, &packs, 0, &progress).await?;
            repaired.extend(names);
        }
        for name in bad_index {
            self.delete(&name).await?;
            repaired.push(name);
        }
        repaired.sort();
        repaired.dedup();
        Ok(repaired)
    }
}

fn same_key(a: &Repo, b: &Repo) -> Result<(), StorageError> {
    if a.data_key().bytes() != b.data_key().bytes() {
        return Err(StorageError::Invalid(format!(
            "vaults {} and {} do not share a data key",
            a.vault_id(),
            b.vault_id()
        )));
    }
    Ok(())
}

/// Every chunk a snapshot needs (tree and file contents).
async fn needed_chunks(repo: &Repo, m: &SnapshotManifest) -> Result<Arc<HashSet<Id>>, StorageError> {
    if let Some(c) = repo.remembered_chunks(&m.snapshot_id) {
        return Ok(c);
    }
    let name = snapshot_object(&m.snapshot_id);
    let mut chunks = HashSet::new();
    for h in &m.tree {
        chunks.insert(parse_id(h, &name)?);
    }
    let chunks = repo.tree_chunks(m, chunks).await?;
    Ok(repo.remember_chunks(&m.snapshot_id, chunks))
}

/// The packs (id -> size) holding every chunk of a snapshot; cached with its chunks.
async fn needed_packs(repo: &Repo, m: &SnapshotManifest) -> Result<Arc<HashMap<Id, u64>>, StorageError> {
    if let Some(p) = repo.remembered_packs(&m.snapshot_id) {
        return Ok(p);
    }
    let packs = Arc::new(packs_for(repo, &*needed_chunks(repo, m).await?)?);
    repo.remember_packs(&m.snapshot_id, packs.clone());
    Ok(packs)
}

/// Packs of `repo` holding `chunks`, with their sizes.
fn packs_for(repo: &Repo, chunks: &HashSet<Id>) -> Result<HashMap<Id, u64>, StorageError> {
    let idx = repo.index();
    let mut out = HashMap::new();
    for c in chunks {
        let loc = idx.get(c).ok_or_else(|| StorageError::NotFound { object: format!("chunk {}", to_hex(c)) })?;
        if !out.contains_key(&loc.pack) {
            if let Some(size) = idx.packs.get(&loc.pack) {
                out.insert(loc.pack, *size);
            }
        }
    }
    Ok(out)
}

/// Stream one pack from `src` to `dest`, verifying its hash before it becomes visible in `dest`.
async fn copy_pack(src: &Repo, dest: &Repo, pack: Id, limiter: &RateLimiter, progress: &Progress) -> Result<u64, StorageError> {
    let object = pack_object(&pack);
    if limiter.rate == 0 {
        if let (Some(from), Some(to)) = (src.local_file(&object), dest.local_file(&object)) {
            progress.check_cancel()?;
            let label = format!("{}: {object}", src.vault_id());
            let queued = Instant::now();
            let (n, ran) = tokio::task::spawn_blocking(move || {
                let started = Instant::now();
                copy_local_file(&from, &to, &pack, &label).map(|n| (n, (started - queued, started.elapsed())))
            })
            .await??;
            tracing::debug!(pack = %to_hex(&pack), bytes = n, waited = ?ran.0, copy = ?ran.1, "pack copied");
            progress.add_bytes(n);
            return Ok(n);
        }
        // Unlimited: read the pack in one piece. (Streaming a local file goes through
        // object_store's 8 KiB chunks, one blocking task each: ~8× slower than `cp`.)
        progress.check_cancel()?;
        let data = src.get(&object).await?;
        progress.add_bytes(data.len() as u64);
        if blake3::hash(&data).as_bytes() != &pack {
            return Err(StorageError::corrupt(format!("{}: {object}", src.vault_id()), "pack bytes do not match the pack id"));
        }
        let n = data.len() as u64;
        dest.put(&object, data).await?;
        return Ok(n);
    }
    let mut stream = src.get_stream(&object).await?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = Vec::new();
    while let Some(part) = stream.next().await {
        progress.check_cancel()?;
        let part = part?;
        limiter.take(part.len() as u64).await;
        hasher.update(&part);
        buf.extend_from_slice(&part);
        progress.add_bytes(part.len() as u64);
    }
    if hasher.finalize().as_bytes() != &pack {
        return Err(StorageError::corrupt(
            format!("{}: {object}", src.vault_id()),
            "pack bytes do not match the pack id",
        ));
    }
    let n = buf.len() as u64;
    dest.put(&object, Bytes::from(buf)).await?;
    Ok(n)
}

/// Local to local: the source is read in 256 KiB pieces into one reused buffer, and each piece
/// is hashed and written to a hidden staging name (`name#digits`, which listings skip) while it
/// is still in the CPU cache; the staging file is renamed into place only when the whole pack
/// hashed to its name. (Copying whole packs through fresh 16 MiB buffers spent 70 % of the sync
/// in the kernel's copies; a memory map would save one more copy but turns a pack truncated
/// under it into a SIGBUS for the whole server.)
fn copy_local_file(from: &std::path::Path, to: &std::path::Path, pack: &Id, label: &str) -> Result<u64, StorageError> {
    use std::io::Read;
    const PIECE: usize = 256 * 1024;
    let mut src = std::fs::File::open(from).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StorageError::NotFound { object: label.to_string() },
        _ => StorageError::Io(e),
    })?;
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut staging = to.as_os_str().to_owned();
    staging.push(format!("#{}", u64::from(rand::random::<u32>()) + 1_000_000_000));
    let staging = std::path::PathBuf::from(staging);
    let written = (|| -> Result<u64, StorageError> {
        let mut out = std::fs::OpenOptions::new().write(true).create_new(true).open(&staging)?;
        let mut hasher = blake3::Hasher::new();
        let mut buf = vec![0u8; PIECE];
        let mut total = 0u64;
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            total += n as u64;
        }
        if hasher.finalize().as_bytes() != pack {
            return Err(StorageError::corrupt(label, "pack bytes do not match the pack id"));
        }
        drop(out);
        std::fs::rename(&staging, to)?;
        Ok(total)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    written
}

/// Copy packs `src` has and `dest` lacks; write a dest index for every pack not yet indexed there.
async fn transfer(src: &Repo, dest: &Repo, packs: &HashMap<Id, u64>, rate: u64, progress: &Arc<Progress>) -> Result<CopyStats, StorageError> {
    let began = Instant::now();
    let present = dest.list_packs().await?;
    tracing::debug!(listed = ?began.elapsed(), "transfer: destination listed");
    let mut stats = CopyStats::default();
    let mut to_copy = Vec::new();
    for (id, size) in packs {
        if present.get(id) == Some(size) {
            stats.packs_skipped += 1;
        } else {
            to_copy.push(*id);
        }
    }
    let total: u64 = to_copy.iter().filter_map(|id| packs.get(id)).sum();
    progress.set_totals(total, to_copy.len() as u64);
    let limiter = RateLimiter::new(rate);
    // The kernel is asked to read the packs a little ahead of their copy — from a blocking
    // thread: on a cold cache `posix_fadvise(WILLNEED)` of a pack takes milliseconds to queue
    // its reads (4 of them held the copy back 26 ms on the async thread).
    let ahead = to_copy.clone();
    let prefetch = |ids: Vec<Id>| {
        let src = src.clone();
        drop(tokio::task::spawn_blocking(move || ids.iter().for_each(|id| src.prefetch_pack(id))));
    };
    prefetch(ahead.iter().take(PACKS_IN_PARALLEL).copied().collect());
    // The index entries of the packs the destination does not index yet are encoded while the
    // packs travel (a vault of small files has tens of thousands: ~60 ms of JSON, zstd and
    // AES), and written after them.
    let index = {
        let (src, dest) = (src.clone(), dest.clone());
        let wanted: HashSet<Id> = packs.keys().copied().collect();
        tokio::task::spawn_blocking(move || -> Result<Option<(IndexFile, Vec<u8>)>, StorageError> {
            let missing: HashSet<Id> = {
                let idx = dest.index();
                wanted.into_iter().filter(|id| !idx.packs.contains_key(id)).collect()
            };
            if missing.is_empty() {
                return Ok(None);
            }
            let file = IndexFile { packs: src.index().pack_entries(&missing)? };
            let bytes = file.encode(dest.keys())?;
            Ok(Some((file, bytes)))
        })
    };
    tracing::debug!(since = ?began.elapsed(), "transfer: prefetch asked");
    let copied: Vec<u64> = futures::stream::iter(to_copy.into_iter().enumerate())
        .map(|(i, id)| {
            if let Some(next) = ahead.get(i + PACKS_IN_PARALLEL) {
                prefetch(vec![*next]);
            }
            let (limiter, progress) = (&limiter, progress.clone());
            async move {
                let n = copy_pack(src, dest, id, limiter, &progress).await?;
                progress.add_items(1);
                Ok::<u64, StorageError>(n)
            }
        })
        .buffer_unordered(PACKS_IN_PARALLEL)
        .try_collect()
        .await?;
    stats.packs_copied = copied.len() as u64;
    stats.bytes_copied = copied.iter().sum();
    tracing::debug!(since = ?began.elapsed(), "transfer: packs copied");

    // Packs the destination's index does not list yet get their entries from the source's
    // (a pack listed by a loaded index file has every blob of it indexed); the index file goes
    // in after its packs.
    if let Some((file, bytes)) = index.await?? {
        dest.put_index(&file, bytes).await?;
    }
    tracing::debug!(since = ?began.elapsed(), "transfer: index written");
    Ok(stats)
}

/// Is this pack present and intact in `repo`?
async fn pack_ok(repo: &Repo, pack: &Id) -> Result<bool, StorageError> {
    match repo.get(&pack_object(pack)).await {
        Ok(data) => Ok(blake3::hash(&data).as_bytes() == pack),
        Err(e @ StorageError::Unavailable(_)) => Err(e),
        Err(_) => Ok(false),
    }
}
