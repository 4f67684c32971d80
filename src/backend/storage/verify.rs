//! Verify (`Repo::verify`, `VerifyReport`): check that every object a snapshot needs is present
//! (and, with `read_data`, intact: pack hash matches its name, every needed blob decrypts,
//! decompresses and re-hashes).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use futures::StreamExt;
use serde::Serialize;

use super::blob;
use super::error::StorageError;
use super::ids::{pack_object, parse_id, to_hex, Id};
use super::progress::Progress;
use super::repo::Repo;
use super::snapshot::{snapshot_object, SnapshotManifest};
use super::tree::TreeEntry;

const PACKS_IN_PARALLEL: usize = 2;

#[derive(Debug, Default, Clone, Serialize)]
pub struct VerifyReport {
    pub damaged_objects: Vec<String>,
    pub damaged_snapshots: Vec<String>,
    pub damaged_files: Vec<String>,
    pub objects_checked: u64,
    pub bytes_read: u64,
}

impl Repo {
    /// Check one snapshot (or all: `None`); `read_data` also downloads and decodes every pack.
    /// Damage is reported, not returned as an error; a missing named snapshot is `NotFound`.
    pub async fn verify(&self, snapshot_id: Option<&str>, read_data: bool, progress: Arc<Progress>) -> Result<VerifyReport, StorageError> {
        let mut report = VerifyReport::default();
        let _reading = self.reader();
        let ids: Vec<String> = match snapshot_id {
            Some(id) => vec![id.to_string()],
            None => self
                .list("snapshots/")
                .await?
                .into_iter()
                .map(|(n, _)| n.trim_start_matches("snapshots/").to_string())
                .collect(),
        };

        // Manifests and trees.
        let mut loaded: Vec<(SnapshotManifest, Option<Vec<TreeEntry>>)> = Vec::new();
        let mut damaged_snaps: HashSet<String> = HashSet::new();
        let mut damaged_objects: HashSet<String> = HashSet::new();
        for id in ids {
            progress.check_cancel()?;
            report.objects_checked += 1;
            match self.load_snapshot(&id).await {
                Ok(m) => {
                    let tree = match self.load_tree(&m).await {
                        Ok(t) => Some(t),
                        Err(e @ (StorageError::Unavailable(_) | StorageError::Canceled)) => return Err(e),
                        Err(_) => {
                            damaged_snaps.insert(id.clone());
                            None
                        }
                    };
                    loaded.push((m, tree));
                }
                Err(e) if e.is_not_found() && snapshot_id.is_some() => return Err(e),
                Err(e @ (StorageError::Unavailable(_) | StorageError::Canceled)) => return Err(e),
                Err(_) => {
                    damaged_snaps.insert(id.clone());
                    damaged_objects.insert(snapshot_object(&id));
                }
            }
        }

        // Every chunk needed, grouped by pack.
        let mut needed: HashSet<Id> = HashSet::new();
        for (m, tree) in &loaded {
            for h in &m.tree {
                needed.insert(parse_id(h, &snapshot_object(&m.snapshot_id))?);
            }
            for e in tree.iter().flatten() {
                needed.extend(e.chunks.iter().copied());
            }
        }
        let mut bad_chunks: HashSet<Id> = HashSet::new();
        let mut by_pack: HashMap<Id, Vec<(Id, super::index::BlobLoc)>> = HashMap::new();
        {
            let idx = self.index();
            for id in &needed {
                match idx.get(id) {
                    Some(loc) => by_pack.entry(loc.pack).or_default().push((*id, loc)),
                    None => {
                        bad_chunks.insert(*id);
                        damaged_objects.insert(format!("chunk {} (not in any index)", to_hex(id)));
                    }
                }
            }
        }
        // Index files that could not be read or decrypted are damaged objects too (their chunks
        // then show up as "not in any index" above).
        for name in self.bad_index_files() {
            damaged_objects.insert(name);
        }
        let present = self.list_packs().await?;
        // A lost or damaged index must not hide which files are really damaged: chunks no index
        // lists are looked up in the headers of the packs no index lists (restic's `repair
        // index`, read-only here; a prune writes the rebuilt index). Such a snapshot stays
        // damaged (a restore cannot find those chunks until then), but its files are only
        // reported when their data is damaged too.
        let mut header_sizes: HashMap<Id, u64> = HashMap::new();
        let mut unindexed: HashSet<Id> = HashSet::new();
        if !bad_chunks.is_empty() {
            let orphans: HashMap<Id, u64> = {
                let idx = self.index();
                present.iter().filter(|(id, _)| !idx.packs.contains_key(*id)).map(|(id, size)| (*id, *size)).collect()
            };
            let (packs, _) = self.read_pack_headers(&orphans).await?;
            for p in packs {
                let object = format!("data/{}", p.id);
                let Ok(pack) = parse_id(&p.id, &object) else { continue };
                for b in &p.blobs {
                    let Ok(id) = b.chunk_id(&object) else { continue };
                    if bad_chunks.remove(&id) {
                        unindexed.insert(id);
                        header_sizes.insert(pack, p.size);
                        by_pack.entry(pack).or_default().push((id, super::index::BlobLoc { pack, offset: b.offset, length: b.length, raw_length: b.raw_length }));
                    }
                }
            }
            damaged_objects.retain(|o| !(o.ends_with("(not in any index)") && unindexed.iter().any(|id| o.contains(&to_hex(id)))));
            if !unindexed.is_empty() {
                damaged_objects.insert(format!("{} chunks not in any index, found in pack headers (a prune re-indexes them)", unindexed.len()));
            }
        }
        let expected_size = |p: &Id| self.index().packs.get(p).copied().or_else(|| header_sizes.get(p).copied());
        let mut to_read = Vec::new();
        for (pack, blobs) in by_pack {
            report.objects_checked += 1;
            let ok = present.get(&pack).is_some_and(|s| Some(*s) == expected_size(&pack));
            if !ok {
                damaged_objects.insert(pack_object(&pack));
                bad_chunks.extend(blobs.iter().map(|(id, _)| *id));
            } else if read_data {
                to_read.push((pack, blobs));
            }
        }
        progress.set_totals(to_read.iter().filter_map(|(p, _)| present.get(p)).sum(), to_read.len() as u64);

        let results: Vec<Result<(Id, u64, bool, Vec<Id>), StorageError>> = futures::stream::iter(to_read)
            .map(|(pack, blobs)| {
                let progress = progress.clone();
                async move {
                    progress.check_cancel()?;
                    let (n, ok, bad) = check_pack(self, pack, blobs).await?;
                    progress.add_items(1);
                    progress.add_bytes(n);
                    Ok((pack, n, ok, bad))
                }
            })
            .buffer_unordered(PACKS_IN_PARALLEL)
            .collect()
            .await;
        for r in results {
            let (pack, n, hash_ok, bad) = r?;
            report.bytes_read += n;
            if !hash_ok || !bad.is_empty() {
                damaged_objects.insert(pack_object(&pack));
            }
            bad_chunks.extend(bad);
        }

        // Map bad chunks to files and snapshots.
        let mut damaged_files: HashSet<String> = HashSet::new();
        for (m, tree) in &loaded {
            let tree_bad = m.tree.iter().any(|h| parse_id(h, "tree").map(|id| bad_chunks.contains(&id) || unindexed.contains(&id)).unwrap_or(true));
            if tree_bad {
                damaged_snaps.insert(m.snapshot_id.clone());
            }
            for e in tree.iter().flatten() {
                if e.chunks.iter().any(|id| bad_chunks.contains(id)) {
                    damaged_files.insert(e.display());
                    damaged_snaps.insert(m.snapshot_id.clone());
                } else if e.chunks.iter().any(|id| unindexed.contains(id)) {
                    damaged_snaps.insert(m.snapshot_id.clone());
                }
            }
        }
        report.damaged_objects = sorted(damaged_objects);
        report.damaged_snapshots = sorted(damaged_snaps);
        report.damaged_files = sorted(damaged_files);
        Ok(report)
    }
}

fn sorted(s: HashSet<String>) -> Vec<String> {
    let mut v: Vec<String> = s.into_iter().collect();
    v.sort();
    v
}

/// Download a pack, check its hash and decode the listed blobs. Returns (bytes read, hash ok, bad chunk ids).
async fn check_pack(repo: &Repo, pack: Id, blobs: Vec<(Id, super::index::BlobLoc)>) -> Result<(u64, bool, Vec<Id>), StorageError> {
    let object = pack_object(&pack);
    let data = match repo.get(&object).await {
        Ok(d) => d,
        Err(e @ (StorageError::Unavailable(_) | StorageError::Canceled)) => return Err(e),
        Err(_) => return Ok((0, false, blobs.iter().map(|(id, _)| *id).collect())),
    };
    let r = repo.clone();
    tokio::task::spawn_blocking(move || {
        let hash_ok = blake3::hash(&data).as_bytes() == &pack;
        let mut bad = Vec::new();
        for (id, loc) in blobs {
            let (start, end) = (loc.offset as usize, loc.offset as usize + loc.length as usize);
            let ok = end <= data.len() && blob::decode(r.keys(), &id, loc.raw_length, &data[start..end], &object).is_ok();
            if !ok {
                bad.push(id);
            }
        }
        (data.len() as u64, hash_ok, bad)
    })
    .await
    .map_err(StorageError::from)
}
