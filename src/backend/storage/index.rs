//! Index files (encrypted JSON listing the blobs of packs) and the vault's chunk index.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::crypto::VaultKeys;
use super::error::StorageError;
use super::ids::{parse_id, to_hex, Id};
use super::index_run::{CompactLoc, Run};
use super::pack::BlobEntry;

const INDEX_AAD: &[u8] = b"mirrorvault index v1";

/// One pack as described in an index file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct IndexPack {
    pub id: String,
    pub size: u64,
    pub blobs: Vec<BlobEntry>,
}

/// An index file's content.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct IndexFile {
    pub packs: Vec<IndexPack>,
}

impl IndexFile {
    pub(crate) fn encode(&self, keys: &VaultKeys) -> Result<Vec<u8>, StorageError> {
        keys.seal(INDEX_AAD, &super::meta::encode(self)?)
    }

    pub(crate) fn decode(keys: &VaultKeys, data: &[u8], object: &str) -> Result<IndexFile, StorageError> {
        let json = keys.open(INDEX_AAD, data, object)?;
        super::meta::decode(&json, "index", object)
    }
}

/// An index file with its ids decoded and offsets checked: what the chunk index merges.
#[cfg_attr(test, derive(Debug, PartialEq))]
pub(crate) struct ParsedIndex {
    object: String,
    packs: Vec<ParsedPack>,
}

#[cfg_attr(test, derive(Debug, PartialEq))]
struct ParsedPack {
    id: Id,
    size: u64,
    /// chunk id, offset, length, raw length
    blobs: Vec<(Id, u32, u32, u32)>,
}

/// Offsets are held in 32 bits (packs are far smaller than 4 GiB).
fn blob_offset(offset: u64, object: &str) -> Result<u32, StorageError> {
    u32::try_from(offset).map_err(|_| StorageError::corrupt(object, format!("blob offset {offset} beyond 4 GiB")))
}

impl ParsedPack {
    fn of(p: &IndexPack, object: &str) -> Result<ParsedPack, StorageError> {
        let blobs = p
            .blobs
            .iter()
            .map(|b| Ok((b.chunk_id(object)?, blob_offset(b.offset, object)?, b.length, b.raw_length)))
            .collect::<Result<_, StorageError>>()?;
        Ok(ParsedPack { id: parse_id(&p.id, object)?, size: p.size, blobs })
    }
}

impl ParsedIndex {
    /// The object the file is stored as.
    pub(crate) fn object(&self) -> &str {
        &self.object
    }

    /// `IndexFile::decode(..).parse(object)` in one step: the ids go from the JSON's hex straight
    /// into bytes (no `String` per pack and blob, no `IndexFile` in between). Measured once on a
    /// 1.9 MiB file of 48,000 entries (the size of the real tree's biggest), dev profile (this
    /// crate at opt-level 1, dependencies at 2): 45 → 40 ms, of which AES-GCM ~5, zstd ~6-11 and
    /// the JSON parse ~14 — what is left to win is in the format.
    pub(crate) fn decode(keys: &VaultKeys, data: &[u8], object: &str) -> Result<ParsedIndex, StorageError> {
        let json = keys.open(INDEX_AAD, data, object)?;
        let wire: WireFile = super::meta::decode(&json, "index", object)?;
        let packs = wire
            .packs
            .into_iter()
            .map(|p| {
                let blobs = p
                    .blobs
                    .into_iter()
                    .map(|b| Ok((b.id.0, blob_offset(b.offset, object)?, b.length, b.raw_length)))
                    .collect::<Result<_, StorageError>>()?;
                Ok(ParsedPack { id: p.id.0, size: p.size, blobs })
            })
            .collect::<Result<_, StorageError>>()?;
        Ok(ParsedIndex { object: object.to_string(), packs })
    }
}

/// `IndexFile` as `ParsedIndex::decode` reads it: the same fields, ids as bytes.
#[derive(Deserialize)]
struct WireFile {
    packs: Vec<WirePack>,
}

#[derive(Deserialize)]
struct WirePack {
    id: HexId,
    size: u64,
    blobs: Vec<WireBlob>,
}

#[derive(Deserialize)]
struct WireBlob {
    id: HexId,
    offset: u64,
    length: u32,
    raw_length: u32,
}

/// A 32-byte id read from its 64 hex digits without an allocation.
struct HexId(Id);

impl<'de> Deserialize<'de> for HexId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<HexId, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = HexId;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an id of 64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<HexId, E> {
                let mut id = [0u8; 32];
                hex::decode_to_slice(s, &mut id).map_err(|_| E::custom(format!("bad id {s:?}")))?;
                Ok(HexId(id))
            }
        }
        d.deserialize_str(V)
    }
}

impl IndexFile {
    /// This file, stored as `object`, ready to merge.
    pub(crate) fn parse(&self, object: &str) -> Result<ParsedIndex, StorageError> {
        let packs = self.packs.iter().map(|p| ParsedPack::of(p, object)).collect::<Result<_, _>>()?;
        Ok(ParsedIndex { object: object.to_string(), packs })
    }
}

/// Where a blob lives.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BlobLoc {
    pub pack: Id,
    pub offset: u64,
    pub length: u32,
    pub raw_length: u32,
}

/// Maps keyed by chunk id: foldhash, seeded per process (chunk ids are uniform already; SipHash
/// took a third of a lookup).
type IdMap<V> = HashMap<Id, V, foldhash::fast::RandomState>;
type IdSet = HashSet<Id, foldhash::fast::RandomState>;

/// Chunk locations held in memory before they are merged into the sorted run on disk.
const SPILL_ENTRIES: usize = 1 << 16;

/// All index files of a vault, merged: the recent locations in a hash map (at most
/// `SPILL_ENTRIES`, ~6 MiB), the rest in a sorted run on disk with a Bloom filter in front
/// (`index_run.rs`: ~1.6 bytes of memory a chunk instead of ~60–110), so the memory a vault's
/// index takes does not grow with the vault. Packs are numbered (`pack_ids`): 16 bytes a
/// location instead of 48 with the pack id inline.
pub(crate) struct ChunkIndex {
    delta: IdMap<CompactLoc>,
    run: Option<Run>,
    /// Chunks of the run that are no longer indexed (prune dropped them), until the next merge.
    removed: IdSet,
    pack_ids: Vec<Id>,
    pack_numbers: HashMap<Id, u32>,
    /// pack id -> size.
    pub packs: HashMap<Id, u64>,
    /// The index files merged in (object name -> their packs), so that a copy can take a file
    /// whole instead of encoding its entries again. Files deleted by another open repo of the
    /// vault may linger here: a copy that finds one gone encodes the entries instead.
    files: HashMap<String, Vec<Id>>,
    spill: usize,
}

impl Default for ChunkIndex {
    fn default() -> Self {
        ChunkIndex::with_spill(SPILL_ENTRIES)
    }
}

impl ChunkIndex {
    /// An index that keeps at most `spill` locations in memory.
    pub(crate) fn with_spill(spill: usize) -> ChunkIndex {
        ChunkIndex {
            delta: IdMap::default(),
            run: None,
            removed: IdSet::default(),
            pack_ids: Vec::new(),
            pack_numbers: HashMap::new(),
            packs: HashMap::new(),
            files: HashMap::new(),
            spill: spill.max(1),
        }
    }

    pub(crate) fn add_pack(&mut self, p: &IndexPack, object: &str) -> Result<(), StorageError> {
        self.add_parsed_pack(&ParsedPack::of(p, object)?)
    }

    fn add_parsed_pack(&mut self, p: &ParsedPack) -> Result<(), StorageError> {
        let number = match self.pack_numbers.get(&p.id) {
            Some(n) => *n,
            None => {
                let n = u32::try_from(self.pack_ids.len()).map_err(|_| StorageError::Internal("too many packs".into()))?;
                self.pack_ids.push(p.id);
                self.pack_numbers.insert(p.id, n);
                n
            }
        };
        for (id, offset, length, raw_length) in &p.blobs {
            // Latest wins: a repaired or re-copied pack replaces an older location.
            if !self.removed.is_empty() {
                self.removed.remove(id);
            }
            self.delta.insert(*id, CompactLoc { pack: number, offset: *offset, length: *length, raw_length: *raw_length });
        }
        self.packs.insert(p.id, p.size);
        self.spill_if_full();
        Ok(())
    }

    /// Merges the in-memory locations into a new sorted run once there are `spill` of them.
    /// A run that cannot be written (temp dir full or gone) leaves them in memory: the index
    /// stays right and only takes more memory (logged once per failure, retried at twice the size).
    fn spill_if_full(&mut self) {
        if self.delta.len() + self.removed.len() < self.spill {
            return;
        }
        let mut new: Vec<(Id, CompactLoc)> = self.delta.iter().map(|(id, l)| (*id, *l)).collect();
        new.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let removed = &self.removed;
        match Run::merge(self.run.as_ref(), &new, |id| removed.contains(id)) {
            Ok(run) => {
                tracing::debug!(records = run.records(), memory = run.memory(), "chunk index merged into its sorted run");
                self.run = Some(run);
                self.delta = IdMap::default();
                self.removed = IdSet::default();
            }
            Err(e) => {
                tracing::warn!(error = %e, entries = self.delta.len(), "cannot write the chunk index's sorted run; keeping it in memory");
                self.spill = self.spill.saturating_mul(2);
            }
        }
    }

    /// Adds the blobs of `p` the index lacks (a pack rebuilt from its header); returns their
    /// ids (none added: empty).
    pub(crate) fn add_pack_missing(&mut self, p: &IndexPack, object: &str) -> Result<Vec<Id>, StorageError> {
        let mut missing = Vec::new();
        for b in &p.blobs {
            if !self.contains(&b.chunk_id(object)?) {
                missing.push(b.clone());
            }
        }
        if missing.is_empty() {
            return Ok(Vec::new());
        }
        let ids = missing.iter().map(|b| b.chunk_id(object)).collect::<Result<Vec<_>, _>>()?;
        self.add_pack(&IndexPack { id: p.id.clone(), size: p.size, blobs: missing }, object)?;
        Ok(ids)
    }

    pub(crate) fn add_file(&mut self, f: &IndexFile, object: &str) -> Result<(), StorageError> {
        self.add_parsed(&f.parse(object)?)
    }

    /// `add_file` of a file parsed beforehand (off the lock).
    pub(crate) fn add_parsed(&mut self, f: &ParsedIndex) -> Result<(), StorageError> {
        let entries: usize = f.packs.iter().map(|p| p.blobs.len()).sum();
        self.delta.reserve(entries.min(self.spill.saturating_sub(self.delta.len())));
        for p in &f.packs {
            self.add_parsed_pack(p)?;
        }
        self.files.insert(f.object.clone(), f.packs.iter().map(|p| p.id).collect());
        Ok(())
    }

    /// The index file `object` is gone.
    pub(crate) fn forget_file(&mut self, object: &str) {
        self.files.remove(object);
    }

    /// The index files (name, packs) every pack of which is in `packs` (none listing no pack).
    pub(crate) fn files_within(&self, packs: &HashSet<Id>) -> Vec<(String, Vec<Id>)> {
        let mut out: Vec<(String, Vec<Id>)> = self
            .files
            .iter()
            .filter(|(_, listed)| !listed.is_empty() && listed.iter().all(|p| packs.contains(p)))
            .map(|(name, listed)| (name.clone(), listed.clone()))
            .collect();
        out.sort();
        out
    }

    /// Every chunk the index resolves, with its location (the run's, then the memory's).
    fn for_each(&self, mut f: impl FnMut(&Id, &CompactLoc)) -> Result<(), StorageError> {
        if let Some(run) = &self.run {
            run.for_each(|id, loc| {
                if !self.removed.contains(id) && !self.delta.contains_key(id) {
                    f(id, &loc);
                }
            })
            .map_err(|e| StorageError::Internal(format!("reading the chunk index's sorted run: {e}")))?;
        }
        for (id, loc) in &self.delta {
            f(id, loc);
        }
        Ok(())
    }

    fn loc(&self, l: &CompactLoc) -> BlobLoc {
        BlobLoc { pack: self.pack_ids[l.pack as usize], offset: u64::from(l.offset), length: l.length, raw_length: l.raw_length }
    }

    /// Index entries for `wanted` packs, rebuilt from the blob map (a chunk stored in two packs
    /// is listed under the one the index resolves it to).
    pub(crate) fn pack_entries(&self, wanted: &HashSet<Id>) -> Result<Vec<IndexPack>, StorageError> {
        Ok(self
            .by_pack(wanted)?
            .into_iter()
            .filter_map(|(pack, chunks)| {
                let size = *self.packs.get(&pack)?;
                let mut blobs: Vec<BlobEntry> = chunks
                    .into_iter()
                    .map(|(id, l)| BlobEntry { id: to_hex(&id), offset: l.offset, length: l.length, raw_length: l.raw_length })
                    .collect();
                blobs.sort_by_key(|b| b.offset);
                Some(IndexPack { id: to_hex(&pack), size, blobs })
            })
            .collect())
    }

    pub(crate) fn get(&self, id: &Id) -> Option<BlobLoc> {
        self.get_compact(id).map(|l| self.loc(&l))
    }

    fn get_compact(&self, id: &Id) -> Option<CompactLoc> {
        if let Some(l) = self.delta.get(id) {
            return Some(*l);
        }
        if self.removed.contains(id) {
            return None;
        }
        match self.run.as_ref()?.get(id) {
            Ok(l) => l,
            Err(e) => {
                // A miss: a backup then stores the chunk again; a read reports it missing.
                tracing::error!(error = %e, "cannot read the chunk index's sorted run");
                None
            }
        }
    }

    /// The location of each of `ids` (`None`: not indexed), in no particular order; the ones
    /// in the sorted run are looked up in id order, a block read once for all of its ids.
    pub(crate) fn get_each<'a>(&self, ids: impl IntoIterator<Item = &'a Id>, mut f: impl FnMut(&Id, Option<BlobLoc>)) -> Result<(), StorageError> {
        let mut in_run: Vec<Id> = Vec::new();
        for id in ids {
            if let Some(l) = self.delta.get(id) {
                f(id, Some(self.loc(l)));
            } else if self.removed.contains(id) || self.run.is_none() {
                f(id, None);
            } else {
                in_run.push(*id);
            }
        }
        if let Some(run) = &self.run {
            in_run.sort_unstable();
            run.get_sorted(&in_run, |id, l| f(id, l.map(|l| self.loc(&l))))
                .map_err(|e| StorageError::Internal(format!("reading the chunk index's sorted run: {e}")))?;
        }
        Ok(())
    }

    pub(crate) fn contains(&self, id: &Id) -> bool {
        self.get_compact(id).is_some()
    }

    /// The chunks the index resolves to one of `packs`, by pack.
    pub(crate) fn by_pack(&self, packs: &HashSet<Id>) -> Result<HashMap<Id, Vec<(Id, BlobLoc)>>, StorageError> {
        let mut out: HashMap<Id, Vec<(Id, BlobLoc)>> = HashMap::new();
        if packs.is_empty() {
            return Ok(out);
        }
        self.for_each(|id, l| {
            let pack = self.pack_ids[l.pack as usize];
            if packs.contains(&pack) {
                out.entry(pack).or_default().push((*id, self.loc(l)));
            }
        })?;
        Ok(out)
    }

    /// For every pack in the pack table: the stored bytes of the chunks resolved to it that
    /// `counts` (prune: the live ones) — one pass, a number a pack (the whole listing by pack
    /// held ~80 bytes a chunk: ~160 MiB for the 2 million chunks of a 40 GiB vault).
    pub(crate) fn bytes_by_pack(&self, counts: impl Fn(&Id) -> bool) -> Result<HashMap<Id, u64>, StorageError> {
        let mut by_no = vec![0u64; self.pack_ids.len()];
        self.for_each(|id, l| {
            if counts(id) {
                by_no[l.pack as usize] += u64::from(l.length);
            }
        })?;
        Ok(self.packs.keys().map(|p| (*p, self.pack_numbers.get(p).map_or(0, |&n| by_no[n as usize]))).collect())
    }

    /// Drops chunks (prune's decision: later lookups miss them, so writers store them anew).
    pub(crate) fn remove_chunks<'a>(&mut self, ids: impl IntoIterator<Item = &'a Id>) {
        for id in ids {
            self.delta.remove(id);
            if self.run.is_some() {
                self.removed.insert(*id);
            }
        }
        self.spill_if_full();
    }

    /// Drops a pack from the pack table (its chunks resolve elsewhere or were removed).
    pub(crate) fn remove_pack(&mut self, pack: &Id) {
        self.packs.remove(pack);
    }

    /// Locations held in memory, and bytes of memory the sorted run keeps (fences, filter).
    #[cfg(test)]
    pub(crate) fn footprint(&self) -> (usize, usize) {
        (self.delta.len() + self.removed.len(), self.run.as_ref().map_or(0, Run::memory))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn pack(id: u8, blobs: &[(Id, u64)]) -> IndexPack {
        IndexPack {
            id: to_hex(&[id; 32]),
            size: 1000 + u64::from(id),
            blobs: blobs.iter().map(|(c, off)| BlobEntry { id: to_hex(c), offset: *off, length: 10 + *off as u32, raw_length: 20 }).collect(),
        }
    }

    #[test]
    fn decoding_straight_to_ids_reads_what_the_file_says() {
        let keys = VaultKeys::derive(&super::super::crypto::DataKey::generate());
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let file = IndexFile {
            packs: (0..5u8).map(|p| pack(p, &(0..rng.gen_range(0..40u64)).map(|k| (rng.gen::<[u8; 32]>(), k * 7)).collect::<Vec<_>>())).collect(),
        };
        let bytes = file.encode(&keys).unwrap();
        let fast = ParsedIndex::decode(&keys, &bytes, "index/a").unwrap();
        assert_eq!(fast, IndexFile::decode(&keys, &bytes, "index/a").unwrap().parse("index/a").unwrap());
        assert_eq!(fast.packs.len(), 5);
        assert_eq!(fast.packs[3].blobs.len(), file.packs[3].blobs.len());
        // A bad id, an offset past 32 bits, another vault's key: refused, naming the object.
        let mut bad = file.clone();
        bad.packs[1].blobs.push(BlobEntry { id: "zz".repeat(32), offset: 0, length: 1, raw_length: 1 });
        let e = ParsedIndex::decode(&keys, &bad.encode(&keys).unwrap(), "index/b").unwrap_err().to_string();
        assert!(e.contains("index/b") && e.contains("bad id"), "{e}");
        let mut far = file.clone();
        far.packs[0].blobs.push(BlobEntry { id: to_hex(&[9; 32]), offset: 1 << 32, length: 1, raw_length: 1 });
        let e = ParsedIndex::decode(&keys, &far.encode(&keys).unwrap(), "index/c").unwrap_err().to_string();
        assert!(e.contains("beyond 4 GiB"), "{e}");
        let other = VaultKeys::derive(&super::super::crypto::DataKey::generate());
        assert!(ParsedIndex::decode(&other, &bytes, "index/a").is_err());
    }

    /// Random adds (some re-adding known chunks in another pack), removals and lookups against
    /// a plain map, with a spill of 50 so that the sorted run is merged many times.
    #[test]
    fn spilled_index_answers_like_a_map() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(19);
        let mut idx = ChunkIndex::with_spill(50);
        let mut model: HashMap<Id, (Id, u64)> = HashMap::new();
        let mut known: Vec<Id> = Vec::new();
        for round in 0..400u32 {
            let p = (round % 200) as u8;
            let blobs: Vec<(Id, u64)> = (0..rng.gen_range(1..12u64))
                .map(|k| {
                    let c = if !known.is_empty() && rng.gen_bool(0.2) { known[rng.gen_range(0..known.len())] } else { rng.gen::<[u8; 32]>() };
                    (c, k * 100 + u64::from(round))
                })
                .collect();
            idx.add_pack(&pack(p, &blobs), "index/test").unwrap();
            for (c, off) in &blobs {
                model.insert(*c, ([p; 32], *off));
                known.push(*c);
            }
            if round % 7 == 3 {
                let gone: Vec<Id> = (0..rng.gen_range(0..6)).map(|_| known[rng.gen_range(0..known.len())]).collect();
                idx.remove_chunks(gone.iter());
                for c in &gone {
                    model.remove(c);
                }
            }
            for _ in 0..5 {
                let c = if rng.gen_bool(0.5) { known[rng.gen_range(0..known.len())] } else { rng.gen::<[u8; 32]>() };
                let got = idx.get(&c).map(|l| (l.pack, l.offset, l.length));
                let want = model.get(&c).map(|(p, off)| (*p, *off, 10 + *off as u32));
                assert_eq!(got, want, "round {round}");
                assert_eq!(idx.contains(&c), want.is_some());
            }
        }
        // Batch lookups answer as single ones (ids of the run, of memory, removed, unknown).
        let mut asked: Vec<Id> = known.iter().step_by(3).copied().collect();
        asked.extend((0..50).map(|_| rng.gen::<[u8; 32]>()));
        let mut batch = HashMap::new();
        idx.get_each(&asked, |c, l| {
            batch.insert(*c, l.map(|l| (l.pack, l.offset)));
        })
        .unwrap();
        assert_eq!(batch.len(), asked.iter().collect::<HashSet<_>>().len());
        for c in &asked {
            assert_eq!(batch[c], idx.get(c).map(|l| (l.pack, l.offset)));
            assert_eq!(batch[c], model.get(c).copied());
        }
        let (in_memory, run_memory) = idx.footprint();
        assert!(in_memory < 50, "at most the spill in memory ({in_memory})");
        assert!(run_memory > 0, "the rest is in the sorted run");
        // Whole listings agree with the model too.
        let all: HashSet<Id> = idx.packs.keys().copied().collect();
        let by_pack = idx.by_pack(&all).unwrap();
        let bytes = idx.bytes_by_pack(|c| c[0] % 2 == 0).unwrap();
        for (pack, blobs) in &by_pack {
            let even: u64 = blobs.iter().filter(|(c, _)| c[0] % 2 == 0).map(|(_, l)| u64::from(l.length)).sum();
            assert_eq!(bytes[pack], even);
        }
        let one: HashSet<Id> = [[3u8; 32]].into();
        assert_eq!(idx.by_pack(&one).unwrap().keys().collect::<Vec<_>>(), vec![&[3u8; 32]]);
        assert_eq!(by_pack.values().map(Vec::len).sum::<usize>(), model.len());
        for (pack, blobs) in &by_pack {
            for (c, loc) in blobs {
                assert_eq!(model[c], (*pack, loc.offset));
            }
        }
        let wanted: HashSet<Id> = [[3u8; 32], [150u8; 32]].into();
        let entries = idx.pack_entries(&wanted).unwrap();
        let listed: usize = entries.iter().map(|p| p.blobs.len()).sum();
        assert_eq!(listed, model.values().filter(|(p, _)| wanted.contains(p)).count());
        assert!(entries.iter().all(|p| p.blobs.windows(2).all(|w| w[0].offset <= w[1].offset)));
    }

    /// A vault of a million chunks keeps a few MiB of its index in memory.
    #[test]
    fn a_large_index_stays_small_in_memory() {
        let mut idx = ChunkIndex::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(40);
        let n = 1_000_000u64;
        let mut some = Vec::new();
        for p in 0..(n / 2000) {
            let blobs: Vec<(Id, u64)> = (0..2000).map(|k| (rng.gen::<[u8; 32]>(), k * 4096)).collect();
            some.push(blobs[7].0);
            let mut ip = pack(0, &blobs);
            ip.id = to_hex(&{
                let mut id = [0u8; 32];
                id[..8].copy_from_slice(&p.to_le_bytes());
                id
            });
            idx.add_pack(&ip, "index/big").unwrap();
        }
        let (in_memory, run_memory) = idx.footprint();
        assert!(in_memory <= SPILL_ENTRIES);
        // 10 bits of filter and 32 bytes of fence per 85 chunks: ~1.6 bytes a chunk.
        assert!(run_memory < 2 * n as usize, "{run_memory} bytes for {n} chunks");
        for c in &some {
            assert_eq!(idx.get(c).map(|l| l.offset), Some(7 * 4096));
        }
        let misses = (0..10_000).filter(|_| idx.contains(&rng.gen::<[u8; 32]>())).count();
        assert_eq!(misses, 0);
    }
}
