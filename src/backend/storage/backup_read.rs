//! What backup (`backup.rs` only) reads with: the walk's list of objects, the parent
//! snapshot's files, the read-ahead hints for the next files, and the reader of a sparse
//! file's data extents.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use super::error::StorageError;
use super::ids::Id;
use super::tree::{encode_path, Extents, Kind, ParentEntry};
use crate::platform;

/// Files ahead of the reader whose contents the kernel is asked to start reading.
const READAHEAD_FILES: usize = 32;
/// ...but never more than this many bytes ahead.
const READAHEAD_BYTES: u64 = 64 << 20;

/// Reads the data extents of a sparse file back to back.
pub(super) struct ExtentReader<'a> {
    pub file: &'a File,
    pub extents: &'a [(u64, u64)],
    /// Current extent, and the bytes of it read so far.
    pub i: usize,
    pub done: u64,
}

impl Read for ExtentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(&(off, len)) = self.extents.get(self.i) {
            if self.done >= len {
                (self.i, self.done) = (self.i + 1, 0);
                continue;
            }
            if self.done == 0 {
                (&mut &*self.file).seek(SeekFrom::Start(off))?;
            }
            let want = (len - self.done).min(buf.len() as u64) as usize;
            let n = (&mut &*self.file).read(&mut buf[..want])?;
            if n == 0 {
                return Ok(0); // the file shrank: the caller sees fewer bytes than expected
            }
            self.done += n as u64;
            return Ok(n);
        }
        Ok(0)
    }
}

/// The objects the walk found, in walk order, with what the read-ahead and the progress totals
/// need (the reader stats each again). An object is kept as its name under its directory's
/// item, not as its whole path: ~40 bytes an object instead of ~130 (a million files held
/// ~130 MiB of paths while the backup read them).
#[derive(Default)]
pub(super) struct WalkList {
    items: Vec<WalkItem>,
    /// Every item's name, back to back (`OsStr::as_encoded_bytes`).
    names: Vec<u8>,
}

struct WalkItem {
    /// The directory item it is in; `NO_PARENT` for a path the backup was given.
    parent: u32,
    /// Its name's bytes in `names` (a given path's whole path).
    name_len: u32,
    name_at: u64,
    /// Bytes of a regular file (0 for anything else).
    size: u64,
    mtime: i64,
}

const NO_PARENT: u32 = u32::MAX;

impl WalkList {
    /// Adds `name` (a path given to the backup when `parent` is None, else one component) found
    /// with `md`; returns its index, the `parent` of what it holds.
    pub(super) fn push(&mut self, parent: Option<u32>, name: &OsStr, md: &Metadata) -> Result<u32, StorageError> {
        let index = u32::try_from(self.items.len()).ok().filter(|&i| i != NO_PARENT);
        let (Some(index), Ok(name_len)) = (index, u32::try_from(name.len())) else {
            return Err(StorageError::InvalidPath("more than 4 billion objects in one backup".into()));
        };
        let size = if md.is_file() { md.len() } else { 0 };
        self.items.push(WalkItem { parent: parent.unwrap_or(NO_PARENT), name_len, name_at: self.names.len() as u64, size, mtime: platform::file_stat(md).mtime });
        self.names.extend_from_slice(name.as_encoded_bytes());
        Ok(index)
    }

    pub(super) fn len(&self) -> usize {
        self.items.len()
    }

    /// Bytes of the regular files.
    pub(super) fn bytes_total(&self) -> u64 {
        self.items.iter().map(|i| i.size).sum()
    }

    fn name(&self, item: &WalkItem) -> &OsStr {
        let bytes = &self.names[item.name_at as usize..item.name_at as usize + item.name_len as usize];
        // SAFETY: the bytes are an `OsStr::as_encoded_bytes` of this process, whole (`push`).
        unsafe { OsStr::from_encoded_bytes_unchecked(bytes) }
    }

    /// The path of item `i`.
    pub(super) fn path(&self, i: usize) -> PathBuf {
        let mut names = Vec::new();
        let mut item = &self.items[i];
        loop {
            names.push(self.name(item));
            if item.parent == NO_PARENT {
                break;
            }
            item = &self.items[item.parent as usize];
        }
        let mut path = PathBuf::with_capacity(names.iter().map(|n| n.len() + 1).sum());
        for name in names.iter().rev() {
            path.push(name);
        }
        path
    }
}

/// The regular files of the parent snapshot, as an incremental backup compares them: by a hash
/// of the path, what the file was and where its chunk ids are in one list for all files — 64
/// bytes a file in a list sorted by path hash (a hash map of them, 73 bytes a bucket and a
/// million buckets for the 561,740 files of the 40 GiB memory bench, held old and new side by
/// side while it grew: the incremental's peak went 223 → 210 MiB without it); the chunk ids past
/// the first `SPILL_IDS` go to an unlinked temp file (`ChunkList`; 282 → 223 MiB). (The parent's
/// whole tree used to be held twice: its JSON, then every entry, whole, in a map by path.)
#[derive(Default)]
pub(super) struct ParentFiles {
    /// Sorted by `key` once `finish` ran.
    files: Vec<ParentFile>,
    chunks: ChunkList,
    sorted: bool,
}

pub(super) struct ParentFile {
    key: [u8; 16],
    pub size: u64,
    pub mtime: i64,
    pub inode: u64,
    chunks_at: u64,
    chunks_len: u32,
    pub mtime_nsec: u32,
    pub extents: Option<Box<Extents>>,
}

impl ParentFiles {
    /// Keeps `e` if it is a regular file (a later entry of the same path replaces it).
    pub(super) fn add(&mut self, e: ParentEntry) {
        if e.kind != Kind::File {
            return;
        }
        let file = ParentFile {
            key: path_key(&e.path),
            size: e.size,
            mtime: e.mtime,
            inode: e.inode,
            chunks_at: self.chunks.len() as u64,
            chunks_len: u32::try_from(e.chunks.len()).unwrap_or(u32::MAX),
            mtime_nsec: e.mtime_nsec,
            extents: e.extents.map(Box::new),
        };
        if file.chunks_len == u32::MAX {
            return; // 2^32 chunks (~80 TiB): read again rather than compared
        }
        self.chunks.extend(&e.chunks);
        self.files.push(file);
        self.sorted = false;
    }

    /// Sorts the files by path hash (the last of one path stays); call after the last `add`.
    pub(super) fn finish(mut self) -> ParentFiles {
        // stable: of the entries of one path, the last added is the last of its run
        self.files.sort_by_key(|f| f.key);
        let mut kept = 0;
        for i in 0..self.files.len() {
            if i + 1 < self.files.len() && self.files[i + 1].key == self.files[i].key {
                continue;
            }
            self.files.swap(kept, i);
            kept += 1;
        }
        self.files.truncate(kept);
        self.files.shrink_to_fit();
        self.sorted = true;
        self
    }

    /// The file at `path` (`tree::encode_path`) in the parent.
    pub(super) fn get(&self, path: &str) -> Option<&ParentFile> {
        debug_assert!(self.sorted || self.files.is_empty(), "ParentFiles::finish not called");
        let key = path_key(path);
        self.files.binary_search_by_key(&key, |f| f.key).ok().map(|i| &self.files[i])
    }

    /// `f`'s chunk ids; `None` when the temp file holding them cannot be read (the file is
    /// then read again, as if it had changed).
    pub(super) fn chunks(&self, f: &ParentFile) -> Option<Vec<Id>> {
        self.chunks.range(f.chunks_at as usize, f.chunks_len as usize)
    }

    pub(super) fn len(&self) -> usize {
        self.files.len()
    }

    /// Chunk ids held in memory, and how many went to the temp file.
    pub(super) fn chunks_held(&self) -> (usize, usize) {
        (self.chunks.mem.len(), self.chunks.on_disk)
    }
}

/// Chunk ids kept in memory before they go to the temp file, and then the buffer of the ones
/// not written yet: 8 MiB (a parent of ~5 GiB stays in memory; at 40 GiB its two million ids
/// would be 64 MiB).
const SPILL_IDS: usize = 1 << 18;

/// An append-only list of chunk ids: ids `0..on_disk` in `file` (32 bytes each, in order), the
/// rest in `mem`. When the temp file cannot be made or written, every id stays in memory.
#[derive(Default)]
struct ChunkList {
    file: Option<File>,
    on_disk: usize,
    mem: Vec<Id>,
    /// The temp file failed once: no more attempts.
    in_memory: bool,
}

impl ChunkList {
    fn len(&self) -> usize {
        self.on_disk + self.mem.len()
    }

    fn extend(&mut self, ids: &[Id]) {
        self.mem.extend_from_slice(ids);
        if self.mem.len() >= SPILL_IDS && !self.in_memory {
            if let Err(e) = self.spill() {
                tracing::warn!(error = %e, "cannot write the parent snapshot's chunk ids to a temp file; keeping them in memory");
                self.in_memory = true;
            }
        }
    }

    #[cfg(unix)]
    fn spill(&mut self) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        if self.file.is_none() {
            self.file = Some(super::index_run::spill_file()?);
        }
        let file = self.file.as_ref().expect("made above");
        let bytes: Vec<u8> = self.mem.iter().flatten().copied().collect();
        file.write_all_at(&bytes, (self.on_disk * 32) as u64)?;
        self.on_disk += self.mem.len();
        self.mem.clear();
        Ok(())
    }

    #[cfg(not(unix))]
    fn spill(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::new(std::io::ErrorKind::Unsupported, "positioned writes need a Unix"))
    }

    fn range(&self, at: usize, len: usize) -> Option<Vec<Id>> {
        let mut out = Vec::with_capacity(len);
        let end = at + len;
        #[cfg(unix)]
        if at < self.on_disk {
            use std::os::unix::fs::FileExt;
            let upto = end.min(self.on_disk);
            let mut bytes = vec![0u8; (upto - at) * 32];
            let file = self.file.as_ref()?;
            if let Err(e) = file.read_exact_at(&mut bytes, (at * 32) as u64) {
                tracing::warn!(error = %e, "cannot read the parent snapshot's chunk ids back from their temp file");
                return None;
            }
            out.extend(bytes.chunks_exact(32).map(|c| <Id>::try_from(c).expect("32 bytes")));
        }
        if end > self.on_disk {
            let from = at.saturating_sub(self.on_disk);
            out.extend_from_slice(self.mem.get(from..end - self.on_disk)?);
        }
        Some(out)
    }
}

/// 128 bits of a path's BLAKE3: two paths of one tree meet by chance with odds of about
/// files² / 2¹²⁹ (and then size, times and inode must match too).
fn path_key(path: &str) -> [u8; 16] {
    let h = blake3::hash(path.as_bytes());
    let mut k = [0u8; 16];
    k.copy_from_slice(&h.as_bytes()[..16]);
    k
}

/// The reader reads one file at a time; on a cold cache each small file would cost a full disk
/// round trip. `posix_fadvise(WILLNEED)` on the next files lets the kernel fetch them meanwhile.
#[derive(Default)]
pub(super) struct ReadAhead {
    /// Items up to (not including) this index have been considered.
    next: usize,
    /// Hinted items (index, bytes) the reader has not reached yet.
    hinted: std::collections::VecDeque<(usize, u64)>,
    /// Their total bytes.
    ahead: u64,
}

impl ReadAhead {
    pub(super) fn advance(&mut self, items: &WalkList, current: usize, parent: &ParentFiles) {
        while let Some(&(i, n)) = self.hinted.front() {
            if i > current {
                break;
            }
            self.ahead -= n;
            self.hinted.pop_front();
        }
        self.next = self.next.max(current + 1);
        while self.next < items.len() && self.next < current + READAHEAD_FILES && self.ahead < READAHEAD_BYTES {
            let item = &items.items[self.next];
            let i = self.next;
            self.next += 1;
            if item.size == 0 {
                continue;
            }
            // Only regular files that will be read (not those the parent snapshot has unchanged).
            let path = items.path(i);
            if parent.get(&encode_path(&path)).is_some_and(|p| p.size == item.size && p.mtime == item.mtime) {
                continue;
            }
            let n = item.size.min(READAHEAD_BYTES);
            platform::will_need(&path, n);
            self.hinted.push_back((i, n));
            self.ahead += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn walk_list_gives_back_every_path() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("a/b é"));
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("f"), b"12345").unwrap();
        std::fs::write(dir.path().join("g"), b"1").unwrap();
        let md = |p: &Path| std::fs::symlink_metadata(p).unwrap();
        let mut list = WalkList::default();
        let root = list.push(None, a.as_os_str(), &md(&a)).unwrap();
        let sub = list.push(Some(root), OsStr::new("b é"), &md(&b)).unwrap();
        list.push(Some(sub), OsStr::new("f"), &md(&b.join("f"))).unwrap();
        list.push(None, dir.path().join("g").as_os_str(), &md(&dir.path().join("g"))).unwrap();
        let paths: Vec<PathBuf> = (0..list.len()).map(|i| list.path(i)).collect();
        assert_eq!(paths, vec![a.clone(), b.clone(), b.join("f"), dir.path().join("g")]);
        assert_eq!(list.bytes_total(), 6);
    }

    #[test]
    fn chunk_ids_past_the_memory_share_come_back_from_the_temp_file() {
        let id = |n: usize| -> Id {
            let mut x = [0u8; 32];
            x[..8].copy_from_slice(&(n as u64).to_le_bytes());
            x[31] = 7;
            x
        };
        // Lists of 1..=999 ids, so ranges start and end on both sides of every spill.
        let (mut list, mut ranges, mut n) = (ChunkList::default(), Vec::new(), 0);
        while n < SPILL_IDS * 5 / 2 {
            let len = 1 + (n * 7919) % 999;
            ranges.push((list.len(), len));
            list.extend(&(n..n + len).map(id).collect::<Vec<_>>());
            n += len;
        }
        assert_eq!(list.len(), n);
        assert!(list.on_disk >= 2 * SPILL_IDS && list.mem.len() < SPILL_IDS, "{} on disk, {} in memory", list.on_disk, list.mem.len());
        let mut at = 0;
        for &(start, len) in &ranges {
            assert_eq!(start, at);
            assert_eq!(list.range(start, len).unwrap(), (start..start + len).map(id).collect::<Vec<_>>(), "ids {start}..+{len}");
            at += len;
        }
        assert_eq!(list.range(SPILL_IDS - 3, 6).unwrap(), (SPILL_IDS - 3..SPILL_IDS + 3).map(id).collect::<Vec<_>>());
        assert!(list.range(n - 1, 2).is_none(), "past the end");
    }

    #[test]
    fn parent_files_are_found_by_path_the_last_entry_of_a_path_winning() {
        let entry = |path: &str, kind: Kind, size: u64, chunks: &[u8]| ParentEntry {
            path: path.into(),
            kind,
            mtime: 7,
            mtime_nsec: 9,
            size,
            inode: 3,
            chunks: chunks.iter().map(|&c| [c; 32]).collect(),
            extents: None,
        };
        let mut files = ParentFiles::default();
        for i in 0..500u64 {
            files.add(entry(&format!("/d/f{i}"), Kind::File, i, &[i as u8, 1]));
        }
        files.add(entry("/d", Kind::Dir, 0, &[]));
        files.add(entry("/d/f7", Kind::File, 70, &[9, 9, 9]));
        files.add(entry("/d/empty", Kind::File, 0, &[]));
        let files = files.finish();
        assert_eq!(files.len(), 501, "500 files, one of them twice, and an empty one; no directory");
        let f = files.get("/d/f7").expect("listed");
        assert_eq!((f.size, f.mtime, f.mtime_nsec, f.inode), (70, 7, 9, 3), "the later entry of the path");
        assert_eq!(files.chunks(f).unwrap(), vec![[9; 32]; 3]);
        for i in (0..500u64).filter(|&i| i != 7) {
            let f = files.get(&format!("/d/f{i}")).expect("listed");
            assert_eq!(f.size, i);
            assert_eq!(files.chunks(f).unwrap(), vec![[i as u8; 32], [1; 32]]);
        }
        assert!(files.chunks(files.get("/d/empty").unwrap()).unwrap().is_empty());
        assert!(files.get("/d").is_none() && files.get("/d/f500").is_none());
    }
}
