//! Restore (`Repo::restore`, `RestoreRequest`, `RestoreStats`): re-root the snapshot's absolute
//! paths under the target; files are written to a temporary name with positioned writes (holes
//! for zero chunks) and renamed only when every chunk verified, so a damaged file is never left
//! with wrong bytes.
//!
//! Files are restored in tree order (the order the backup packed them), several at a time; a
//! one-chunk file costs one read and one blocking task. The packs the next files need are
//! hinted to the kernel ahead of use (local locations), so a cold cache is read in large
//! sequential requests, not one small read per file. Like restic and `cp`, restore does not
//! fsync each file: the kernel writes the page cache back (fsyncing 12k small files made
//! restore 1.3× slower than restic's on the benchmark).

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::error::StorageError;
use super::ids::{to_hex, Id};
use super::progress::Progress;
use super::repo::Repo;
use super::restore_meta::{write_data, EntryMeta, MetaCtx};
use super::tree::{reroot, Kind, TreeEntry};
use crate::platform;

const FILES_IN_PARALLEL: usize = 8;
const CHUNKS_IN_FLIGHT: usize = 4;
/// Packs hinted ahead of the file being restored.
const PACKS_AHEAD: usize = 4;

/// What to restore and where.
#[derive(Clone, Debug)]
pub struct RestoreRequest {
    pub snapshot_id: String,
    /// Absolute directory; original absolute paths are re-rooted under it.
    pub target: PathBuf,
    /// Subset of original absolute paths; empty = all.
    pub include: Vec<String>,
    pub overwrite: bool,
}

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct RestoreStats {
    pub files_restored: u64,
    pub bytes_restored: u64,
    /// "path: error"
    pub failed_files: Vec<String>,
    /// Entries restored (or, for sockets and devices, skipped) without all of their metadata:
    /// "path: what was not applied and why" (owner, xattr, mode, times, hard link, special file).
    #[serde(default)]
    pub metadata_not_applied: Vec<String>,
}

impl Repo {
    /// Restore a snapshot (or the `include`d part of it) under `req.target`; per-file failures
    /// are listed in the stats, an unavailable location or a cancel fails the whole restore.
    pub async fn restore(&self, req: RestoreRequest, progress: Arc<Progress>) -> Result<RestoreStats, StorageError> {
        check_target(&req.target)?;
        let _reading = self.reader();
        let manifest = self.load_snapshot(&req.snapshot_id).await?;
        let entries = self.load_tree(&manifest).await?;
        let includes: Vec<PathBuf> = req.include.iter().map(PathBuf::from).collect();

        let mut stats = RestoreStats::default();
        let mut plan: Vec<(TreeEntry, PathBuf)> = Vec::new();
        for e in entries {
            let original = e.path_buf()?;
            if !includes.is_empty() && !includes.iter().any(|inc| original.starts_with(inc)) {
                continue;
            }
            match reroot(&req.target, &original) {
                Ok(dest) => plan.push((e, dest)),
                Err(err) => stats.failed_files.push(format!("{}: {err}", e.display())),
            }
        }

        let (plan, overwrite) = (Arc::new(plan), req.overwrite);
        let ctx = Arc::new(MetaCtx::new());
        let p2 = plan.clone();
        stats.failed_files.extend(tokio::task::spawn_blocking(move || precheck_and_mkdirs(&p2, overwrite)).await??);
        let total: u64 = plan.iter().filter(|(e, _)| e.kind == Kind::File).map(|(e, _)| e.size).sum();
        progress.set_totals(total, plan.len() as u64);

        // Symlinks and special files.
        let (p2, c2) = (plan.clone(), ctx.clone());
        let link_results = tokio::task::spawn_blocking(move || {
            p2.iter()
                .filter(|(e, _)| e.kind == Kind::Symlink || e.kind.special().is_some())
                .map(|(e, dest)| {
                    let res = match e.kind {
                        Kind::Symlink => restore_symlink(e, dest, overwrite, &c2).map(|()| true),
                        _ => c2.restore_special(e, dest, overwrite),
                    };
                    (e.display(), res)
                })
                .collect::<Vec<_>>()
        })
        .await?;
        for (name, res) in link_results {
            progress.add_items(1);
            match res {
                Ok(true) => stats.files_restored += 1,
                Ok(false) => {}
                Err(e) => stats.failed_files.push(format!("{name}: {e}")),
            }
        }

        // Hard links whose first path is restored too are linked to it after the files.
        let firsts: HashMap<&str, usize> = plan.iter().enumerate().filter(|(_, (e, _))| e.kind == Kind::File && e.link.is_none()).map(|(i, (e, _))| (e.path.as_str(), i)).collect();
        let links: Vec<(usize, usize)> = (0..plan.len()).filter_map(|i| Some((i, *firsts.get(plan[i].0.link.as_deref()?)?))).collect();
        let linked: HashSet<usize> = links.iter().map(|&(i, _)| i).collect();
        drop(firsts);

        // Regular files, in tree order; the packs they need are hinted a few packs ahead. On a local
        // location, runs of small files (up to 1 MiB) go to one blocking task each.
        let files: Vec<usize> = (0..plan.len()).filter(|&i| plan[i].0.kind == Kind::File && !linked.contains(&i)).collect();
        let mut prefetch = Prefetch::new(self, files.iter().map(|&i| &plan[i].0));
        let units = units(&plan, &files, self.is_local());
        let results: Vec<Vec<(String, Result<u64, StorageError>)>> = futures::stream::iter(units)
            .map(|(last_file, unit)| {
                prefetch.advance(self, last_file);
                let (plan, progress, ctx) = (plan.clone(), progress.clone(), ctx.clone());
                async move {
                    match unit {
                        Unit::SmallLocal(batch) => {
                            let r = self.clone();
                            tokio::task::spawn_blocking(move || restore_small_local(&r, &plan, &batch, &progress, &ctx))
                                .await
                                .unwrap_or_else(|e| vec![(String::new(), Err(e.into()))])
                        }
                        Unit::File(i) => {
                            let (e, dest) = &plan[i];
                            let res = restore_file(self, e, dest, &progress, &ctx).await;
                            progress.add_items(1);
                            vec![(e.display(), res)]
                        }
                    }
                }
            })
            .buffer_unordered(FILES_IN_PARALLEL)
            .collect()
            .await;
        let results = results.into_iter().flatten();
        for (name, res) in results {
            match res {
                Ok(n) => {
                    stats.files_restored += 1;
                    stats.bytes_restored += n;
                }
                Err(StorageError::Canceled) => return Err(StorageError::Canceled),
                Err(StorageError::Unavailable(m)) => return Err(StorageError::Unavailable(m)),
                Err(e) => stats.failed_files.push(format!("{name}: {e}")),
            }
        }

        // Hard links to files restored above; where the target refuses, a copy and a note.
        for (i, first) in links {
            let (e, dest) = &plan[i];
            let (original, dest2) = (plan[first].1.clone(), dest.clone());
            let linked = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                if overwrite && std::fs::symlink_metadata(&dest2).is_ok() {
                    std::fs::remove_file(&dest2)?;
                }
                platform::hard_link(&original, &dest2)
            })
            .await?;
            progress.add_items(1);
            let res = match linked {
                Ok(()) => Ok(0),
                Err(err) => {
                    ctx.note(&e.display(), format_args!("hard link to {} not made ({err}): restored as a copy", plan[first].0.display()));
                    restore_file(self, e, dest, &progress, &ctx).await
                }
            };
            match res {
                Ok(n) => {
                    stats.files_restored += 1;
                    stats.bytes_restored += n;
                }
                Err(err) => stats.failed_files.push(format!("{}: {err}", e.display())),
            }
        }

        // Directory owners, xattrs, modes and times last (after their contents), deepest first;
        // then every entry's file flags.
        let (p2, c2) = (plan.clone(), ctx.clone());
        tokio::task::spawn_blocking(move || {
            let mut dirs: Vec<&(TreeEntry, PathBuf)> = p2.iter().filter(|(e, _)| e.kind == Kind::Dir).collect();
            dirs.sort_by_key(|(_, d)| std::cmp::Reverse(d.components().count()));
            for (e, dest) in dirs {
                let m = EntryMeta::of(e);
                c2.apply_path(&m, dest);
                c2.set_times(&m, dest);
                c2.defer_flags(&m, dest);
            }
            // File flags last of all: an immutable or append-only entry refuses later changes.
            c2.apply_flags();
        })
        .await?;
        stats.failed_files.sort();
        stats.metadata_not_applied = ctx.take_notes();
        Ok(stats)
    }
}

fn check_target(target: &Path) -> Result<(), StorageError> {
    if !target.is_absolute() || target.components().any(|c| c == Component::ParentDir) {
        return Err(StorageError::InvalidPath(format!("restore target {} must be absolute without '..'", target.display())));
    }
    Ok(())
}

/// Refuse (before writing anything) to replace existing entries unless `overwrite`; create
/// directories. Returns the entries whose directory could not be made ("path: error").
fn precheck_and_mkdirs(plan: &[(TreeEntry, PathBuf)], overwrite: bool) -> Result<Vec<String>, StorageError> {
    for (e, dest) in plan {
        if let Ok(md) = std::fs::symlink_metadata(dest) {
            let clash = match e.kind {
                Kind::Dir => !md.is_dir(),
                _ => !overwrite || md.is_dir(),
            };
            if clash {
                return Err(StorageError::Exists(dest.to_string_lossy().into_owned()));
            }
        }
    }
    let mut failed = Vec::new();
    for (e, dest) in plan {
        let dir = if e.kind == Kind::Dir { Some(dest.as_path()) } else { dest.parent() };
        if let Some(d) = dir {
            if let Err(err) = std::fs::create_dir_all(d) {
                failed.push(format!("{}: {err}", e.display()));
            }
        }
    }
    Ok(failed)
}

fn restore_symlink(e: &TreeEntry, dest: &Path, overwrite: bool, ctx: &MetaCtx) -> Result<(), StorageError> {
    let target = e.target_path()?.ok_or_else(|| StorageError::corrupt("tree", "symlink without target"))?;
    if overwrite && std::fs::symlink_metadata(dest).is_ok() {
        std::fs::remove_file(dest)?;
    }
    platform::symlink(&target, dest)?;
    let mut m = EntryMeta::of(e);
    ctx.owner_and_xattrs(&m, dest);
    m.atime = Some(m.atime.unwrap_or(m.mtime));
    ctx.set_times(&m, dest);
    Ok(())
}

/// A short generated name in `dest`'s directory (`.mvpart-<8 hex>`): never longer than any
/// filesystem's name limit, whatever the length of `dest`'s own name.
fn temp_name(dest: &Path) -> PathBuf {
    dest.with_file_name(format!(".mvpart-{:08x}", rand::random::<u32>()))
}

/// Work for one task: a run of small files (local location) or one file.
enum Unit {
    SmallLocal(Vec<usize>),
    File(usize),
}

/// Bytes (and files) after which a run of small files is cut.
const BATCH_BYTES: u64 = 4 << 20;
const BATCH_FILES: usize = 256;
/// Files up to this size are restored whole in memory by the small-file path.
const SMALL_FILE_BYTES: u64 = 1 << 20;

/// Groups the files (plan indices, tree order) into units; each with its last file number.
fn units(plan: &[(TreeEntry, PathBuf)], files: &[usize], local: bool) -> Vec<(usize, Unit)> {
    let mut out = Vec::new();
    let mut batch: Vec<usize> = Vec::new();
    let mut bytes = 0u64;
    for (n, &i) in files.iter().enumerate() {
        let e = &plan[i].0;
        if local && (e.chunks.len() <= 1 || e.size <= SMALL_FILE_BYTES) {
            batch.push(i);
            bytes += e.size;
            if bytes >= BATCH_BYTES || batch.len() >= BATCH_FILES {
                out.push((n, Unit::SmallLocal(std::mem::take(&mut batch))));
                bytes = 0;
            }
        } else {
            if !batch.is_empty() {
                out.push((n.saturating_sub(1), Unit::SmallLocal(std::mem::take(&mut batch))));
                bytes = 0;
            }
            out.push((n, Unit::File(i)));
        }
    }
    if !batch.is_empty() {
        out.push((files.len().saturating_sub(1), Unit::SmallLocal(batch)));
    }
    out
}

/// Restores a run of small files (empty, one chunk, or at most `SMALL_FILE_BYTES`) with
/// blocking I/O (local location).
fn restore_small_local(repo: &Repo, plan: &[(TreeEntry, PathBuf)], batch: &[usize], progress: &Progress, ctx: &Arc<MetaCtx>) -> Vec<(String, Result<u64, StorageError>)> {
    let mut open = None;
    let mut out = Vec::with_capacity(batch.len());
    for &i in batch {
        let (e, dest) = &plan[i];
        let res = progress.check_cancel().and_then(|()| {
            let tmp = temp_name(dest);
            let res = (|| {
                let mut data = Vec::new();
                for id in &e.chunks {
                    let chunk = repo.read_blob_local(id, &mut open)?;
                    if data.is_empty() {
                        data = chunk;
                    } else {
                        data.extend_from_slice(&chunk);
                    }
                }
                if data.len() as u64 != e.data_len() {
                    return Err(StorageError::corrupt("tree", format!("chunks add up to {} bytes, file has {}", data.len(), e.data_len())));
                }
                let file = std::fs::File::create(&tmp)?;
                write_whole(&file, &data, e)?;
                Finish::new(e, dest, tmp.clone(), ctx).done(file)?;
                Ok(e.size)
            })();
            if res.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            res
        });
        if let Ok(n) = res {
            progress.add_bytes(n);
        }
        progress.add_items(1);
        out.push((e.display(), res));
    }
    out
}

/// The packs of the files to restore, in order of first use, hinted `PACKS_AHEAD` ahead.
struct Prefetch {
    /// (index of the first file that needs it, pack), by file index.
    order: Vec<(usize, Id)>,
    next: usize,
}

impl Prefetch {
    fn new<'a>(repo: &Repo, files: impl Iterator<Item = &'a TreeEntry>) -> Prefetch {
        let idx = repo.index();
        let mut seen = std::collections::HashSet::new();
        let mut order = Vec::new();
        for (n, e) in files.enumerate() {
            for h in &e.chunks {
                if let Some(loc) = idx.get(h) {
                    if seen.insert(loc.pack) {
                        order.push((n, loc.pack));
                    }
                }
            }
        }
        Prefetch { order, next: 0 }
    }

    /// File number `n` starts: hint every pack it needs, and the packs after them up to
    /// `PACKS_AHEAD` beyond the last pack first used by a file before `n`.
    fn advance(&mut self, repo: &Repo, n: usize) {
        let current = self.order.partition_point(|(first, _)| *first <= n);
        while self.next < self.order.len() && self.next < current + PACKS_AHEAD {
            repo.prefetch_pack(&self.order[self.next].1);
            self.next += 1;
        }
    }
}

async fn restore_file(repo: &Repo, e: &TreeEntry, dest: &Path, progress: &Progress, ctx: &Arc<MetaCtx>) -> Result<u64, StorageError> {
    // Chunk ids and their offsets (raw lengths from the index).
    let mut plan: Vec<(Id, u64)> = Vec::with_capacity(e.chunks.len());
    let mut offset = 0u64;
    {
        let idx = repo.index();
        for &id in &e.chunks {
            let loc = idx.get(&id).ok_or_else(|| StorageError::NotFound { object: format!("chunk {}", to_hex(&id)) })?;
            plan.push((id, offset));
            offset += u64::from(loc.raw_length);
        }
    }
    if offset != e.data_len() {
        return Err(StorageError::corrupt("tree", format!("chunks add up to {offset} bytes, file has {}", e.data_len())));
    }
    let tmp = temp_name(dest);
    let finish = Finish::new(e, dest, tmp.clone(), ctx);
    let finished = if plan.len() <= 1 {
        // Empty or one chunk: read it, then decode, write and rename in one blocking task.
        progress.check_cancel()?;
        let raw = match plan.first() {
            Some((id, _)) => Some(repo.read_blob_raw(id).await?),
            None => None,
        };
        let (r, shape) = (repo.clone(), TreeEntry { size: e.size, extents: e.extents.clone(), ..TreeEntry::default() });
        tokio::task::spawn_blocking(move || -> Result<u64, StorageError> {
            let data = raw.map(|raw| raw.decode(&r)).transpose()?.unwrap_or_default();
            let file = std::fs::File::create(&finish.tmp)?;
            write_whole(&file, &data, &shape)?;
            finish.done(file)?;
            Ok(data.len() as u64)
        })
        .await?
        .inspect(|&n| progress.add_bytes(n))
    } else {
        restore_chunks(repo, plan, e.size, e.extents.clone().map(Arc::new), finish, progress).await
    };
    if finished.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    finished
}

/// Writes the whole stored data of a file (`e`'s size and extents) into a new `file`.
fn write_whole(file: &std::fs::File, data: &[u8], e: &TreeEntry) -> Result<(), StorageError> {
    write_data(file, data, 0, e.extents.as_deref())?;
    if e.extents.is_some() || !data.iter().any(|&b| b != 0) {
        file.set_len(e.size)?;
    }
    Ok(())
}

/// What happens to a fully written temporary file: owner and xattrs, mode, rename, times.
struct Finish {
    meta: EntryMeta,
    ctx: Arc<MetaCtx>,
    dest: PathBuf,
    tmp: PathBuf,
}

impl Finish {
    fn new(e: &TreeEntry, dest: &Path, tmp: PathBuf, ctx: &Arc<MetaCtx>) -> Finish {
        Finish { meta: EntryMeta::of(e), ctx: ctx.clone(), dest: dest.to_path_buf(), tmp }
    }

    fn done(self, file: std::fs::File) -> Result<(), StorageError> {
        self.ctx.owner_and_xattrs(&self.meta, &self.tmp);
        platform::set_file_mode(&file, self.meta.mode)?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest)?;
        self.ctx.set_times(&self.meta, &self.dest);
        self.ctx.defer_flags(&self.meta, &self.dest);
        Ok(())
    }
}

/// A file of several chunks: chunks are fetched and written in parallel at their offsets.
async fn restore_chunks(repo: &Repo, plan: Vec<(Id, u64)>, size: u64, extents: Option<Arc<Vec<(u64, u64)>>>, finish: Finish, progress: &Progress) -> Result<u64, StorageError> {
    let t2 = finish.tmp.clone();
    let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, StorageError> {
        let f = std::fs::File::create(&t2)?;
        f.set_len(size)?;
        Ok(f)
    })
    .await??;
    let file = Arc::new(file);
    let written = futures::stream::iter(plan)
        .map(|(id, off)| {
            let (file, extents) = (file.clone(), extents.clone());
            async move {
                progress.check_cancel()?;
                let raw = repo.read_blob_raw(&id).await?;
                let r = repo.clone();
                let n = tokio::task::spawn_blocking(move || -> Result<u64, StorageError> {
                    let data = raw.decode(&r)?;
                    write_data(&file, &data, off, extents.as_deref().map(Vec::as_slice))?;
                    Ok(data.len() as u64)
                })
                .await??;
                progress.add_bytes(n);
                Ok::<u64, StorageError>(n)
            }
        })
        .buffer_unordered(CHUNKS_IN_FLIGHT)
        .try_fold(0u64, |acc, n| async move { Ok(acc + n) })
        .await?;
    let file = Arc::try_unwrap(file).map_err(|_| StorageError::Internal("restore: file still shared".into()))?;
    tokio::task::spawn_blocking(move || finish.done(file)).await??;
    Ok(written)
}
