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

// ---- The issue's tree ----

const ACL_USER: u32 = 1234;

/// A `system.posix_acl_access` value: version 2, then (tag u16, perm u16, id u32) entries.
fn acl_with_named_user() -> Vec<u8> {
    const UNDEFINED: u32 = u32::MAX;
    let mut v = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [(0x01u16, 6u16, UNDEFINED), (0x02, 4, ACL_USER), (0x04, 4, UNDEFINED), (0x10, 4, UNDEFINED), (0x20, 4, UNDEFINED)] {
        v.extend_from_slice(&tag.to_le_bytes());
        v.extend_from_slice(&perm.to_le_bytes());
        v.extend_from_slice(&id.to_le_bytes());
    }
    v
}

fn mknod(path: &Path, mode: u32, dev: u64) {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path that lives for the call.
    let rc = unsafe { libc::mknod(c.as_ptr(), mode as libc::mode_t, dev as libc::dev_t) };
    assert_eq!(rc, 0, "mknod {}: {}", path.display(), std::io::Error::last_os_error());
}

fn is_root() -> bool {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() == 0 }
}

const SPARSE_SIZE: u64 = 1 << 30;
const SPARSE_DATA: usize = 1 << 20;

/// Builds the issue's tree under `src`; returns (sparse file, 100k-entry directory).
fn build_issue_tree(src: &Path) -> (PathBuf, PathBuf) {
    let deep = deep_dir(src, 40);
    write(&deep.join(OsStr::from_bytes(&long_name(250, b'x'))), b"250");
    write(&deep.join(OsStr::from_bytes(&long_name(255, b'y'))), b"255");
    // Hard links: three names of one inode, one of them in another directory.
    write(&src.join("links/a"), b"linked content\n");
    fs::hard_link(src.join("links/a"), src.join("links/b")).unwrap();
    fs::create_dir_all(src.join("other")).unwrap();
    fs::hard_link(src.join("links/a"), src.join("other/c")).unwrap();
    mknod(&src.join("fifo"), libc::S_IFIFO | 0o640, 0);
    write(&src.join("owned"), b"owned by 1234:5678");
    std::os::unix::fs::lchown(src.join("owned"), Some(1234), Some(5678)).unwrap();
    write(&src.join("xattr"), b"has an xattr");
    xattr::set(src.join("xattr"), "user.mv", b"value123").unwrap();
    write(&src.join("acl"), b"has an ACL");
    xattr::set(src.join("acl"), "system.posix_acl_access", &acl_with_named_user()).unwrap();
    if is_root() {
        mknod(&src.join("null"), libc::S_IFCHR | 0o666, libc::makedev(1, 3));
        mknod(&src.join("loop"), libc::S_IFBLK | 0o600, libc::makedev(7, 200));
    }
    write(&src.join("setuid"), b"#!/bin/sh\n");
    fs::set_permissions(src.join("setuid"), fs::Permissions::from_mode(0o4755)).unwrap();
    write(&src.join("epoch"), b"mtime 0");
    filetime::set_file_mtime(src.join("epoch"), filetime::FileTime::from_unix_time(0, 0)).unwrap();
    filetime::set_file_mtime(src.join("xattr"), filetime::FileTime::from_unix_time(1_600_000_000, 123_456_789)).unwrap();
    // Sparse: 1 GiB with 1 MiB of data in the middle.
    let sparse = src.join("sparse.img");
    let f = fs::File::create(&sparse).unwrap();
    let data: Vec<u8> = (0..SPARSE_DATA).map(|i| (i % 251) as u8 | 1).collect();
    std::os::unix::fs::FileExt::write_all_at(&f, &data, SPARSE_SIZE / 2).unwrap();
    f.set_len(SPARSE_SIZE).unwrap();
    drop(f);
    let many = src.join("many");
    fs::create_dir_all(&many).unwrap();
    for i in 0..100_000 {
        fs::File::create(many.join(format!("{i}"))).unwrap();
    }
    filetime::set_file_mtime(&many, filetime::FileTime::from_unix_time(1_500_000_000, 5)).unwrap();
    filetime::set_file_mtime(&deep, filetime::FileTime::from_unix_time(1_400_000_000, 7)).unwrap();
    (sparse, many)
}

use std::os::unix::fs::PermissionsExt;

fn sorted_xattrs(p: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = xattr::list(p).unwrap().map(|n| (n.to_string_lossy().into_owned(), xattr::get(p, &n).unwrap().unwrap_or_default())).collect();
    v.sort();
    v
}

/// Every entry under `src` (lstat), compared with its restored copy under `target`.
fn assert_faithful(src: &Path, target: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![src.to_path_buf()];
    while let Some(p) = stack.pop() {
        let a = fs::symlink_metadata(&p).unwrap();
        let r = rerooted(target, &p);
        let b = fs::symlink_metadata(&r).unwrap_or_else(|e| panic!("{} not restored: {e}", r.display()));
        let what = p.display();
        assert_eq!(a.mode(), b.mode(), "mode of {what}");
        assert_eq!((a.uid(), a.gid()), (b.uid(), b.gid()), "owner of {what}");
        assert_eq!(a.rdev(), b.rdev(), "rdev of {what}");
        assert_eq!(a.nlink(), b.nlink(), "link count of {what}");
        assert_eq!((a.mtime(), a.mtime_nsec()), (b.mtime(), b.mtime_nsec()), "mtime of {what}");
        if !a.file_type().is_symlink() {
            assert_eq!(sorted_xattrs(&p), sorted_xattrs(&r), "xattrs of {what}");
        }
        if a.is_file() {
            assert_eq!(a.size(), b.size(), "size of {what}");
            assert!(b.blocks() <= a.blocks() + 8, "{what}: {} blocks restored, {} in the source", b.blocks(), a.blocks());
        }
        if a.is_dir() {
            stack.extend(fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        }
        n += 1;
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_tree_restores_as_it_was_from_vault_and_mirror() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let (sparse, many) = build_issue_tree(&src);
    let src_blocks = fs::metadata(&sparse).unwrap().blocks();
    assert!(src_blocks * 512 <= 2 * SPARSE_DATA as u64, "the source is sparse");

    let master = MasterKey::generate();
    let repo = new_repo(&local(&tmp.path().join("loc")), "vault-f", &master).await;
    let m = repo.backup(req("snap-1", &[&src]), progress()).await.unwrap();
    assert!(m.skipped.is_empty() && m.changed.is_empty(), "{:?} {:?}", m.skipped, m.changed);
    assert!(m.bytes_added < 8 << 20, "only the data of the sparse file is stored: {} bytes", m.bytes_added);

    let mirror = Repo::create(&local(&tmp.path().join("mirror")), "vault-m", &master, repo.data_key(), "HBR_PRIVATE", None).await.unwrap();
    repo.copy_snapshot_to(&mirror, "snap-1", 0, progress()).await.unwrap();

    for (name, r) in [("vault", &repo), ("mirror", &mirror)] {
        let target = tmp.path().join(format!("restore-{name}"));
        let stats = r.restore(restore_req("snap-1", &target), progress()).await.unwrap();
        assert!(stats.failed_files.is_empty(), "{name}: {:?}", stats.failed_files);
        assert!(stats.metadata_not_applied.is_empty(), "{name}: {:?}", stats.metadata_not_applied);
        let n = assert_faithful(&src, &target);
        assert!(n > 100_040, "{name}: {n} entries compared");
        let restored = fs::metadata(rerooted(&target, &sparse)).unwrap();
        assert_eq!(restored.size(), SPARSE_SIZE);
        assert!(restored.blocks() * 512 <= 2 * SPARSE_DATA as u64, "{name}: sparse file allocates {} bytes", restored.blocks() * 512);
        assert_eq!(fs::read_dir(rerooted(&target, &many)).unwrap().count(), 100_000);
        let a = fs::symlink_metadata(rerooted(&target, &src.join("links/a"))).unwrap();
        let c = fs::symlink_metadata(rerooted(&target, &src.join("other/c"))).unwrap();
        assert_eq!((a.ino(), a.nlink()), (c.ino(), 3), "{name}: hard links restored as links");
        assert_eq!(fs::read(rerooted(&target, &src.join("other/c"))).unwrap(), b"linked content\n");
        assert_eq!(xattr::get(rerooted(&target, &src.join("xattr")), "user.mv").unwrap().as_deref(), Some(&b"value123"[..]));
        assert_eq!(xattr::get(rerooted(&target, &src.join("acl")), "system.posix_acl_access").unwrap(), Some(acl_with_named_user()));
    }
}
