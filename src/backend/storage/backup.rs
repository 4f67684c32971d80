//! Backup (`Repo::backup`, `BackupRequest`): walk -> chunk + hash (reader thread) -> compress +
//! encrypt (worker pool) -> pack + upload. Channels are bounded, so memory stays bounded whatever
//! the size of the tree. Write order: packs, then their index files, then the manifest.
//!
//! What each entry records (format revision 1.3): kind (file, dir, symlink, FIFO, socket, device),
//! mode, mtime (ns), atime, owner ids and names, xattrs (POSIX ACLs among them), file flags, device number,
//! the data extents of a sparse file (only they are read), and for a second path to an inode
//! already in this backup, a link to the first (its data is not read again). An entry that
//! cannot be read is left out and listed in the manifest's `skipped`; a file whose size or
//! mtime moved while read is read once more, and listed in `changed` if it moved again.

use std::collections::{HashMap, HashSet};
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use crossbeam_channel::{Receiver, Sender};
use globset::{Glob, GlobSet, GlobSetBuilder};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::backup_read::{ExtentReader, ParentFiles, ReadAhead, WalkList};
use super::blob::{self, EncodedBlob};
use super::chunker::{self, ChunkerParams};
use super::coord::PinGuard;
use super::error::StorageError;
use super::ids::{check_name, pack_object, to_hex, Id};
use super::index::{IndexFile, IndexPack};
use super::pack::PackBuilder;
use super::progress::Progress;
use super::rate::{SpeedLimit, WindowedLimiter};
use super::repo::{now_secs, Repo, SmallFiles};
use super::snapshot::{snapshot_object, SnapshotManifest};
use super::tree::{self, encode_bytes, encode_path, Extents, Kind, TreeEntry, TreeWriter};
use crate::platform;

/// Per-pack index files are merged into one every this many packs (and at the end).
const MERGE_PACKS: usize = 32;
/// Packs uploaded concurrently.
const UPLOADS_IN_FLIGHT: usize = 2;
/// … to a remote location (an agent's: the backend checks each pack while the next ones travel).
const REMOTE_UPLOADS_IN_FLIGHT: usize = 4;
/// Files from this size whose allocated bytes are fewer than their size are asked for their
/// data extents (`SEEK_DATA`/`SEEK_HOLE`); other files cost no extra call.
const SPARSE_MIN: u64 = 64 << 10;

/// What to back up.
#[derive(Clone, Debug)]
pub struct BackupRequest {
    pub snapshot_id: String,
    pub client_id: String,
    pub source_type: String,
    pub paths: Vec<PathBuf>,
    /// Globs matched against absolute paths.
    pub excludes: Vec<String>,
    pub parent_snapshot_id: Option<String>,
    pub meta: serde_json::Value,
}

impl Repo {
    /// Back up `req.paths` as a new snapshot; `Exists` if the snapshot id is taken.
    pub async fn backup(&self, req: BackupRequest, progress: Arc<Progress>) -> Result<SnapshotManifest, StorageError> {
        self.backup_limited(req, None, progress).await
    }

    /// `backup`, reading files no faster than `limit` allows in each hour window (`SpeedLimit`).
    pub async fn backup_limited(&self, req: BackupRequest, limit: Option<SpeedLimit>, progress: Arc<Progress>) -> Result<SnapshotManifest, StorageError> {
        let (manifest, pins, chunks) = self.backup_data(req, limit, progress).await?;
        self.write_manifest(&manifest).await?;
        drop(pins);
        if let Some(chunks) = chunks {
            let chunks = self.remember_chunks(&manifest.snapshot_id, chunks);
            // Its packs too, while the index is warm: the mirror sync that follows a backup
            // asks for them first (~40,000 lookups for a tree of small files).
            let (repo, id, epoch) = (self.clone(), manifest.snapshot_id.clone(), self.packs_epoch());
            let found = tokio::task::spawn_blocking(move || super::copy::packs_for(&repo, &chunks).map(|p| repo.remember_packs(&id, Arc::new(p), epoch))).await;
            if let Ok(Err(e)) = found {
                tracing::debug!(error = %e, "packs of the new snapshot not remembered");
            }
        }
        Ok(manifest)
    }

    /// A backup whose manifest is not written: every pack and index file is stored, and the
    /// manifest is returned, encoded, for someone else to commit (a remote agent hands it to
    /// the backend, which checks it and writes it).
    pub async fn backup_uncommitted(&self, req: BackupRequest, limit: Option<SpeedLimit>, progress: Arc<Progress>) -> Result<(SnapshotManifest, Vec<u8>), StorageError> {
        let (manifest, _pins, _chunks) = self.backup_data(req, limit, progress).await?;
        let encoded = manifest.encode(self.keys())?;
        Ok((manifest, encoded))
    }

    /// Everything of a backup but its manifest: the manifest, the pins that keep its chunks
    /// from a prune until it is written, and its chunks when few enough to remember.
    async fn backup_data(&self, req: BackupRequest, limit: Option<SpeedLimit>, progress: Arc<Progress>) -> Result<(SnapshotManifest, Arc<PinGuard>, Option<HashSet<Id>>), StorageError> {
        check_name("snapshot id", &req.snapshot_id)?;
        match self.get(&snapshot_object(&req.snapshot_id)).await {
            Ok(_) => return Err(StorageError::Exists(format!("snapshot {}", req.snapshot_id))),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        for p in &req.paths {
            if !p.is_absolute() {
                return Err(StorageError::InvalidPath(format!("{} is not absolute", p.display())));
            }
        }
        let start_time = now_secs();
        let excludes = build_excludes(&req.excludes)?;
        // Every chunk this snapshot references is pinned until its manifest is written, so a
        // prune running meanwhile keeps it (docs/design.md, "Prune and what runs beside it").
        let pins = Arc::new(self.pins());
        let parent = match &req.parent_snapshot_id {
            Some(pid) => {
                let _reading = self.reader();
                let m = self.load_snapshot(pid).await?;
                // Entry by entry: neither the parent's JSON nor its entries are ever whole.
                let files = self
                    .read_tree(&m, |json| {
                        let mut files = ParentFiles::default();
                        tree::for_each_entry(json, |e| files.add(e)).map(|()| files.finish())
                    })
                    .await?;
                let (in_memory, in_temp_file) = files.chunks_held();
                tracing::debug!(files = files.len(), chunk_ids_in_memory = in_memory, chunk_ids_in_temp_file = in_temp_file, "parent snapshot's files read");
                files
            }
            None => ParentFiles::default(),
        };

        // Chunks queued by this job and not yet in the index: the uploader takes each pack's
        // chunks out once its index file is merged, so the set holds what is in flight only.
        let pending: Pending = Arc::new(Mutex::new(HashSet::new()));
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 8);
        let (job_tx, job_rx) = crossbeam_channel::bounded::<Vec<(Id, Vec<u8>)>>(workers * 2);
        let (blob_tx, blob_rx) = mpsc::channel::<Result<Vec<EncodedBlob>, StorageError>>(workers * 2);

        let mut worker_handles = Vec::new();
        for _ in 0..workers {
            let (rx, tx, r) = (job_rx.clone(), blob_tx.clone(), self.clone());
            worker_handles.push(tokio::task::spawn_blocking(move || encode_worker(&r, rx, tx)));
        }
        drop((job_rx, blob_tx));

        let ctx = ScanCtx {
            repo: self.clone(),
            paths: req.paths.clone(),
            excludes,
            parent,
            progress: progress.clone(),
            pins: pins.clone(),
            chunker: self.config().chunker.clone(),
            small_files: self.config().small_files.clone(),
            limit: limit.filter(|l| !l.is_unlimited()).map(WindowedLimiter::new),
            pending: pending.clone(),
        };
        let reader = tokio::task::spawn_blocking(move || ctx.scan(job_tx));
        let packed = pack_and_upload(self, blob_rx, &pending).await;
        let scanned = reader.await?;
        for w in worker_handles {
            w.await?;
        }
        let packed = packed?;
        let scanned = scanned?;
        progress.check_cancel()?;

        let manifest = SnapshotManifest {
            snapshot_id: req.snapshot_id,
            vault_id: self.vault_id().to_string(),
            client_id: req.client_id,
            source_type: req.source_type,
            paths: req.paths.iter().map(|p| p.to_string_lossy().into_owned()).collect(),
            parent_snapshot_id: req.parent_snapshot_id,
            start_time,
            complete_time: now_secs(),
            bytes_total: scanned.bytes_total,
            bytes_added: packed,
            items_total: scanned.items_total,
            meta: req.meta,
            tree: scanned.tree,
            skipped: scanned.skipped,
            changed: scanned.changed,
        };
        Ok((manifest, pins, scanned.chunks))
    }
}

fn build_excludes(globs: &[String]) -> Result<GlobSet, StorageError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| StorageError::Invalid(format!("exclude {g:?}: {e}")))?);
    }
    b.build().map_err(|e| StorageError::Invalid(format!("excludes: {e}")))
}

fn encode_worker(repo: &Repo, rx: Receiver<Vec<(Id, Vec<u8>)>>, tx: mpsc::Sender<Result<Vec<EncodedBlob>, StorageError>>) {
    for batch in rx.iter() {
        let res = batch.into_iter().map(|(id, data)| blob::encode(repo.keys(), id, &data)).collect::<Result<Vec<_>, _>>();
        let failed = res.is_err();
        if tx.blocking_send(res).is_err() || failed {
            return;
        }
    }
}

/// Receives encoded blobs, fills packs, uploads each finished pack followed by an index file for it.
/// At the end the per-pack index files are merged into one. Returns the packed bytes written.
async fn pack_and_upload(repo: &Repo, mut rx: mpsc::Receiver<Result<Vec<EncodedBlob>, StorageError>>, pending: &Pending) -> Result<u64, StorageError> {
    let pack_size = repo.config().pack_size as usize;
    // A pack is closed before the blob that would take it past `pack_size` (a blob is at most
    // the chunker's max, well under a pack), so its buffer needs room for the header only and
    // never reallocates (a doubling briefly held both copies; room for one more maximal blob
    // was 8 MiB more per pack in flight).
    let pack_cap = pack_size + PACK_HEADER_ROOM;
    let mut builder = PackBuilder::with_capacity(pack_cap);
    let in_flight = if repo.location().is_remote() { REMOTE_UPLOADS_IN_FLIGHT } else { UPLOADS_IN_FLIGHT };
    let mut uploads: JoinSet<Result<(String, IndexPack), StorageError>> = JoinSet::new();
    let mut done: Vec<(String, IndexPack)> = Vec::new();
    let mut bytes = 0u64;
    let mut result = Ok(());
    while let Some(item) = rx.recv().await {
        let blobs = match item {
            Ok(b) => b,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        for blob in blobs {
            if !builder.is_empty() && builder.len() + blob.data.len() > pack_size {
                let full = std::mem::replace(&mut builder, PackBuilder::with_capacity(pack_cap));
                while uploads.len() >= in_flight {
                    if let Some(r) = uploads.join_next().await {
                        done.push(r??);
                    }
                }
                uploads.spawn(upload_pack(repo.clone(), full, pending.clone()));
                if done.len() >= MERGE_PACKS {
                    bytes += merge_indexes(repo, std::mem::take(&mut done)).await?;
                }
            }
            builder.add(blob)?;
        }
    }
    drop(rx);
    if !builder.is_empty() {
        uploads.spawn(upload_pack(repo.clone(), builder, pending.clone()));
    }
    while let Some(r) = uploads.join_next().await {
        done.push(r??);
    }
    result?;
    bytes += merge_indexes(repo, done).await?;
    Ok(bytes)
}

/// Replaces the per-pack index files of `done` by one (when there are several); returns the
/// packs' bytes. Done every `MERGE_PACKS` packs, so what a backup holds of its index entries
/// stays bounded (merging only at the end cloned and serialised all of a 10 GiB backup's at once).
async fn merge_indexes(repo: &Repo, done: Vec<(String, IndexPack)>) -> Result<u64, StorageError> {
    let bytes: u64 = done.iter().map(|(_, p)| p.size).sum();
    if done.len() > 1 {
        let (names, packs): (Vec<String>, Vec<IndexPack>) = done.into_iter().unzip();
        repo.write_index(&IndexFile { packs }).await?;
        for name in &names {
            repo.delete(name).await?;
        }
    }
    Ok(bytes)
}

async fn upload_pack(repo: Repo, builder: PackBuilder, pending: Pending) -> Result<(String, IndexPack), StorageError> {
    let r = repo.clone();
    let fin = tokio::task::spawn_blocking(move || builder.finish(r.keys())).await??;
    let size = fin.bytes.len() as u64;
    repo.put(&pack_object(&fin.id), Bytes::from(fin.bytes)).await?;
    let ip = IndexPack { id: to_hex(&fin.id), size, blobs: fin.entries };
    let name = repo.write_index(&IndexFile { packs: vec![ip.clone()] }).await?;
    // In the index now: later lookups find them there.
    let object = pack_object(&fin.id);
    let ids = ip.blobs.iter().map(|b| b.chunk_id(&object)).collect::<Result<Vec<_>, _>>()?;
    let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
    for id in &ids {
        p.remove(id);
    }
    drop(p);
    Ok((name, ip))
}

/// Chunks a backup has queued that are not in the vault's index yet.
type Pending = Arc<Mutex<HashSet<Id>>>;

/// Room left in a pack's buffer for its header (about 60 bytes a blob once compressed; a
/// bigger header grows the buffer once).
const PACK_HEADER_ROOM: usize = 256 << 10;

struct ScanCtx {
    repo: Repo,
    paths: Vec<PathBuf>,
    excludes: GlobSet,
    parent: ParentFiles,
    progress: Arc<Progress>,
    pins: Arc<PinGuard>,
    chunker: ChunkerParams,
    small_files: Option<SmallFiles>,
    /// The backup's `SpeedLimit` on the bytes read.
    limit: Option<WindowedLimiter>,
    pending: Pending,
}

/// Chunks to store, sent to the encoders in batches of about `BATCH_BYTES` (small chunks one
/// by one cost a thread wake-up each); the ids this job has queued are in `ScanCtx::pending`.
struct Queue {
    /// Every chunk the snapshot references, for replication — given up (None) past
    /// `REMEMBER_CHUNKS`, where it would cost more memory than reading the tree back.
    used: Option<HashSet<Id>>,
    batch: Vec<(Id, Vec<u8>)>,
    bytes: usize,
    tx: Sender<Vec<(Id, Vec<u8>)>>,
}

const BATCH_BYTES: usize = 1 << 20;

/// Snapshots of more chunks than this are not remembered (their tree is read back instead).
const REMEMBER_CHUNKS: usize = 200_000;

impl Queue {
    fn note_used(&mut self, ids: &[Id]) {
        if let Some(u) = &mut self.used {
            u.extend(ids.iter().copied());
            if u.len() > REMEMBER_CHUNKS {
                self.used = None;
            }
        }
    }

    fn push(&mut self, id: Id, data: Vec<u8>) -> Result<(), StorageError> {
        self.bytes += data.len();
        self.batch.push((id, data));
        if self.bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StorageError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.bytes = 0;
        let batch = std::mem::take(&mut self.batch);
        self.tx.send(batch).map_err(|_| StorageError::Internal("backup pipeline stopped".into()))
    }
}

/// What the scan noticed on the way: entries left out, files that moved while read, the
/// first entry of each inode with several links, owner names by id.
#[derive(Default)]
struct Notes {
    skipped: Vec<String>,
    changed: Vec<String>,
    inodes: HashMap<(u64, u64), TreeEntry>,
    users: HashMap<u32, Option<String>>,
    groups: HashMap<u32, Option<String>>,
    /// Whether the platform has unix owners to record.
    owners: bool,
}

impl Notes {
    fn skip(&mut self, path: &Path, reason: String) {
        self.skipped.push(format!("{}: {reason}", path.display()));
    }
}

/// One file as read.
struct FileRead {
    chunks: Vec<Id>,
    extents: Option<Extents>,
    size: u64,
    mtime: i64,
    mtime_nsec: u32,
    changed: bool,
}

struct ScanOut {
    skipped: Vec<String>,
    changed: Vec<String>,
    /// Every chunk the snapshot references (tree and contents), unless there are too many.
    chunks: Option<HashSet<Id>>,
    tree: Vec<String>,
    bytes_total: u64,
    items_total: u64,
}

impl ScanCtx {
    fn scan(self, tx: Sender<Vec<(Id, Vec<u8>)>>) -> Result<ScanOut, StorageError> {
        let mut items = WalkList::default();
        let mut notes = Notes { owners: platform::process_owner().is_some(), ..Notes::default() };
        for p in &self.paths {
            let md = std::fs::symlink_metadata(p)
                .map_err(|e| StorageError::InvalidPath(format!("{}: {e}", p.display())))?;
            self.walk(p.clone(), None, &md, &mut items, &mut notes)?;
        }
        let bytes_total = items.bytes_total();
        self.progress.set_totals(bytes_total, items.len() as u64);

        // Each entry is serialised and its tree chunks stored as soon as it is read: neither
        // the entries nor the tree's JSON are ever whole in memory.
        let mut q = Queue { used: Some(HashSet::new()), batch: Vec::new(), bytes: 0, tx };
        let mut tree = TreeWriter::default();
        let mut items_total = 0u64;
        let mut readahead = ReadAhead::default();
        for i in 0..items.len() {
            self.progress.check_cancel()?;
            readahead.advance(&items, i, &self.parent);
            let path = &items.path(i);
            // Stated again: what is recorded is the object as it is when read.
            let md = match std::fs::symlink_metadata(path) {
                Ok(md) => md,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot stat; skipped");
                    notes.skip(path, format!("cannot stat: {e}"));
                    self.progress.add_items(1);
                    continue;
                }
            };
            if let Some(e) = self.entry(path, &md, &mut q, &mut notes)? {
                let um = platform::unix_meta(&md);
                if e.kind == Kind::File && um.nlink > 1 && e.link.is_none() {
                    notes.inodes.entry((um.dev, um.ino)).or_insert_with(|| e.clone());
                }
                tree.push(&e, &mut |piece| self.submit(piece, &mut q))?;
                items_total += 1;
            }
            self.progress.add_items(1);
        }
        drop(items);
        let tree_ids = tree.finish(&mut |piece| self.submit(piece, &mut q))?;
        q.flush()?;
        Ok(ScanOut { tree: tree_ids, bytes_total, items_total, chunks: q.used, skipped: notes.skipped, changed: notes.changed })
    }

    /// Adds `path` (in the directory item `parent`, or given to the backup) and what it holds.
    fn walk(&self, path: PathBuf, parent: Option<u32>, md: &Metadata, out: &mut WalkList, notes: &mut Notes) -> Result<(), StorageError> {
        if self.excludes.is_match(&path) {
            return Ok(());
        }
        let name = match (parent, path.file_name()) {
            (Some(_), Some(name)) => name,
            _ => path.as_os_str(),
        };
        let index = out.push(parent, name, md)?;
        if !md.is_dir() {
            return Ok(());
        }
        let mut children = match std::fs::read_dir(&path) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect::<Vec<_>>(),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read directory; skipped");
                notes.skip(&path, format!("cannot read directory: {e}"));
                return Ok(());
            }
        };
        children.sort();
        for child in children {
            self.progress.check_cancel()?;
            match std::fs::symlink_metadata(&child) {
                Ok(cmd) => self.walk(child, Some(index), &cmd, out, notes)?,
                Err(e) => {
                    tracing::warn!(path = %child.display(), error = %e, "cannot stat; skipped");
                    notes.skip(&child, format!("cannot stat: {e}"));
                }
            }
        }
        Ok(())
    }

    fn entry(&self, path: &Path, md: &Metadata, q: &mut Queue, notes: &mut Notes) -> Result<Option<TreeEntry>, StorageError> {
        let ft = md.file_type();
        let kind = if ft.is_dir() {
            Kind::Dir
        } else if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_file() {
            Kind::File
        } else if let Some(special) = platform::special_kind(md) {
            Kind::of_special(special)
        } else {
            notes.skip(path, "unknown file type".into());
            return Ok(None);
        };
        let st = platform::file_stat(md);
        let um = platform::unix_meta(md);
        let mut e = TreeEntry {
            path: encode_path(path),
            kind,
            mode: st.mode,
            mtime: st.mtime,
            mtime_nsec: st.mtime_nsec,
            size: if kind == Kind::File { md.len() } else { 0 },
            inode: st.inode,
            rdev: if matches!(kind, Kind::Chardev | Kind::Blockdev) { um.rdev } else { 0 },
            atime: Some((um.atime, um.atime_nsec)),
            ..TreeEntry::default()
        };
        if notes.owners {
            e.uid = Some(um.uid);
            e.gid = Some(um.gid);
            e.user = notes.users.entry(um.uid).or_insert_with(|| platform::user_name(um.uid)).clone();
            e.group = notes.groups.entry(um.gid).or_insert_with(|| platform::group_name(um.gid)).clone();
        }
        match platform::xattrs(path) {
            Ok(x) => e.xattrs = x.iter().map(|(n, v)| (encode_bytes(n), encode_bytes(v))).collect(),
            Err(err) => notes.skip(path, format!("extended attributes not recorded: {err}")),
        }
        match kind {
            Kind::Dir | Kind::Fifo | Kind::Socket | Kind::Chardev | Kind::Blockdev => {}
            Kind::Symlink => match std::fs::read_link(path) {
                Ok(t) => e.target = Some(encode_path(&t)),
                Err(err) => {
                    tracing::warn!(path = %path.display(), error = %err, "cannot read symlink; skipped");
                    notes.skip(path, format!("cannot read symlink: {err}"));
                    return Ok(None);
                }
            },
            Kind::File => {
                let first = (um.nlink > 1).then(|| notes.inodes.get(&(um.dev, um.ino))).flatten();
                if let Some(first) = first {
                    // A second path to an inode already read: a link to the first, its data shared.
                    e.link = Some(first.path.clone());
                    e.chunks = first.chunks.clone();
                    e.extents = first.extents.clone();
                    e.size = first.size;
                    q.note_used(&e.chunks);
                    self.progress.add_bytes(e.size);
                } else if let Some((chunks, extents)) = self.unchanged(&e) {
                    q.note_used(&chunks);
                    self.progress.add_bytes(e.size);
                    e.chunks = chunks;
                    e.extents = extents;
                } else {
                    match self.read_file(path, md, um.allocated, q) {
                        Ok(r) => {
                            if r.changed {
                                notes.changed.push(format!("{}: changed during backup", path.display()));
                            }
                            (e.chunks, e.extents, e.size, e.mtime, e.mtime_nsec) = (r.chunks, r.extents, r.size, r.mtime, r.mtime_nsec);
                        }
                        Err(StorageError::Io(err)) => {
                            tracing::warn!(path = %path.display(), error = %err, "cannot read file; skipped");
                            notes.skip(path, format!("cannot read file: {err}"));
                            return Ok(None);
                        }
                        Err(other) => return Err(other),
                    }
                }
            }
        }
        if matches!(kind, Kind::File | Kind::Dir) {
            match platform::file_flags(path, md) {
                Ok(f) => e.flags = f,
                Err(err) => notes.skip(path, format!("file flags not recorded: {err}")),
            }
        }
        Ok(Some(e))
    }

    /// Reads and chunks a file; when its size or mtime moved meanwhile, reads it once more
    /// (then densely) and says `changed` if it moved again.
    fn read_file(&self, path: &Path, md: &Metadata, allocated: u64, q: &mut Queue) -> Result<FileRead, StorageError> {
        let st = platform::file_stat(md);
        let mut before = (md.len(), st.mtime, st.mtime_nsec);
        let mut sparse = md.len() >= SPARSE_MIN && allocated < md.len();
        for attempt in 0..2 {
            let file = File::open(path)?;
            let extents = match sparse {
                true => Some(platform::data_extents(&file, before.0)?).filter(|x| x.as_slice() != [(0, before.0)]),
                false => None,
            };
            let (chunks, read) = self.chunk_file(&file, before.0, extents.as_deref(), q)?;
            let after_md = file.metadata()?;
            let ast = platform::file_stat(&after_md);
            let after = (after_md.len(), ast.mtime, ast.mtime_nsec);
            let expected: u64 = extents.as_ref().map_or(before.0, |x| x.iter().map(|&(_, n)| n).sum());
            let size = if extents.is_some() { before.0 } else { read };
            let out = FileRead { chunks, extents, size, mtime: before.1, mtime_nsec: before.2, changed: attempt == 1 };
            if after == before && read == expected {
                return Ok(FileRead { changed: false, ..out });
            }
            if attempt == 1 {
                return Ok(FileRead { mtime: after.1, mtime_nsec: after.2, ..out });
            }
            before = after;
            sparse = false;
        }
        unreachable!("the loop returns on its second pass")
    }

    /// The parent's chunk list (and extents) when size, mtime and inode match and all chunks
    /// are still stored.
    fn unchanged(&self, e: &TreeEntry) -> Option<(Vec<Id>, Option<Extents>)> {
        let p = self.parent.get(&e.path)?;
        if p.size != e.size || p.mtime != e.mtime || p.mtime_nsec != e.mtime_nsec || p.inode != e.inode {
            return None;
        }
        let chunks = self.parent.chunks(p)?;
        // Chunks this job queued (not yet indexed) are pinned already; the others must be
        // stored, and are pinned in the same step.
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let stored: Vec<Id> = chunks.iter().filter(|id| !pending.contains(*id)).copied().collect();
        drop(pending);
        self.repo.pin_if_all_present(&self.pins, &stored).then(|| (chunks, p.extents.as_deref().cloned()))
    }

    /// Chunks an open file (only its data `extents` when given); returns the chunk ids and
    /// the bytes read.
    fn chunk_file(&self, file: &File, size: u64, extents: Option<&[(u64, u64)]>, q: &mut Queue) -> Result<(Vec<Id>, u64), StorageError> {
        let mut ids = Vec::new();
        let params = match &self.small_files {
            Some(s) if size < s.below => &s.chunker,
            _ => &self.chunker,
        };
        let mut read = 0u64;
        let mut emit = |data: Vec<u8>| {
            self.progress.check_cancel()?;
            self.progress.add_bytes(data.len() as u64);
            self.throttle(data.len() as u64)?;
            read += data.len() as u64;
            ids.push(self.submit(data, q)?.0);
            Ok::<(), StorageError>(())
        };
        match extents {
            None => chunker::chunk_reader(file, size, params, &mut emit)?,
            Some(x) => {
                let data: u64 = x.iter().map(|&(_, n)| n).sum();
                chunker::chunk_reader(ExtentReader { file, extents: x, i: 0, done: 0 }, data, params, &mut emit)?
            }
        }
        Ok((ids, read))
    }

    /// Waits as the speed limit says after reading `n` bytes, in slices so that a cancel is
    /// heard at once.
    fn throttle(&self, n: u64) -> Result<(), StorageError> {
        let Some(l) = &self.limit else { return Ok(()) };
        let mut wait = l.reserve(n);
        while !wait.is_zero() {
            let slice = wait.min(std::time::Duration::from_millis(200));
            std::thread::sleep(slice);
            wait -= slice;
            self.progress.check_cancel()?;
        }
        Ok(())
    }

    /// Hash a chunk; queue it for storage unless the vault (or this job) already has it.
    /// Says whether it was queued.
    fn submit(&self, data: Vec<u8>, q: &mut Queue) -> Result<(Id, bool), StorageError> {
        let id = self.repo.keys().chunk_id(&data);
        q.note_used(&[id]);
        // Pending before the index: the uploader adds a pack's chunks to the index, then takes
        // them out of pending, so a chunk on its way is always in one of the two. (A pending
        // chunk was pinned when it was queued.)
        let queued = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            let queue = !pending.contains(&id) && !self.repo.pin_and_contains(&self.pins, &id);
            if queue {
                pending.insert(id);
            }
            queue
        };
        if queued {
            q.push(id, data)?;
        }
        Ok((id, queued))
    }
}
