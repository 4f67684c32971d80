//! Prune (`Repo::prune`, `PruneRequest`, `PruneStats`): reclaim what no snapshot needs.
//!
//! 1. List the vault (sizes, write times); read every manifest and tree: the live chunks. An
//!    unreadable manifest or tree stops the prune (its chunks cannot be told from garbage).
//! 2. Packs no loaded index lists get their headers read (`reindex.rs`): one holding a live
//!    chunk the index lacks is indexed again (restic's `repair index`); the others are leaks of
//!    failed or killed backups, removed once older than the grace period.
//! 3. Indexed packs written before the prune started: none of their chunks live → deleted;
//!    more than `REWRITE_GARBAGE_SHARE` of their bytes garbage → their live blobs are copied
//!    (as stored, not re-encrypted) into new packs and the old pack deleted.
//! 4. Decision, under the pin lock (`coord.rs`): chunks pinned by running backups are live too;
//!    the chunks to drop leave the chunk index, so a backup deduplicating from now on
//!    stores them anew.
//! 5. New packs → index files for every pack kept (`INDEX_FILE_PACKS` packs each) → the index files listed in step 1 are
//!    deleted → wait for readers that started before the switch → delete old packs and leaks.
//!
//! A crash between any two steps leaves every live chunk listed by some index file in a present
//! pack; what is left over (unindexed packs, duplicate index entries) is what the next prune
//! collects. docs/design.md, "Prune", says why.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::blob::EncodedBlob;
use super::coord::{pin_key, Coord};
use super::error::StorageError;
use super::ids::{pack_object, parse_id, to_hex, Id};
use super::index::{BlobLoc, IndexFile, IndexPack};
use super::pack::PackBuilder;
use super::progress::Progress;
use super::repo::Repo;
use super::snapshot::snapshot_object;

/// Packs listed by one index file prune writes (256 packs ≈ 4 GiB of data; a vault's index is
/// rewritten in files of this many so that prune holds one file's entries at a time).
pub const INDEX_FILE_PACKS: usize = 256;

/// Unreferenced packs younger than this are left alone (a backup may still be writing them).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3600);

/// A pack is rewritten when more than this share of its bytes is garbage. At one half, the
/// bytes copied never exceed the bytes freed (write amplification ≤ 1), and a kept pack is at
/// least half live, so the vault never holds more than twice what its snapshots reference.
pub const REWRITE_GARBAGE_SHARE: f64 = 0.5;

/// The test hook: with `MIRRORVAULT_PRUNE_ABORT_AT=<phase>` the process aborts (no cleanup,
/// like kill -9) when prune reaches that phase: `decided`, `rewritten`, `indexed`,
/// `index-cleaned`, `deleting`.
pub const ABORT_ENV: &str = "MIRRORVAULT_PRUNE_ABORT_AT";

#[derive(Clone, Debug)]
pub struct PruneRequest {
    /// Report what would be freed; change nothing.
    pub dry_run: bool,
    /// See `DEFAULT_GRACE`.
    pub grace: Duration,
    /// Packs per index file written (`INDEX_FILE_PACKS`; tests use 1 to write many).
    pub index_file_packs: usize,
}

impl Default for PruneRequest {
    fn default() -> Self {
        PruneRequest {
            dry_run: false,
            grace: DEFAULT_GRACE,
            index_file_packs: INDEX_FILE_PACKS,
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct PruneStats {
    /// Always 0 here: storage prune removes no snapshot (the job counts retention's deletions).
    pub snapshots_removed: u64,
    /// Packs deleted whole: unreferenced ones and leaks (with `dry_run`: would be).
    pub packs_deleted: u64,
    pub packs_rewritten: u64,
    pub bytes_freed: u64,
    pub storage_size_before: u64,
    pub storage_size_after: u64,
    /// Unindexed packs indexed again from their headers.
    pub packs_reindexed: u64,
    /// Old index files replaced by the new one.
    pub index_files_removed: u64,
    /// Packs of failed or killed backups among `packs_deleted`.
    pub leaked_packs: u64,
    pub snapshots_kept: u64,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn phase(name: &str) {
    if tracing::enabled!(tracing::Level::DEBUG) {
        tracing::debug!(phase = name, memory_mib = ?crate::platform::memory_mib(), "prune: phase done (RSS, peak)");
    }
    if std::env::var(ABORT_ENV).ok().as_deref() == Some(name) {
        eprintln!("prune: aborting at phase {name} ({ABORT_ENV})");
        std::process::abort();
    }
}

/// The chunks the kept snapshots reference, by the 8 first bytes of their ids (as pins are,
/// `pin_key`): a collision only keeps a garbage chunk one prune longer, and the set costs a
/// quarter of the memory (with whole ids a 20 GiB vault's prune grew 99 MiB while it built the
/// set; 17 MiB now).
#[derive(Default)]
struct LiveSet(HashSet<u64, foldhash::fast::RandomState>);

impl LiveSet {
    fn contains(&self, id: &Id) -> bool {
        self.0.contains(&pin_key(id))
    }
}

impl Extend<Id> for LiveSet {
    fn extend<I: IntoIterator<Item = Id>>(&mut self, ids: I) {
        self.0.extend(ids.into_iter().map(|id| pin_key(&id)));
    }
}

/// Resets the coordinator when the prune ends, however it ends.
struct Active<'a>(&'a Coord);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.set_prune_active(false);
    }
}

/// What step 3 decided for one pack.
struct Plan {
    delete: HashMap<Id, u64>,
    /// pack -> (size, blobs to keep)
    rewrite: HashMap<Id, (u64, Vec<(Id, BlobLoc)>)>,
    /// Unindexed packs older than the grace period holding nothing live: (size, their chunks).
    leaks: HashMap<Id, (u64, Vec<Id>)>,
}

impl Repo {
    /// Prune the vault (see the module doc). `Exists` while another prune of it runs.
    pub async fn prune(
        &self,
        req: PruneRequest,
        progress: Arc<Progress>,
    ) -> Result<PruneStats, StorageError> {
        let coord = self.inner.coord.clone();
        let _one = coord.pruning.try_lock().map_err(|_| {
            StorageError::Exists(format!("a prune of vault {} is running", self.vault_id()))
        })?;
        // Copies into this vault run before or after, not beside.
        let _gate = coord.gate.write().await;
        coord.set_prune_active(true);
        let _active = Active(&coord);
        let start = now_ms();
        let grace = i64::try_from(req.grace.as_secs()).unwrap_or(i64::MAX);
        let mut stats = PruneStats::default();

        // 1. What the vault holds, and what its snapshots need.
        let listed = self.list_meta("").await?;
        stats.storage_size_before = listed.iter().map(|(_, s, _)| *s).sum();
        let mut packs: HashMap<Id, (u64, i64)> = HashMap::new();
        let mut index_files: Vec<(String, u64)> = Vec::new();
        for (name, size, modified) in &listed {
            if let Some(rest) = name.strip_prefix("data/") {
                let mut id = [0u8; 32];
                if rest.len() == 67 && hex::decode_to_slice(&rest[3..], &mut id).is_ok() {
                    packs.insert(id, (*size, *modified));
                }
            } else if name.starts_with("index/") {
                index_files.push((name.clone(), *size));
            }
        }
        // 2. Packs no index lists: those holding chunks the index lacks are indexed again from
        // their headers (so the trees below can be read); the others are leaks.
        let unindexed: HashMap<Id, u64> = {
            let idx = self.index();
            packs
                .iter()
                .filter(|(id, _)| !idx.packs.contains_key(*id))
                .map(|(id, (s, _))| (*id, *s))
                .collect()
        };
        let (headers, unreadable) = self.read_pack_headers(&unindexed).await?;
        let old_enough = |modified: i64| modified < start - grace.saturating_mul(1000).min(start);
        // pack -> the chunks its header gave the index
        let mut recovered: HashMap<Id, Vec<Id>> = HashMap::new();
        let mut leaks: HashMap<Id, (u64, Vec<Id>)> = HashMap::new();
        {
            let mut idx = self.index_mut();
            for h in headers {
                let id = parse_id(&h.id, "pack header")?;
                let added = idx.add_pack_missing(&h, "pack header")?;
                if !added.is_empty() {
                    recovered.insert(id, added);
                } else if old_enough(packs[&id].1) {
                    leaks.insert(
                        id,
                        (
                            h.size,
                            h.blobs
                                .iter()
                                .filter_map(|b| b.chunk_id("pack header").ok())
                                .collect(),
                        ),
                    );
                }
            }
        }
        for name in unreadable {
            // A pack no index lists and whose header cannot be read holds nothing reachable.
            let Some(file) = name.rsplit('/').next() else {
                continue;
            };
            let mut id = [0u8; 32];
            if hex::decode_to_slice(file, &mut id).is_ok() && old_enough(packs[&id].1) {
                leaks.insert(id, (packs[&id].0, Vec::new()));
            }
        }
        phase("listed");
        let (live, kept) = self.live_chunks(&listed, &progress).await?;
        phase("live");
        stats.snapshots_kept = kept;
        progress.check_cancel()?;

        // 3. Indexed packs older than this prune.
        let mut plan = Plan {
            delete: HashMap::new(),
            rewrite: HashMap::new(),
            leaks,
        };
        // The live bytes of every pack in one pass; the chunk lists of the packs deleted or
        // rewritten only.
        let live_bytes = self.index().bytes_by_pack(|c| live.contains(c))?;
        {
            let idx = self.index();
            for (pack, (size, modified)) in &packs {
                if *modified >= start
                    || !idx.packs.contains_key(pack)
                    || recovered.contains_key(pack)
                {
                    continue;
                }
                let live_bytes = live_bytes.get(pack).copied().unwrap_or(0);
                if live_bytes == 0 {
                    plan.delete.insert(*pack, *size);
                } else if (*size - live_bytes.min(*size)) as f64
                    > REWRITE_GARBAGE_SHARE * *size as f64
                {
                    plan.rewrite.insert(*pack, (*size, Vec::new()));
                }
            }
        }
        drop(live_bytes);
        let touched: HashSet<Id> = plan.delete.keys().chain(plan.rewrite.keys()).copied().collect();
        let mut pack_blobs = self.index().by_pack(&touched)?;
        for p in &touched {
            pack_blobs.entry(*p).or_default();
        }
        phase("planned");

        // 4. Decision: pins of running writers are live too; dropped chunks leave the index.
        {
            let st = coord.lock_pins();
            let pins = st.all_pins();
            let pinned = |c: &Id| pins.contains(&pin_key(c));
            plan.leaks
                .retain(|_, (_, chunks)| !chunks.iter().any(pinned));
            // A pack indexed again from its header that holds nothing live or pinned was a
            // leak after all: its entries leave the index again.
            let mut idx = self.index_mut();
            recovered.retain(|pack, added| {
                if added.iter().any(|c| live.contains(c) || pinned(c)) {
                    return true;
                }
                idx.remove_chunks(added.iter());
                idx.remove_pack(pack);
                if old_enough(packs[pack].1) {
                    plan.leaks.insert(*pack, (packs[pack].0, added.clone()));
                }
                false
            });
            drop(idx);
            plan.delete
                .retain(|p, _| !pack_blobs[p].iter().any(|(c, _)| pinned(c)));
            for (p, (_, keep)) in plan.rewrite.iter_mut() {
                *keep = pack_blobs[p]
                    .iter()
                    .filter(|(c, _)| live.contains(c) || pinned(c))
                    .cloned()
                    .collect();
            }
            if !req.dry_run {
                let mut idx = self.index_mut();
                for p in plan.delete.keys() {
                    idx.remove_chunks(pack_blobs[p].iter().map(|(c, _)| c));
                    idx.remove_pack(p);
                }
                let mut dropped: Vec<Id> = Vec::new();
                for p in plan.delete.keys() {
                    dropped.extend(pack_blobs[p].iter().map(|(c, _)| *c));
                }
                for (p, (_, keep)) in &plan.rewrite {
                    let kept: HashSet<Id> = keep.iter().map(|(c, _)| *c).collect();
                    dropped.extend(
                        pack_blobs[p]
                            .iter()
                            .map(|(c, _)| *c)
                            .filter(|c| !kept.contains(c)),
                    );
                }
                idx.remove_chunks(dropped.iter());
                drop(idx);
                // Other repos open on this vault (reopened by verify or repair) forget them too.
                coord.other_indexes(&self.inner.index, |other| {
                    other.remove_chunks(dropped.iter());
                    for p in plan.delete.keys() {
                        other.remove_pack(p);
                    }
                });
            }
        }
        coord.set_prune_active(false);
        stats.packs_reindexed = recovered.len() as u64;
        stats.leaked_packs = plan.leaks.len() as u64;
        stats.packs_deleted = (plan.delete.len() + plan.leaks.len()) as u64;
        stats.packs_rewritten = plan.rewrite.len() as u64;
        let old_bytes: u64 = plan.delete.values().sum::<u64>()
            + plan.leaks.values().map(|(s, _)| s).sum::<u64>()
            + plan.rewrite.values().map(|(s, _)| s).sum::<u64>();
        progress.set_totals(
            old_bytes,
            (plan.delete.len() + plan.leaks.len() + plan.rewrite.len()) as u64,
        );
        if req.dry_run {
            let rewritten_live: u64 = plan
                .rewrite
                .values()
                .flat_map(|(_, k)| k.iter().map(|(_, l)| u64::from(l.length)))
                .sum();
            stats.bytes_freed = old_bytes.saturating_sub(rewritten_live);
            stats.storage_size_after = stats.storage_size_before.saturating_sub(stats.bytes_freed);
            return Ok(stats);
        }
        phase("decided");

        // 5. New packs, one index for every pack kept, old index files, readers, old packs.
        let new_packs = self.rewrite_packs(&plan.rewrite, &progress).await?;
        let new_bytes: u64 = new_packs.iter().map(|p| p.size).sum();
        phase("rewritten");
        let per_file = req.index_file_packs.max(1);
        let changed = !plan.delete.is_empty()
            || !plan.rewrite.is_empty()
            || !recovered.is_empty()
            || index_files.len() > self.index().packs.len().div_ceil(per_file).max(1)
            || !self.bad_index_files().is_empty();
        let mut index_bytes = 0u64;
        if changed {
            let gone: HashSet<Id> = plan
                .delete
                .keys()
                .chain(plan.rewrite.keys())
                .copied()
                .collect();
            let keep: HashSet<Id> = self
                .index()
                .packs
                .keys()
                .filter(|p| !gone.contains(*p))
                .copied()
                .collect();
            // The kept packs' entries in files of at most `INDEX_FILE_PACKS` packs (one file
            // for the whole vault held every entry three times — entries, JSON, zstd — ~150 MiB
            // for a 10 GiB vault of small files).
            let new_ids: HashSet<Id> = new_packs.iter().map(|p| parse_id(&p.id, "prune")).collect::<Result<_, _>>()?;
            let mut rest: Vec<Id> = keep.into_iter().filter(|p| !new_ids.contains(p)).collect();
            rest.sort_unstable();
            let mut written: HashSet<String> = HashSet::new();
            let mut file = IndexFile { packs: new_packs };
            let mut groups = rest.chunks(per_file).peekable();
            loop {
                if let Some(group) = groups.next() {
                    let wanted: HashSet<Id> = group.iter().copied().collect();
                    file.packs.extend(self.index().pack_entries(&wanted)?);
                }
                let name = self.write_index(&file).await?;
                // Other repos open on this vault resolve the moved chunks to the new packs too.
                let _pins = coord.lock_pins();
                coord.other_indexes(&self.inner.index, |other| {
                    if let Err(e) = other.add_file(&file, &name) {
                        tracing::warn!(error = %e, "cannot update another open index");
                    }
                });
                drop(_pins);
                written.insert(name);
                file = IndexFile::default();
                if groups.peek().is_none() {
                    break;
                }
            }
            {
                let mut idx = self.index_mut();
                for p in plan.rewrite.keys() {
                    idx.remove_pack(p);
                }
            }
            let _pins = coord.lock_pins();
            coord.other_indexes(&self.inner.index, |other| {
                for p in plan.rewrite.keys() {
                    other.remove_pack(p);
                }
            });
            drop(_pins);
            phase("indexed");
            for (name, size) in &index_files {
                if !written.contains(name) {
                    self.delete(name).await?;
                    stats.index_files_removed += 1;
                    index_bytes += size;
                }
            }
            let new_index: u64 = self
                .list("index/")
                .await?
                .iter()
                .filter(|(n, _)| written.contains(n))
                .map(|(_, s)| *s)
                .sum();
            index_bytes = index_bytes.saturating_sub(new_index);
            self.inner
                .bad_index
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
            phase("index-cleaned");
        }
        self.forget_remembered_packs();
        let cutoff = coord.reader_cutoff();
        coord.wait_readers(cutoff, &progress).await?;
        let doomed: Vec<(Id, u64)> = plan
            .delete
            .iter()
            .map(|(p, s)| (*p, *s))
            .chain(plan.rewrite.iter().map(|(p, (s, _))| (*p, *s)))
            .chain(plan.leaks.iter().map(|(p, (s, _))| (*p, *s)))
            .collect();
        let mut freed = 0u64;
        for (i, (pack, size)) in doomed.iter().enumerate() {
            // A pack someone indexed again meanwhile (a copy into this vault) stays.
            if self.index().packs.contains_key(pack) {
                continue;
            }
            self.delete(&pack_object(pack)).await?;
            freed += size;
            progress.add_items(1);
            progress.add_bytes(*size);
            if i == 0 {
                phase("deleting");
            }
        }
        stats.bytes_freed = (freed + index_bytes).saturating_sub(new_bytes);
        stats.storage_size_after = self.storage_size().await?;
        tracing::info!(vault = %self.vault_id(), ?stats, "prune done");
        Ok(stats)
    }

    /// Every chunk the vault's snapshots reference (tree chunks and file chunks), and how many
    /// snapshots there are. Fails on a manifest or tree it cannot read.
    async fn live_chunks(
        &self,
        listed: &[(String, u64, i64)],
        progress: &Progress,
    ) -> Result<(LiveSet, u64), StorageError> {
        let mut live = LiveSet::default();
        let mut kept = 0;
        for (name, _, _) in listed
            .iter()
            .filter(|(n, _, _)| n.starts_with("snapshots/"))
        {
            progress.check_cancel()?;
            let id = name.trim_start_matches("snapshots/");
            let m = match self.load_snapshot(id).await {
                Ok(m) => m,
                Err(e) if e.is_not_found() => continue, // deleted meanwhile
                Err(e) => return Err(stopped(name, e)),
            };
            for h in &m.tree {
                live.extend([parse_id(h, &snapshot_object(id))?]);
            }
            if let Some(c) = self.remembered_chunks(id) {
                live.extend(c.iter().copied());
            } else {
                live = self
                    .tree_chunks(&m, live)
                    .await
                    .map_err(|e| stopped(&format!("the tree of {name}"), e))?;
            }
            kept += 1;
        }
        Ok((live, kept))
    }

    /// Copies the kept blobs of `rewrite` (as stored) into new packs; returns their index entries.
    async fn rewrite_packs(
        &self,
        rewrite: &HashMap<Id, (u64, Vec<(Id, BlobLoc)>)>,
        progress: &Progress,
    ) -> Result<Vec<IndexPack>, StorageError> {
        let pack_size = self.config().pack_size as usize;
        let mut builder = PackBuilder::default();
        let mut out = Vec::new();
        for (pack, (_, keep)) in rewrite {
            progress.check_cancel()?;
            let object = pack_object(pack);
            let data = self.get(&object).await?;
            if blake3::hash(&data).as_bytes() != pack {
                return Err(StorageError::corrupt(object, "pack bytes do not match the pack id; prune stopped (verify and repair the vault)"));
            }
            for (id, loc) in keep {
                let (a, b) = (
                    loc.offset as usize,
                    loc.offset as usize + loc.length as usize,
                );
                let bytes = data.get(a..b).ok_or_else(|| {
                    StorageError::corrupt(&object, "pack is shorter than its index says")
                })?;
                builder.add(EncodedBlob {
                    id: *id,
                    data: bytes.to_vec(),
                    raw_len: loc.raw_length,
                })?;
                if builder.len() >= pack_size {
                    out.push(self.put_pack(std::mem::take(&mut builder)).await?);
                }
            }
        }
        if !builder.is_empty() {
            out.push(self.put_pack(builder).await?);
        }
        Ok(out)
    }

    async fn put_pack(&self, builder: PackBuilder) -> Result<IndexPack, StorageError> {
        let r = self.clone();
        let fin = tokio::task::spawn_blocking(move || builder.finish(r.keys())).await??;
        let size = fin.bytes.len() as u64;
        self.put(&pack_object(&fin.id), Bytes::from(fin.bytes))
            .await?;
        Ok(IndexPack {
            id: to_hex(&fin.id),
            size,
            blobs: fin.entries,
        })
    }
}

fn stopped(what: &str, e: StorageError) -> StorageError {
    match e {
        e @ (StorageError::Unavailable(_) | StorageError::Canceled) => e,
        e => StorageError::corrupt(what, format!("prune stopped: cannot read it, so its chunks cannot be told from garbage ({e}); verify and repair the vault first")),
    }
}
