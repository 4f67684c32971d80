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
use super::index::{IndexFile, ParsedIndex};
use super::progress::Progress;
use super::rate::RateLimiter;
use super::repo::{index_object, Repo};
use super::snapshot::{snapshot_object, SnapshotManifest};
use super::tree;

/// Packs copied at once (to S3 or rate-limited, each is held whole in memory while hashed).
const PACKS_IN_PARALLEL: usize = 4;
/// Index files a copy takes whole read, parsed and written at a time (a backup writes one per
/// 32 packs: 8 are ~4 GiB of packs, ~150,000 entries).
const INDEX_FILES_AT_ONCE: usize = 8;

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
        let mut each = self.copy_snapshots_to(dest, &[snapshot_id], rate_limit_bytes_per_sec, progress).await?;
        Ok(each.pop().map(|(stats, _)| stats).unwrap_or_default())
    }

    /// Copy snapshots to `dest` in one transfer: the packs any of them needs that `dest` lacks
    /// (one listing of `dest`, one pass of copies), their index, then the manifests in the order
    /// given — a manifest only once every pack of every snapshot is in. Returns what each
    /// snapshot moved (a pack two of them need counts for the first) and its manifest.
    pub async fn copy_snapshots_to(&self, dest: &Repo, snapshot_ids: &[&str], rate_limit_bytes_per_sec: u64, progress: Arc<Progress>) -> Result<Vec<(CopyStats, SnapshotManifest)>, StorageError> {
        same_key(self, dest)?;
        // A reader of this vault (a prune here waits before deleting packs it rewrote), and
        // a writer of `dest` (a prune there runs before or after, not beside: `coord.rs`).
        let _reading = self.reader();
        let _gate = dest.inner.coord.gate.read().await;
        let started = Instant::now();
        for id in snapshot_ids {
            super::ids::check_name("snapshot id", id)?;
        }
        // The manifests, read side by side (on a cold disk each read waits its turn) — beside
        // the packs' copy when every snapshot's packs are remembered (one just backed up is),
        // else first, to find the packs.
        let names: Vec<String> = snapshot_ids.iter().map(|id| snapshot_object(id)).collect();
        let read_manifests = async {
            futures::stream::iter(names.clone())
                .map(|name| {
                    let repo = self.clone();
                    async move {
                        let raw = repo.get(&name).await?;
                        let manifest = SnapshotManifest::decode(repo.keys(), &raw, &name)?;
                        Ok::<_, StorageError>((name, raw, manifest))
                    }
                })
                .buffered(PACKS_IN_PARALLEL)
                .try_collect::<Vec<_>>()
                .await
        };
        let remembered: Option<Vec<Arc<HashMap<Id, u64>>>> = snapshot_ids.iter().map(|id| self.remembered_packs(id)).collect();
        let union = |each: &[Arc<HashMap<Id, u64>>]| -> HashMap<Id, u64> { each.iter().flat_map(|p| p.iter().map(|(id, size)| (*id, *size))).collect() };
        let (manifests, each_packs, copied, planned) = match remembered {
            Some(each_packs) => {
                let packs = union(&each_packs);
                let planned = started.elapsed();
                let (manifests, moved) = tokio::join!(read_manifests, transfer(self, dest, &packs, rate_limit_bytes_per_sec, &progress));
                (manifests?, each_packs, moved?.1, planned)
            }
            None => {
                let manifests = read_manifests.await?;
                let mut each_packs = Vec::with_capacity(manifests.len());
                for (_, _, manifest) in &manifests {
                    each_packs.push(needed_packs(self, manifest).await?);
                }
                let packs = union(&each_packs);
                let planned = started.elapsed();
                let (_, copied) = transfer(self, dest, &packs, rate_limit_bytes_per_sec, &progress).await?;
                (manifests, each_packs, copied, planned)
            }
        };
        progress.check_cancel()?;
        let mut decoded = Vec::with_capacity(manifests.len());
        for (name, raw, manifest) in manifests {
            dest.put(&name, raw).await?;
            decoded.push(manifest);
        }
        let mut counted: HashSet<Id> = HashSet::new();
        let each: Vec<(CopyStats, SnapshotManifest)> = each_packs
            .iter()
            .zip(decoded)
            .map(|(needed, manifest)| {
                let mut st = CopyStats::default();
                for (p, size) in needed.iter() {
                    if !counted.insert(*p) {
                        continue;
                    }
                    if copied.contains(p) {
                        st.packs_copied += 1;
                        st.bytes_copied += size;
                    } else {
                        st.packs_skipped += 1;
                    }
                }
                (st, manifest)
            })
            .collect();
        tracing::debug!(snapshots = snapshot_ids.len(), ?planned, total = ?started.elapsed(), packs = copied.len(), "snapshots copied");
        Ok(each)
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
        // The manifests of snapshots whose packs are not remembered (one just backed up is),
        // read side by side.
        let unknown: Vec<String> = snapshot_ids.iter().filter(|id| self.remembered_packs(id).is_none()).map(|id| id.to_string()).collect();
        let mut manifests: HashMap<String, SnapshotManifest> = futures::stream::iter(unknown)
            .map(|id| {
                let repo = self.clone();
                async move { repo.load_snapshot(&id).await.map(|m| (id, m)) }
            })
            .buffered(PACKS_IN_PARALLEL)
            .try_collect()
            .await?;
        for id in snapshot_ids {
            let began = Instant::now();
            let packs = match (self.remembered_packs(id), manifests.remove(*id)) {
                (Some(p), _) => p,
                (None, Some(m)) => needed_packs(self, &m).await?,
                (None, None) => needed_packs(self, &self.load_snapshot(id).await?).await?,
            };
            tracing::debug!(snapshot = id, took = ?began.elapsed(), "packs a copy needs");
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
        // Unreadable index files go first: the index written for the re-fetched packs may be
        // the healthy copy's file of the same name (index files are copied whole).
        for name in self.bad_index_files() {
            self.delete(&name).await?;
            self.inner.bad_index.lock().unwrap_or_else(|p| p.into_inner()).retain(|n| *n != name);
            repaired.push(name);
        }
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
    let epoch = repo.packs_epoch();
    let packs = Arc::new(match repo.remembered_chunks(&m.snapshot_id) {
        Some(chunks) => packs_for(repo, &chunks)?,
        None => packs_of_tree(repo, m).await?,
    });
    repo.remember_packs(&m.snapshot_id, packs.clone(), epoch);
    Ok(packs)
}

/// Chunk ids looked up at a time by `packs_of_tree` (32 MiB of them: each batch reads the
/// sorted run of the index once).
const LOOKUP_BATCH: usize = 1 << 20;

/// The packs holding every chunk of a snapshot, its tree read as a stream and its chunks looked
/// up a batch at a time: the set of a large snapshot's chunks is never whole in memory (a set
/// of the 2 million chunk ids of a 40 GiB tree is ~70 MiB, twice that while it grows).
async fn packs_of_tree(repo: &Repo, m: &SnapshotManifest) -> Result<HashMap<Id, u64>, StorageError> {
    let name = snapshot_object(&m.snapshot_id);
    let mut batch: Vec<Id> = m.tree.iter().map(|h| parse_id(h, &name)).collect::<Result<_, _>>()?;
    let r = repo.clone();
    repo.read_tree(m, move |json| {
        let mut packs = HashMap::new();
        let mut failed = Ok(());
        let mut flush = |batch: &mut Vec<Id>, packs: &mut HashMap<Id, u64>| {
            batch.sort_unstable();
            batch.dedup();
            if failed.is_ok() {
                failed = packs_for_into(&r, batch.iter(), packs);
            }
            batch.clear();
        };
        tree::chunk_ids(json, &mut BatchSink { batch: &mut batch, packs: &mut packs, flush: &mut flush })?;
        flush(&mut batch, &mut packs);
        Ok(failed.map(|()| packs))
    })
    .await?
}

/// Collects chunk ids; every `LOOKUP_BATCH` of them goes to `flush`.
struct BatchSink<'a, F: FnMut(&mut Vec<Id>, &mut HashMap<Id, u64>)> {
    batch: &'a mut Vec<Id>,
    packs: &'a mut HashMap<Id, u64>,
    flush: &'a mut F,
}

impl<F: FnMut(&mut Vec<Id>, &mut HashMap<Id, u64>)> Extend<Id> for BatchSink<'_, F> {
    fn extend<I: IntoIterator<Item = Id>>(&mut self, ids: I) {
        for id in ids {
            self.batch.push(id);
            if self.batch.len() >= LOOKUP_BATCH {
                (self.flush)(self.batch, self.packs);
            }
        }
    }
}

/// Packs of `repo` holding `chunks`, with their sizes.
pub(super) fn packs_for(repo: &Repo, chunks: &HashSet<Id>) -> Result<HashMap<Id, u64>, StorageError> {
    let mut out = HashMap::new();
    packs_for_into(repo, chunks, &mut out)?;
    Ok(out)
}

/// Adds the packs of `repo` holding `chunks` to `out`; a chunk not indexed is an error.
fn packs_for_into<'a>(repo: &Repo, chunks: impl IntoIterator<Item = &'a Id>, out: &mut HashMap<Id, u64>) -> Result<(), StorageError> {
    let idx = repo.index();
    let mut lost = None;
    idx.get_each(chunks, |c, loc| match loc {
        Some(loc) => {
            if !out.contains_key(&loc.pack) {
                if let Some(size) = idx.packs.get(&loc.pack) {
                    out.insert(loc.pack, *size);
                }
            }
        }
        None => lost = lost.or(Some(*c)),
    })?;
    match lost {
        Some(c) => Err(StorageError::NotFound { object: format!("chunk {}", to_hex(&c)) }),
        None => Ok(()),
    }
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
/// Returns the stats and the packs copied.
async fn transfer(src: &Repo, dest: &Repo, packs: &HashMap<Id, u64>, rate: u64, progress: &Arc<Progress>) -> Result<(CopyStats, HashSet<Id>), StorageError> {
    let began = Instant::now();
    // The index files to take whole are read before the packs queue their reads (a few MiB:
    // behind 64 MiB of packs on a cold disk they came last, and their parsing — started only
    // then — finished after the packs); the destination is listed meanwhile. The kernel is
    // asked for them, and then for the first packs, at once, so the disk goes on to the packs
    // while the index files come back (a cold sync of a 23,000-file tree waits 6-10 ms for
    // its four index files).
    let (whole, later, rest) = plan_index_files(src, dest, packs.keys().copied().collect());
    let first: Vec<Id> = packs.keys().take(PACKS_IN_PARALLEL).copied().collect();
    let asked: HashSet<Id> = first.iter().copied().collect();
    {
        let (src, names) = (src.clone(), whole.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>());
        drop(tokio::task::spawn_blocking(move || {
            names.iter().for_each(|n| src.prefetch(n));
            first.iter().for_each(|id| src.prefetch_pack(id));
        }));
    }
    let ((files, rest), present) = tokio::try_join!(
        async { read_whole(src, whole).await.map(|(files, gone)| (files, gone.into_iter().chain(rest).collect::<HashSet<Id>>())) },
        dest.list_packs()
    )?;
    tracing::debug!(since = ?began.elapsed(), files = files.len(), "transfer: index files read, destination listed");
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
    // (the first packs to copy were asked for above unless some were present)
    prefetch(ahead.iter().take(PACKS_IN_PARALLEL).filter(|id| !asked.contains(*id)).copied().collect());
    // The index the destination lacks for these packs is made ready while the packs travel,
    // and written after them.
    let index = {
        let (src, dest) = (src.clone(), dest.clone());
        tokio::task::spawn_blocking(move || prepare_index(&src, &dest, files, rest))
    };
    let copied_ids: HashSet<Id> = to_copy.iter().copied().collect();
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
    tracing::debug!(since = ?began.elapsed(), memory_mib = ?crate::platform::memory_mib(), "transfer: packs copied");

    // Packs the destination's index does not list yet get their entries from the source's
    // (a pack listed by a loaded index file has every blob of it indexed); the index file goes
    // in after its packs.
    dest.put_indexes(index.await??).await?;
    // The other index files to take whole, a few at a time (all at once, a first sync of a large
    // vault held every index file of it in memory); the packs of any gone meanwhile rebuilt.
    let mut gone = HashSet::new();
    for batch in later.chunks(INDEX_FILES_AT_ONCE) {
        let (files, lost) = read_whole(src, batch.to_vec()).await?;
        gone.extend(lost);
        let (s, d) = (src.clone(), dest.clone());
        dest.put_indexes(tokio::task::spawn_blocking(move || prepare_index(&s, &d, files, HashSet::new())).await??).await?;
    }
    if !gone.is_empty() {
        let (s, d) = (src.clone(), dest.clone());
        dest.put_indexes(tokio::task::spawn_blocking(move || prepare_index(&s, &d, Vec::new(), gone)).await??).await?;
    }
    tracing::debug!(since = ?began.elapsed(), memory_mib = ?crate::platform::memory_mib(), "transfer: index written");
    Ok((stats, copied_ids))
}

/// What gives `dest` the index entries of the `wanted` packs it does not index yet: the
/// source's index files that list only such packs — the first `INDEX_FILES_AT_ONCE` to read
/// now (taken whole, not rebuilt: a vault of small files has tens of thousands of entries, ~60
/// ms of JSON, zstd and AES to encode them again), the others' names and packs to read later —
/// and the packs none of them lists.
#[allow(clippy::type_complexity)]
fn plan_index_files(src: &Repo, dest: &Repo, wanted: HashSet<Id>) -> (Vec<(String, Vec<Id>)>, Vec<(String, Vec<Id>)>, HashSet<Id>) {
    let mut rest: HashSet<Id> = {
        let idx = dest.index();
        wanted.into_iter().filter(|id| !idx.packs.contains_key(id)).collect()
    };
    let mut whole = src.index().files_within(&rest);
    for p in whole.iter().flat_map(|(_, listed)| listed) {
        rest.remove(p);
    }
    let later = whole.split_off(whole.len().min(INDEX_FILES_AT_ONCE));
    (whole, later, rest)
}

/// Reads these index files of `src`; returns those read and the packs of those gone (replaced
/// by a prune meanwhile, or stored under another name than their hash: rebuilt instead).
async fn read_whole(src: &Repo, files: Vec<(String, Vec<Id>)>) -> Result<(Vec<(String, Bytes)>, HashSet<Id>), StorageError> {
    let read: Vec<Result<(String, Bytes), Vec<Id>>> = futures::stream::iter(files)
        .map(|(name, listed)| async move {
            match src.get(&name).await {
                // Copied under its own name, so the name must be the bytes' hash.
                Ok(b) if index_object(&b) == name => Ok(Ok((name, b))),
                Ok(_) | Err(StorageError::NotFound { .. }) => Ok(Err(listed)),
                Err(e) => Err(e),
            }
        })
        .buffer_unordered(PACKS_IN_PARALLEL)
        .try_collect()
        .await?;
    let mut files = Vec::new();
    let mut gone = HashSet::new();
    for r in read {
        match r {
            Ok(f) => files.push(f),
            Err(listed) => gone.extend(listed),
        }
    }
    Ok((files, gone))
}

/// The index files (parsed, encoded) to write to `dest`: `files` read from `src` (authenticated
/// and parsed), and one new file with the entries of the `rest` packs from the source's index.
/// CPU work: call from a blocking context.
fn prepare_index(src: &Repo, dest: &Repo, files: Vec<(String, Bytes)>, rest: HashSet<Id>) -> Result<Vec<(ParsedIndex, Bytes)>, StorageError> {
    let (began, cpu) = (Instant::now(), crate::platform::thread_cpu_time());
    let mut out = Vec::with_capacity(files.len() + 1);
    for (name, bytes) in files {
        out.push((ParsedIndex::decode(src.keys(), &bytes, &name)?, bytes));
    }
    if !rest.is_empty() {
        let file = IndexFile { packs: src.index().pack_entries(&rest)? };
        let bytes = Bytes::from(file.encode(dest.keys())?);
        out.push((file.parse(&index_object(&bytes))?, bytes));
    }
    let cpu = crate::platform::thread_cpu_time().zip(cpu).map(|(now, then)| now.saturating_sub(then));
    tracing::debug!(files = out.len(), took = ?began.elapsed(), ?cpu, "transfer: index ready");
    Ok(out)
}

/// Is this pack present and intact in `repo`?
async fn pack_ok(repo: &Repo, pack: &Id) -> Result<bool, StorageError> {
    match repo.get(&pack_object(pack)).await {
        Ok(data) => Ok(blake3::hash(&data).as_bytes() == pack),
        Err(e @ StorageError::Unavailable(_)) => Err(e),
        Err(_) => Ok(false),
    }
}
