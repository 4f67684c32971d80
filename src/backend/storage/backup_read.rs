//! Readers for backup (`backup.rs` only): the read-ahead hints for the next files, and the
//! reader of a sparse file's data extents.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::tree::{encode_path, TreeEntry};
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

/// A path the walk found, with what the read-ahead and the progress totals need (the reader
/// stats it again: 40 bytes and the path instead of a whole `Metadata` for every object).
pub(super) struct WalkItem {
    pub path: Box<Path>,
    /// Bytes of a regular file (0 for anything else).
    pub size: u64,
    pub mtime: i64,
}

impl WalkItem {
    pub(super) fn new(path: &Path, md: &Metadata) -> WalkItem {
        let size = if md.is_file() { md.len() } else { 0 };
        WalkItem { path: PathBuf::from(path).into_boxed_path(), size, mtime: platform::file_stat(md).mtime }
    }
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
    pub(super) fn advance(&mut self, items: &[WalkItem], current: usize, parent: &HashMap<String, TreeEntry>) {
        while let Some(&(i, n)) = self.hinted.front() {
            if i > current {
                break;
            }
            self.ahead -= n;
            self.hinted.pop_front();
        }
        self.next = self.next.max(current + 1);
        while self.next < items.len() && self.next < current + READAHEAD_FILES && self.ahead < READAHEAD_BYTES {
            let item = &items[self.next];
            let i = self.next;
            self.next += 1;
            // Only regular files that will be read (not those the parent snapshot has unchanged).
            if item.size == 0 || parent.get(&encode_path(&item.path)).is_some_and(|p| p.size == item.size && p.mtime == item.mtime) {
                continue;
            }
            let (path, n) = (&item.path, item.size.min(READAHEAD_BYTES));
            platform::will_need(path, n);
            self.hinted.push_back((i, n));
            self.ahead += n;
        }
    }
}
