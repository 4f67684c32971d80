//! `Repo::browse`: one directory of a snapshot's file tree, a page at a time.
//!
//! The tree is one flat list of entries, serialised and chunked (`tree.rs`), so listing any
//! directory needs the whole tree decoded. The first call for a snapshot decodes it and builds
//! a listing of every directory (children sorted, directories first, each directory's total
//! size); the listing is kept in a small per-process cache keyed by vault and snapshot, so the
//! following pages and directories of the same snapshot are map lookups. Parent directories
//! the backup did not record (`/home` of a backup of `/home/ann`) appear as directories with
//! mode and mtime 0.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use super::error::StorageError;
use super::repo::Repo;
use super::tree::{Kind, TreeEntry};

/// Snapshots whose listings are kept.
const CACHED_SNAPSHOTS: usize = 4;
/// ...and at most this many entries in all (the newest listing is kept whatever its size).
const CACHED_ENTRIES: usize = 2_000_000;

/// One entry of a directory.
#[derive(Clone, Debug)]
pub struct BrowseEntry {
    pub name: String,
    pub kind: BrowseKind,
    /// A file's size; a directory's: its files' total.
    pub size: u64,
    pub mtime: i64,
    pub mode: u32,
    /// Absolute path in the snapshot.
    pub path: String,
    /// A symlink's target.
    pub target: String,
    /// Entries below a directory.
    pub files: u64,
}

/// The kinds of the tree, named for the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowseKind {
    File,
    Directory,
    Symlink,
    Fifo,
    Socket,
    Chardev,
    Blockdev,
}

impl BrowseKind {
    fn of(k: Kind) -> BrowseKind {
        match k {
            Kind::File => BrowseKind::File,
            Kind::Dir => BrowseKind::Directory,
            Kind::Symlink => BrowseKind::Symlink,
            Kind::Fifo => BrowseKind::Fifo,
            Kind::Socket => BrowseKind::Socket,
            Kind::Chardev => BrowseKind::Chardev,
            Kind::Blockdev => BrowseKind::Blockdev,
        }
    }
}

/// Every directory of one snapshot.
pub struct Listing {
    dirs: HashMap<String, Vec<BrowseEntry>>,
    /// Paths of the entries that are not directories.
    others: HashSet<String>,
    entries: usize,
}

/// What `browse` answers.
#[derive(Debug)]
pub enum BrowsePage {
    /// `entries[offset..offset+limit]` of the directory, and how many it holds.
    Page {
        entries: Vec<BrowseEntry>,
        total: usize,
    },
    /// The path is in the snapshot but is not a directory.
    NotADirectory,
    /// The path is not in the snapshot.
    NotFound,
}

type Cell = Arc<tokio::sync::OnceCell<Arc<Listing>>>;

fn cache() -> &'static Mutex<VecDeque<(String, Cell)>> {
    static CACHE: OnceLock<Mutex<VecDeque<(String, Cell)>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(VecDeque::new()))
}

/// The cache cell of a snapshot (made and put first when absent), evicting the oldest beyond
/// the bounds.
fn cell(key: &str) -> Cell {
    let mut c = cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(i) = c.iter().position(|(k, _)| k == key) {
        let item = c.remove(i).expect("index from position");
        let cell = item.1.clone();
        c.push_front(item);
        return cell;
    }
    let cell: Cell = Arc::default();
    c.push_front((key.to_string(), cell.clone()));
    c.truncate(CACHED_SNAPSHOTS);
    let mut total = 0;
    let mut keep = c.len();
    for (i, (_, cl)) in c.iter().enumerate() {
        total += cl.get().map(|l| l.entries).unwrap_or(0);
        if i > 0 && total > CACHED_ENTRIES {
            keep = i;
            break;
        }
    }
    c.truncate(keep);
    cell
}

impl Repo {
    /// A page of the directory `dir` (absolute, `/` = root) of a snapshot.
    pub async fn browse(
        &self,
        snapshot_id: &str,
        dir: &str,
        offset: usize,
        limit: usize,
    ) -> Result<BrowsePage, StorageError> {
        let listing = self.listing(snapshot_id).await?;
        let dir = normalise(dir);
        Ok(match listing.dirs.get(&dir) {
            Some(children) => BrowsePage::Page {
                entries: children.iter().skip(offset).take(limit).cloned().collect(),
                total: children.len(),
            },
            None if listing.others.contains(&dir) => BrowsePage::NotADirectory,
            None => BrowsePage::NotFound,
        })
    }

    /// The snapshot's listing, from the cache or decoded now.
    async fn listing(&self, snapshot_id: &str) -> Result<Arc<Listing>, StorageError> {
        let cell = cell(&format!("{}\n{snapshot_id}", self.vault_id()));
        let listing = cell
            .get_or_try_init(|| async {
                let manifest = self.load_snapshot(snapshot_id).await?;
                let entries = self.load_tree(&manifest).await?;
                Ok::<_, StorageError>(Arc::new(
                    tokio::task::spawn_blocking(move || build(entries)).await?,
                ))
            })
            .await?;
        Ok(listing.clone())
    }
}

/// `/a/b/` → `/a/b`; empty → `/`.
fn normalise(dir: &str) -> String {
    let t = dir.trim_end_matches('/');
    if t.is_empty() {
        "/".into()
    } else {
        t.to_string()
    }
}

fn lossy(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Builds the listing of every directory from the flat tree.
pub(crate) fn build(entries: Vec<TreeEntry>) -> Listing {
    let mut nodes: HashMap<String, BrowseEntry> = HashMap::with_capacity(entries.len() + 16);
    for e in &entries {
        let Ok(p) = e.path_buf() else { continue };
        let path = lossy(&p);
        let kind = BrowseKind::of(e.kind);
        let target = e
            .target_path()
            .ok()
            .flatten()
            .map(|t| lossy(&t))
            .unwrap_or_default();
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.clone());
        let size = if kind == BrowseKind::File { e.size } else { 0 };
        nodes.insert(
            path.clone(),
            BrowseEntry {
                name,
                kind,
                size,
                mtime: e.mtime,
                mode: e.mode,
                path,
                target,
                files: 0,
            },
        );
    }
    drop(entries);
    // Parents the backup did not record, and each directory's totals.
    let paths: Vec<(String, u64)> = nodes.values().map(|n| (n.path.clone(), n.size)).collect();
    for (path, size) in &paths {
        let mut p = Path::new(path.as_str()).parent();
        while let Some(a) = p {
            let key = lossy(a);
            let node = nodes.entry(key.clone()).or_insert_with(|| BrowseEntry {
                name: a
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| key.clone()),
                kind: BrowseKind::Directory,
                size: 0,
                mtime: 0,
                mode: 0,
                path: key,
                target: String::new(),
                files: 0,
            });
            node.size += size;
            node.files += 1;
            p = a.parent();
        }
    }
    let mut dirs: HashMap<String, Vec<BrowseEntry>> = HashMap::new();
    let mut others = HashSet::new();
    let n = nodes.len();
    for (path, node) in nodes {
        if node.kind == BrowseKind::Directory {
            dirs.entry(path.clone()).or_default();
        } else {
            others.insert(path.clone());
        }
        if path == "/" {
            continue;
        }
        let parent = Path::new(&path)
            .parent()
            .map(lossy)
            .unwrap_or_else(|| "/".into());
        dirs.entry(parent).or_default().push(node);
    }
    dirs.entry("/".into()).or_default();
    for children in dirs.values_mut() {
        children.sort_unstable_by(|a, b| {
            (a.kind != BrowseKind::Directory)
                .cmp(&(b.kind != BrowseKind::Directory))
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    Listing {
        dirs,
        others,
        entries: n,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::encode_path;
    use super::*;

    fn entry(path: &str, kind: Kind, size: u64) -> TreeEntry {
        TreeEntry {
            path: encode_path(Path::new(path)),
            kind,
            size,
            mode: 0o644,
            mtime: 7,
            ..TreeEntry::default()
        }
    }

    #[test]
    fn listing_synthesises_parents_sorts_and_sums() {
        let l = build(vec![
            entry("/srv/data", Kind::Dir, 0),
            entry("/srv/data/b.txt", Kind::File, 10),
            entry("/srv/data/a.txt", Kind::File, 5),
            entry("/srv/data/sub", Kind::Dir, 0),
            entry("/srv/data/sub/c", Kind::File, 100),
            entry("/srv/data/link", Kind::Symlink, 0),
        ]);
        let root = &l.dirs["/"];
        assert_eq!(root.len(), 1);
        assert_eq!(
            (
                root[0].name.as_str(),
                root[0].kind,
                root[0].size,
                root[0].mode
            ),
            ("srv", BrowseKind::Directory, 115, 0)
        );
        let data: Vec<&str> = l.dirs["/srv/data"]
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(
            data,
            ["sub", "a.txt", "b.txt", "link"],
            "directories first, then by name"
        );
        assert_eq!(l.dirs["/srv/data"][0].size, 100);
        assert_eq!(l.dirs["/srv/data"][0].files, 1);
        assert!(l.others.contains("/srv/data/a.txt"));
        assert!(!l.dirs.contains_key("/srv/data/a.txt"));
        assert_eq!(normalise("/srv/data/"), "/srv/data");
        assert_eq!(normalise(""), "/");
    }
}
