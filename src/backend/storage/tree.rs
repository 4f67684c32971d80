//! The file tree of a snapshot: a flat list of entries (JSON), chunked and stored as blobs.
//! Paths and symlink targets are OS name bytes (`platform::name_bytes`: raw bytes on unix, so
//! names need not be UTF-8), base64-encoded.
//!
//! Format revision 1.3 (docs/design.md, "Format versions") adds optional fields — owner, xattrs,
//! device number, atime, data extents of sparse files, hard links, file flags — and the special kinds;
//! each defaults to "not recorded", so a revision-1 tree reads as before.

use std::path::{Component, Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::StorageError;
use super::ids::Id;
use crate::platform;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    #[default]
    File,
    Dir,
    Symlink,
    /// Format revision 1.3: special files (no content; `rdev` for devices).
    Fifo,
    Socket,
    Chardev,
    Blockdev,
}

impl Kind {
    pub(crate) fn special(self) -> Option<platform::SpecialKind> {
        use platform::SpecialKind as S;
        match self {
            Kind::Fifo => Some(S::Fifo),
            Kind::Socket => Some(S::Socket),
            Kind::Chardev => Some(S::CharDevice),
            Kind::Blockdev => Some(S::BlockDevice),
            Kind::File | Kind::Dir | Kind::Symlink => None,
        }
    }

    pub(crate) fn of_special(s: platform::SpecialKind) -> Kind {
        use platform::SpecialKind as S;
        match s {
            S::Fifo => Kind::Fifo,
            S::Socket => Kind::Socket,
            S::CharDevice => Kind::Chardev,
            S::BlockDevice => Kind::Blockdev,
        }
    }
}

/// One file system object.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct TreeEntry {
    /// base64 of the absolute path's bytes.
    pub path: String,
    pub kind: Kind,
    pub mode: u32,
    pub mtime: i64,
    pub mtime_nsec: u32,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub inode: u64,
    /// base64 of the symlink target's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Chunk ids of the content, in order (hex strings in JSON).
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "hex_ids")]
    pub chunks: Vec<Id>,
    /// Revision 2 (all below): owner ids, and the names they had on the backed-up host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Device number of a character or block device.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rdev: u64,
    /// Access time (seconds, nanoseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atime: Option<(i64, u32)>,
    /// Extended attributes (POSIX ACLs among them), `[base64 name, base64 value]`, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub xattrs: Vec<(String, String)>,
    /// Sparse file: its data ranges `[offset, length]`; `chunks` hold their bytes back to back
    /// and the rest of `size` is holes. None: `chunks` hold the whole file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extents: Option<Extents>,
    /// Hard link: base64 path of the first entry of this snapshot with the same inode. Its
    /// `chunks` and `extents` are copied here (the data is stored once), so the entry restores
    /// as a copy when the first one is not restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// File flags of a regular file or directory (`platform::flags`: Linux `FS_*_FL` bits,
    /// `chattr` letters `S i a d A D T`), only when any is set; restored last.
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub flags: u32,
}

/// A sparse file's data ranges, `(offset, length)`.
pub(crate) type Extents = Vec<(u64, u64)>;

/// Extended attributes as (name, value) bytes.
#[cfg(test)]
type XattrBytes = Vec<(Vec<u8>, Vec<u8>)>;

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero32(v: &u32) -> bool {
    *v == 0
}

/// `Vec<Id>` as a JSON list of hex strings (32 bytes a chunk in memory instead of a 64-char
/// `String`: the tree of 10 GiB of small files holds ~650k of them).
mod hex_ids {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserializer, Serializer};

    use super::Id;

    pub fn serialize<S: Serializer>(ids: &[Id], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(ids.len()))?;
        let mut buf = [0u8; 64];
        for id in ids {
            hex::encode_to_slice(id, &mut buf).map_err(serde::ser::Error::custom)?;
            seq.serialize_element(std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?)?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Id>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vec<Id>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of 64-character hex chunk ids")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Id>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(h) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let mut id = [0u8; 32];
                    hex::decode_to_slice(h.as_bytes(), &mut id).map_err(|_| A::Error::custom(format!("bad chunk id {h:?}")))?;
                    out.push(id);
                }
                Ok(out)
            }
        }
        d.deserialize_seq(V)
    }
}

/// base64 of raw bytes (xattr names and values).
pub(crate) fn encode_bytes(b: &[u8]) -> String {
    b64().encode(b)
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// base64 of the path's stored bytes (`platform::name_bytes`: raw bytes on unix).
pub(crate) fn encode_path(p: &Path) -> String {
    b64().encode(platform::name_bytes(p.as_os_str()))
}

pub(crate) fn decode_path(s: &str) -> Result<PathBuf, StorageError> {
    let bytes = b64().decode(s).map_err(|_| StorageError::corrupt("tree", "bad base64 path"))?;
    Ok(PathBuf::from(platform::name_from_bytes(bytes)))
}

impl TreeEntry {
    pub(crate) fn path_buf(&self) -> Result<PathBuf, StorageError> {
        decode_path(&self.path)
    }

    pub(crate) fn target_path(&self) -> Result<Option<PathBuf>, StorageError> {
        self.target.as_deref().map(decode_path).transpose()
    }

    /// The stored extended attributes as (name, value) bytes.
    #[cfg(test)]
    pub(crate) fn xattr_bytes(&self) -> Result<XattrBytes, StorageError> {
        let bad = |_| StorageError::corrupt("tree", "bad base64 xattr");
        self.xattrs.iter().map(|(n, v)| Ok((b64().decode(n).map_err(bad)?, b64().decode(v).map_err(bad)?))).collect()
    }

    /// Bytes the chunks hold: the data ranges' total for a sparse file, else `size`.
    pub(crate) fn data_len(&self) -> u64 {
        match &self.extents {
            Some(x) => x.iter().map(|&(_, n)| n).sum(),
            None => self.size,
        }
    }

    /// Lossy display form for reports.
    pub(crate) fn display(&self) -> String {
        self.path_buf().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| self.path.clone())
    }
}

#[cfg(test)]
pub(crate) fn serialize(entries: &[TreeEntry]) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(entries).map_err(|e| StorageError::Internal(e.to_string()))
}

/// The serialised tree is cut much finer than file data: consecutive snapshots share most of it,
/// and each chunk that holds a changed entry is stored again.
pub(crate) const TREE_CHUNKER: super::chunker::ChunkerParams = super::chunker::ChunkerParams { min: 1024, avg: 4 * 1024, max: 16 * 1024 };

/// Writes a tree entry by entry (the bytes of `serialize`) and hands each chunk to `store` as
/// soon as it is cut, so neither the entries nor the JSON are ever whole in memory. A chunk is
/// cut once the maximum chunk size is buffered after its start, which gives the cut points of
/// `FastCDC` over the whole JSON (each cut depends only on the bytes from its chunk's start).
#[derive(Default)]
pub(crate) struct TreeWriter {
    buf: Vec<u8>,
    start: usize,
    entries: u64,
    ids: Vec<String>,
    bytes: usize,
    new_chunks: usize,
    new_bytes: usize,
}

/// Stores one piece of the tree; says its id and whether it was new.
pub(crate) type StorePiece<'a> = dyn FnMut(Vec<u8>) -> Result<(Id, bool), StorageError> + 'a;

impl TreeWriter {
    pub(crate) fn push(&mut self, e: &TreeEntry, store: &mut StorePiece<'_>) -> Result<(), StorageError> {
        self.buf.push(if self.entries == 0 { b'[' } else { b',' });
        self.entries += 1;
        serde_json::to_writer(&mut self.buf, e).map_err(|e| StorageError::Internal(e.to_string()))?;
        let c = TREE_CHUNKER;
        while self.buf.len() - self.start >= c.max as usize {
            let (_, end) = fastcdc::v2020::FastCDC::new(&self.buf, c.min, c.avg, c.max).cut(self.start, self.buf.len() - self.start);
            let piece = self.buf[self.start..end].to_vec();
            self.start = end;
            self.store(piece, store)?;
        }
        if self.start >= 4 * c.max as usize {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(())
    }

    /// Closes the list and stores the rest; returns the tree's chunk ids (hex), in order.
    pub(crate) fn finish(mut self, store: &mut StorePiece<'_>) -> Result<Vec<String>, StorageError> {
        if self.entries == 0 {
            self.buf.push(b'[');
        }
        self.buf.push(b']');
        let c = TREE_CHUNKER;
        let rest = self.buf.split_off(self.start);
        for chunk in fastcdc::v2020::FastCDC::new(&rest, c.min, c.avg, c.max) {
            self.store(rest[chunk.offset..chunk.offset + chunk.length].to_vec(), store)?;
        }
        tracing::debug!(tree_bytes = self.bytes, tree_chunks = self.ids.len(), new_tree_chunks = self.new_chunks, new_tree_bytes = self.new_bytes, "tree stored");
        Ok(self.ids)
    }

    fn store(&mut self, piece: Vec<u8>, store: &mut StorePiece<'_>) -> Result<(), StorageError> {
        let n = piece.len();
        let (id, new) = store(piece)?;
        self.ids.push(super::ids::to_hex(&id));
        self.bytes += n;
        if new {
            self.new_chunks += 1;
            self.new_bytes += n;
        }
        Ok(())
    }
}

pub(crate) fn deserialize(data: &[u8]) -> Result<Vec<TreeEntry>, StorageError> {
    serde_json::from_slice(data).map_err(|e| StorageError::corrupt("tree", format!("bad tree: {e}")))
}

/// What `chunk_ids` reads of an entry (every other field is skipped unparsed).
#[derive(Deserialize)]
struct ChunksOnly {
    #[serde(default, with = "hex_ids")]
    chunks: Vec<Id>,
}

/// What an incremental backup compares of its parent's entries (`backup_read::ParentFiles`;
/// every other field is skipped unparsed). The fields as `TreeEntry` reads them.
#[derive(Deserialize)]
pub(crate) struct ParentEntry {
    pub path: String,
    pub kind: Kind,
    pub mtime: i64,
    pub mtime_nsec: u32,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub inode: u64,
    #[serde(default, with = "hex_ids")]
    pub chunks: Vec<Id>,
    #[serde(default)]
    pub extents: Option<Extents>,
}

/// Every chunk id the tree's entries reference, read from its JSON as a stream: neither the
/// entries nor the JSON are held whole (a mirror sync or a prune of a 10 GiB snapshot held
/// both, ~110 MiB).
pub(crate) fn chunk_ids(json: impl std::io::Read, into: &mut impl Extend<Id>) -> Result<(), serde_json::Error> {
    for_each_entry(json, |e: ChunksOnly| into.extend(e.chunks))
}

/// Reads a tree's JSON as a stream, entry by entry (as `T`, which may read only some fields).
pub(crate) fn for_each_entry<T: serde::de::DeserializeOwned>(json: impl std::io::Read, f: impl FnMut(T)) -> Result<(), serde_json::Error> {
    use serde::de::{DeserializeSeed, SeqAccess, Visitor};
    struct Seed<T, F>(F, std::marker::PhantomData<T>);
    impl<'de, T: serde::de::DeserializeOwned, F: FnMut(T)> DeserializeSeed<'de> for Seed<T, F> {
        type Value = ();
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de, T: serde::de::DeserializeOwned, F: FnMut(T)> Visitor<'de> for Seed<T, F> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of tree entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
            while let Some(e) = seq.next_element::<T>()? {
                (self.0)(e);
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_reader(json);
    Seed(f, std::marker::PhantomData).deserialize(&mut de)?;
    de.end()
}

/// `target` + absolute `original` without its root; refuses `..` and relative originals.
pub(crate) fn reroot(target: &Path, original: &Path) -> Result<PathBuf, StorageError> {
    let mut out = target.to_path_buf();
    for c in original.components() {
        match c {
            Component::RootDir => {}
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => return Err(StorageError::InvalidPath(original.to_string_lossy().into_owned())),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pieces `TreeWriter` stores, and their concatenation.
    fn pieces(entries: &[TreeEntry]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut w = TreeWriter::default();
        let mut store = |p: Vec<u8>| {
            out.push(p);
            Ok(([out.len() as u8; 32], true))
        };
        for e in entries {
            w.push(e, &mut store).unwrap();
        }
        let ids = w.finish(&mut store).unwrap();
        assert_eq!(ids.len(), out.len());
        out
    }

    fn written(entries: &[TreeEntry]) -> Vec<u8> {
        pieces(entries).concat()
    }

    #[test]
    fn the_tree_is_cut_where_the_whole_json_would_be() {
        let c = TREE_CHUNKER;
        for n in [0usize, 1, 3, 200, 5000] {
            let entries: Vec<TreeEntry> = (0..n)
                .map(|i| TreeEntry {
                    path: encode_path(Path::new(&format!("/data/dir{}/file-{i}.txt", i % 17))),
                    size: (i as u64) * 7919,
                    mtime: 1_700_000_000 + i as i64,
                    chunks: (0..i % 4).map(|k| [(i * 31 + k) as u8; 32]).collect(),
                    ..TreeEntry::default()
                })
                .collect();
            let whole = serialize(&entries).unwrap();
            let want: Vec<Vec<u8>> = fastcdc::v2020::FastCDC::new(&whole, c.min, c.avg, c.max).map(|ch| whole[ch.offset..ch.offset + ch.length].to_vec()).collect();
            let got = pieces(&entries);
            assert_eq!(got.concat(), whole, "{n} entries: the same bytes");
            assert_eq!(got, want, "{n} entries: the same cut points");
            if n == 5000 {
                assert!(got.len() > 50, "a big tree is many chunks ({})", got.len());
            }
        }
    }

    #[test]
    fn consuming_serialisation_matches_and_round_trips() {
        let entries: Vec<TreeEntry> = (0..50u8)
            .map(|i| TreeEntry {
                path: encode_path(Path::new(&format!("/d/f{i}"))),
                kind: if i % 7 == 0 { Kind::Dir } else { Kind::File },
                mode: 0o644,
                mtime: 1_700_000_000 + i64::from(i),
                mtime_nsec: 5,
                size: u64::from(i) * 10,
                inode: u64::from(i),
                target: None,
                chunks: (0..i % 3).map(|k| [i ^ k; 32]).collect(),
                ..TreeEntry::default()
            })
            .collect();
        let a = serialize(&entries).unwrap();
        let b = written(&entries);
        assert_eq!(a, b);
        let back = deserialize(&b).unwrap();
        assert_eq!(back.len(), 50);
        let mut ids = std::collections::HashSet::new();
        chunk_ids(&b[..], &mut ids).unwrap();
        let want: std::collections::HashSet<Id> = entries.iter().flat_map(|e| e.chunks.iter().copied()).collect();
        assert_eq!(ids, want, "the streamed chunk ids are every entry's");
        assert!(chunk_ids(&b[..b.len() - 1], &mut ids).is_err(), "a cut tree is an error");
        assert_eq!(back[4].chunks, entries[4].chunks);
        assert!(String::from_utf8(a).unwrap().contains(&"01".repeat(32)), "chunk ids are hex strings");
        assert!(deserialize(br#"[{"path":"","kind":"file","mode":0,"mtime":0,"mtime_nsec":0,"chunks":["zz"]}]"#).is_err());
        // A revision-1 entry reads with every revision-2 field "not recorded"; a revision-2
        // entry keeps them.
        let old = deserialize(br#"[{"path":"","kind":"file","mode":33188,"mtime":0,"mtime_nsec":0,"size":3}]"#).unwrap();
        assert!(old[0].uid.is_none() && old[0].xattrs.is_empty() && old[0].extents.is_none() && old[0].link.is_none() && old[0].flags == 0);
        assert_eq!(old[0].data_len(), 3);
        let e = TreeEntry { kind: Kind::Chardev, rdev: 259, uid: Some(1234), xattrs: vec![(encode_bytes(b"user.a"), encode_bytes(b"v"))], extents: Some(vec![(4096, 10)]), size: 1 << 20, flags: 0x40, ..TreeEntry::default() };
        let back = deserialize(&serialize(&[e]).unwrap()).unwrap();
        assert_eq!(back[0].flags, 0x40);
        assert!(!String::from_utf8(serialize(&[TreeEntry::default()]).unwrap()).unwrap().contains("flags"), "no flags: no field");
        assert_eq!((back[0].kind, back[0].rdev, back[0].uid, back[0].data_len()), (Kind::Chardev, 259, Some(1234), 10));
        assert_eq!(back[0].xattr_bytes().unwrap(), vec![(b"user.a".to_vec(), b"v".to_vec())]);
    }
}
