//! The sorted run behind the chunk index (`index.rs`): every chunk location the in-memory part
//! has handed over, sorted by chunk id, in an unlinked temporary file (48 bytes a chunk), read
//! with positioned reads. In memory stay only the first id of every block of `BLOCK` records
//! (its page is the one read for a lookup) and a Bloom filter of the ids (10 bits a chunk), so
//! a lookup of a chunk the vault does not have — every chunk of a first backup — mostly costs
//! no read at all. PBS and kopia keep their indexes out of RAM the same way.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::RwLock;

use super::ids::Id;

/// Bytes a record takes on disk: id, pack number, offset, length, raw length.
pub(super) const RECORD: usize = 48;
/// Records in a block: one lookup reads one block (4080 bytes, about a page).
const BLOCK: usize = 85;
/// Bits of the Bloom filter per record, and its hash functions (about 0.8 % false positives).
const FILTER_BITS: u64 = 10;
const FILTER_HASHES: u64 = 7;

/// A location as stored: the pack by its number in the index's pack table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct CompactLoc {
    pub pack: u32,
    pub offset: u32,
    pub length: u32,
    pub raw_length: u32,
}

/// Where runs are written (default: the system's temp dir, which may be a RAM disk). The
/// backend points it at `DATA_DIR/tmp`.
static SPILL_DIR: RwLock<Option<PathBuf>> = RwLock::new(None);

/// Writes the sorted runs of chunk indexes under `dir` (an existing directory).
pub fn set_spill_dir(dir: PathBuf) {
    *SPILL_DIR.write().unwrap_or_else(|p| p.into_inner()) = Some(dir);
}

/// An unlinked file (nothing is left behind, even after a crash); in the temp dir when the
/// spill dir cannot take it.
pub(super) fn spill_file() -> std::io::Result<File> {
    let dir = SPILL_DIR.read().unwrap_or_else(|p| p.into_inner()).clone();
    match dir.map(tempfile::tempfile_in) {
        Some(Ok(f)) => Ok(f),
        _ => tempfile::tempfile(),
    }
}

fn encode(id: &Id, l: &CompactLoc, out: &mut [u8; RECORD]) {
    out[..32].copy_from_slice(id);
    out[32..36].copy_from_slice(&l.pack.to_le_bytes());
    out[36..40].copy_from_slice(&l.offset.to_le_bytes());
    out[40..44].copy_from_slice(&l.length.to_le_bytes());
    out[44..48].copy_from_slice(&l.raw_length.to_le_bytes());
}

fn decode(r: &[u8]) -> (Id, CompactLoc) {
    let u = |i: usize| u32::from_le_bytes(r[i..i + 4].try_into().expect("4 bytes"));
    let id: Id = r[..32].try_into().expect("32 bytes");
    (id, CompactLoc { pack: u(32), offset: u(36), length: u(40), raw_length: u(44) })
}

/// A Bloom filter over chunk ids (already uniform hashes: two 64-bit words of the id drive the
/// double hashing).
struct Filter {
    bits: Vec<u64>,
}

impl Filter {
    fn with_records(n: u64) -> Filter {
        let words = (n * FILTER_BITS).div_ceil(64).max(16);
        Filter { bits: vec![0; words as usize] }
    }

    /// The bits of `id` in a filter of `m` bits.
    fn probes(m: u64, id: &Id) -> impl Iterator<Item = u64> {
        let h1 = u64::from_le_bytes(id[..8].try_into().expect("8 bytes"));
        let h2 = u64::from_le_bytes(id[8..16].try_into().expect("8 bytes")) | 1;
        (0..FILTER_HASHES).map(move |i| h1.wrapping_add(i.wrapping_mul(h2)) % m)
    }

    fn insert(&mut self, id: &Id) {
        for b in Filter::probes(self.bits.len() as u64 * 64, id) {
            self.bits[(b / 64) as usize] |= 1 << (b % 64);
        }
    }

    fn may_contain(&self, id: &Id) -> bool {
        Filter::probes(self.bits.len() as u64 * 64, id).all(|b| self.bits[(b / 64) as usize] & (1 << (b % 64)) != 0)
    }
}

/// A sorted run of records.
pub(super) struct Run {
    file: File,
    records: u64,
    /// The first id of every block.
    fences: Vec<Id>,
    filter: Filter,
}

impl Run {
    pub(super) fn records(&self) -> u64 {
        self.records
    }

    /// Bytes of memory the run keeps (fences and filter).
    pub(super) fn memory(&self) -> usize {
        self.fences.len() * 32 + self.filter.bits.len() * 8
    }

    /// The location of `id`, if the run has it.
    pub(super) fn get(&self, id: &Id) -> std::io::Result<Option<CompactLoc>> {
        let mut found = None;
        self.get_sorted(std::slice::from_ref(id), |_, l| found = l)?;
        Ok(found)
    }

    /// The location of each of `ids` (sorted), in their order: a block that several of them
    /// fall in is read once (a snapshot's tens of thousands of chunks cost about one read per
    /// block of the run instead of one per chunk).
    pub(super) fn get_sorted(&self, ids: &[Id], mut f: impl FnMut(&Id, Option<CompactLoc>)) -> std::io::Result<()> {
        let mut buf = [0u8; BLOCK * RECORD];
        // The block in `buf`, and its records.
        let mut loaded: Option<(usize, usize)> = None;
        for id in ids {
            if !self.filter.may_contain(id) {
                f(id, None);
                continue;
            }
            // The last block whose first id is not after `id`.
            let b = self.fences.partition_point(|f| f <= id);
            if b == 0 {
                f(id, None);
                continue;
            }
            let block = b - 1;
            let n = match loaded {
                Some((l, n)) if l == block => n,
                _ => {
                    let first = block * BLOCK;
                    let n = (self.records as usize - first).min(BLOCK);
                    crate::platform::read_exact_at(&self.file, &mut buf[..n * RECORD], (first * RECORD) as u64)?;
                    loaded = Some((block, n));
                    n
                }
            };
            f(id, search_block(&buf[..n * RECORD], id));
        }
        Ok(())
    }

    /// Every record, in id order.
    pub(super) fn for_each(&self, mut f: impl FnMut(&Id, CompactLoc)) -> std::io::Result<()> {
        let mut r = BufReader::with_capacity(1 << 16, RunReader { run: self, pos: 0 });
        let mut rec = [0u8; RECORD];
        for _ in 0..self.records {
            r.read_exact(&mut rec)?;
            let (id, loc) = decode(&rec);
            f(&id, loc);
        }
        Ok(())
    }

    /// A new run of `old`'s records and `new` (sorted by id; an id in both takes `new`'s
    /// location), without the ids `drop` says to leave out.
    pub(super) fn merge(old: Option<&Run>, new: &[(Id, CompactLoc)], drop: impl Fn(&Id) -> bool) -> std::io::Result<Run> {
        let mut writer = RunWriter::new(old.map_or(0, |r| r.records) + new.len() as u64)?;
        let mut new = new.iter().peekable();
        if let Some(old) = old {
            let mut r = BufReader::with_capacity(1 << 16, RunReader { run: old, pos: 0 });
            let mut rec = [0u8; RECORD];
            for _ in 0..old.records {
                r.read_exact(&mut rec)?;
                let (id, loc) = decode(&rec);
                while let Some((nid, nloc)) = new.next_if(|(nid, _)| *nid < id) {
                    if !drop(nid) {
                        writer.push(nid, nloc)?;
                    }
                }
                let replaced = new.next_if(|(nid, _)| *nid == id);
                let (id, loc) = replaced.map_or((id, loc), |(nid, nloc)| (*nid, *nloc));
                if !drop(&id) {
                    writer.push(&id, &loc)?;
                }
            }
        }
        for (nid, nloc) in new {
            if !drop(nid) {
                writer.push(nid, nloc)?;
            }
        }
        writer.finish()
    }
}

/// Binary search of one block's records for `id`.
fn search_block(records: &[u8], id: &Id) -> Option<CompactLoc> {
    let (mut lo, mut hi) = (0usize, records.len() / RECORD);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let r = &records[mid * RECORD..(mid + 1) * RECORD];
        match r[..32].cmp(&id[..]) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(decode(r).1),
        }
    }
    None
}

/// Sequential reads of a run through positioned reads (the file's cursor is never used, so
/// lookups may run beside a merge that reads the same run).
struct RunReader<'a> {
    run: &'a Run,
    pos: u64,
}

impl Read for RunReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.run.records * RECORD as u64 - self.pos;
        let n = (buf.len() as u64).min(left) as usize;
        if n == 0 {
            return Ok(0);
        }
        crate::platform::read_exact_at(&self.run.file, &mut buf[..n], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

struct RunWriter {
    out: BufWriter<File>,
    records: u64,
    fences: Vec<Id>,
    filter: Filter,
    last: Option<Id>,
}

impl RunWriter {
    fn new(expected: u64) -> std::io::Result<RunWriter> {
        Ok(RunWriter {
            out: BufWriter::with_capacity(1 << 16, spill_file()?),
            records: 0,
            fences: Vec::with_capacity(expected.div_ceil(BLOCK as u64) as usize),
            filter: Filter::with_records(expected),
            last: None,
        })
    }

    fn push(&mut self, id: &Id, loc: &CompactLoc) -> std::io::Result<()> {
        debug_assert!(self.last.is_none_or(|l| l < *id), "records are pushed in id order, once each");
        self.last = Some(*id);
        if self.records % BLOCK as u64 == 0 {
            self.fences.push(*id);
        }
        let mut rec = [0u8; RECORD];
        encode(id, loc, &mut rec);
        self.out.write_all(&rec)?;
        self.filter.insert(id);
        self.records += 1;
        Ok(())
    }

    fn finish(self) -> std::io::Result<Run> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        Ok(Run { file, records: self.records, fences: self.fences, filter: self.filter })
    }
}
