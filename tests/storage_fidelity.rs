//! File fidelity (issue #15): long names at depth, sparse files, hard links, ownership, xattrs
//! and ACLs, special files, timestamps, reporting — backed up and restored through the storage
//! API and compared with `lstat`. Self-contained: its own small helpers.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mirrorvault::backend::storage::*;

fn progress() -> Arc<Progress> {
    Arc::new(Progress::default())
}

fn local(dir: &Path) -> Location {
    Location::open(&LocationConfig::Local { path: dir.to_path_buf() }).unwrap()
}

async fn new_repo(loc: &Location, vault: &str, master: &MasterKey) -> Repo {
    Repo::create(loc, vault, master, DataKey::generate(), "HBR_PRIVATE", None).await.unwrap()
}

fn req(id: &str, paths: &[&Path]) -> BackupRequest {
    BackupRequest {
        snapshot_id: id.to_string(),
        client_id: "client-1".into(),
        source_type: "FILE".into(),
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        excludes: vec![],
        parent_snapshot_id: None,
        meta: serde_json::json!({}),
    }
}

fn restore_req(id: &str, target: &Path) -> RestoreRequest {
    RestoreRequest { snapshot_id: id.into(), target: target.to_path_buf(), include: vec![], overwrite: false }
}

fn rerooted(target: &Path, original: &Path) -> PathBuf {
    target.join(original.strip_prefix("/").unwrap())
}

fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// `depth` nested one-letter directories under `root`.
fn deep_dir(root: &Path, depth: usize) -> PathBuf {
    let mut d = root.to_path_buf();
    for i in 0..depth {
        d.push(format!("{}", (b'a' + (i % 26) as u8) as char));
    }
    fs::create_dir_all(&d).unwrap();
    d
}

/// A name of exactly `len` bytes, not all ASCII.
fn long_name(len: usize, fill: u8) -> Vec<u8> {
    let mut n = "ü".as_bytes().to_vec();
    n.resize(len, fill);
    n
}

async fn backup_restore(src: &Path, tmp: &Path) -> (Repo, PathBuf, RestoreStats) {
    let master = MasterKey::generate();
    let repo = new_repo(&local(&tmp.join("loc")), "vault-f", &master).await;
    repo.backup(req("snap-1", &[src]), progress()).await.unwrap();
    let target = tmp.join("restore");
    let stats = repo.restore(restore_req("snap-1", &target), progress()).await.unwrap();
    (repo, target, stats)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_of_250_and_255_bytes_restore_at_depth_40() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let deep = deep_dir(&src, 40);
    let n250 = deep.join(OsStr::from_bytes(&long_name(250, b'x')));
    let n255 = deep.join(OsStr::from_bytes(&long_name(255, b'y')));
    let odd = deep.join(OsStr::from_bytes(b"caf\xe9-\xff"));
    write(&n250, b"two hundred fifty");
    write(&n255, &vec![7u8; 3 << 20]);
    write(&odd, b"not utf-8");
    let (_repo, target, stats) = backup_restore(&src, tmp.path()).await;
    assert!(stats.failed_files.is_empty(), "{:?}", stats.failed_files);
    assert_eq!(fs::read(rerooted(&target, &n250)).unwrap(), b"two hundred fifty");
    assert_eq!(fs::read(rerooted(&target, &n255)).unwrap(), vec![7u8; 3 << 20]);
    assert_eq!(fs::read(rerooted(&target, &odd)).unwrap(), b"not utf-8");
    let left: Vec<_> = fs::read_dir(rerooted(&target, &deep)).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n.as_bytes().starts_with(b".mvpart-")).collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    assert_eq!(fs::symlink_metadata(rerooted(&target, &n255)).unwrap().size(), 3 << 20);
}
