//! File fidelity (issue #15): long names at depth, sparse files, hard links, ownership, xattrs
//! and ACLs, special files, timestamps, reporting — backed up and restored through the storage
//! API and compared with `lstat`. Local locations only: what is under test is the restore target's
//! filesystem, not the location (the location kinds have the suite in `roundtrip`).

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mirrorvault::backend::storage::*;

use crate::support::rerooted;
use crate::support::store::{new_repo, progress, req, restore_req};

fn local(dir: &Path) -> Location {
    Location::open(&LocationConfig::Local { path: dir.to_path_buf() }).unwrap()
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

// ---- Reporting ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unrestorable_entry_is_noted_and_every_other_entry_restores() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write(&src.join("a.txt"), b"a");
    write(&src.join("d/b.txt"), b"b");
    let sock = src.join("d/listener.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let (_repo, target, stats) = backup_restore(&src, tmp.path()).await;
    assert!(stats.failed_files.is_empty(), "{:?}", stats.failed_files);
    assert_eq!(stats.metadata_not_applied.len(), 1, "{:?}", stats.metadata_not_applied);
    assert!(stats.metadata_not_applied[0].contains("listener.sock") && stats.metadata_not_applied[0].contains("socket"), "{:?}", stats.metadata_not_applied);
    assert!(fs::symlink_metadata(rerooted(&target, &sock)).is_err(), "a socket is not recreated");
    assert_eq!(fs::read(rerooted(&target, &src.join("a.txt"))).unwrap(), b"a");
    assert_eq!(fs::read(rerooted(&target, &src.join("d/b.txt"))).unwrap(), b"b");
    assert_eq!(stats.files_restored, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_entries_are_skipped_with_reasons_and_the_backup_completes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write(&src.join("ok.txt"), b"fine");
    // Reading /proc/self/mem at offset 0 fails with EIO (nothing is mapped there), whoever
    // runs the test: an I/O error on a regular file.
    let unreadable = PathBuf::from("/proc/self/mem");
    let master = MasterKey::generate();
    let repo = new_repo(&local(&tmp.path().join("loc")), "vault-f", &master).await;
    let m = repo.backup(req("snap-1", &[&src, &unreadable]), progress()).await.unwrap();
    assert_eq!(m.skipped.len(), 1, "{:?}", m.skipped);
    assert!(m.skipped[0].starts_with("/proc/self/mem: cannot read file"), "{:?}", m.skipped);
    let listed = repo.list_snapshots().await.unwrap();
    assert_eq!(listed[0].skipped, m.skipped, "the manifest keeps the list");
    let target = tmp.path().join("restore");
    let stats = repo.restore(restore_req("snap-1", &target), progress()).await.unwrap();
    assert!(stats.failed_files.is_empty());
    assert_eq!(fs::read(rerooted(&target, &src.join("ok.txt"))).unwrap(), b"fine");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_appended_to_while_read_is_reported_as_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let growing = src.join("growing.log");
    write(&growing, &vec![b'x'; 48 << 20]);
    write(&src.join("still.txt"), b"still");
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (g, s2) = (growing.clone(), stop.clone());
    let appender = std::thread::spawn(move || {
        use std::io::Write;
        let mut f = fs::OpenOptions::new().append(true).open(&g).unwrap();
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            f.write_all(&[b'y'; 4096]).unwrap();
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    });
    let master = MasterKey::generate();
    let repo = new_repo(&local(&tmp.path().join("loc")), "vault-f", &master).await;
    let m = repo.backup(req("snap-1", &[&src]), progress()).await.unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    appender.join().unwrap();
    assert!(m.skipped.is_empty(), "{:?}", m.skipped);
    assert_eq!(m.changed, vec![format!("{}: changed during backup", growing.display())]);
    let target = tmp.path().join("restore");
    let stats = repo.restore(restore_req("snap-1", &target), progress()).await.unwrap();
    assert!(stats.failed_files.is_empty(), "{:?}", stats.failed_files);
    let restored = fs::read(rerooted(&target, &growing)).unwrap();
    assert!(restored.len() >= 48 << 20 && restored[..48 << 20].iter().all(|&b| b == b'x'), "stored as read");
}

// ---- Format: snapshots of revision 1.2 (before the fidelity fields) still restore ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_of_release_1_2_still_restore() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datadir-r1.2");
    assert!(fixture.exists(), "fixture {} missing", fixture.display());
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("datadir");
    let status = std::process::Command::new("cp").arg("-a").arg(&fixture).arg(&data).status().unwrap();
    assert!(status.success());
    let master = MasterKey::load(&data.join("master.key")).unwrap();
    let mut restored = 0;
    for region in fs::read_dir(data.join("regions")).unwrap() {
        let region = region.unwrap().path();
        let Ok(vaults) = fs::read_dir(region.join("vaults")) else { continue };
        let loc = local(&region);
        for v in vaults {
            let vault_id = v.unwrap().file_name().to_string_lossy().into_owned();
            let repo = Repo::open(&loc, &vault_id, &master).await.unwrap_or_else(|e| panic!("{vault_id} does not open: {e}"));
            for s in repo.list_snapshots().await.unwrap().into_iter().filter(|s| s.source_type == "FILE") {
                let target = tmp.path().join(format!("restore-{}", s.snapshot_id));
                let stats = repo.restore(restore_req(&s.snapshot_id, &target), progress()).await.unwrap();
                assert!(stats.failed_files.is_empty(), "{}: {:?}", s.snapshot_id, stats.failed_files);
                assert!(stats.files_restored > 0 || s.items_total <= 1, "{}", s.snapshot_id);
                restored += 1;
            }
        }
    }
    assert!(restored > 0, "no FILE snapshot restored from the fixture");
}

// ---- File flags (chattr) ----

/// The inode flags of `path` straight from `FS_IOC_GETFLAGS` (not through the crate).
fn ioctl_flags(path: &Path) -> u32 {
    use std::os::fd::AsRawFd;
    let f = fs::File::open(path).unwrap();
    let mut v: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int through a valid pointer, on an open descriptor.
    assert_eq!(unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut v as *mut libc::c_int) }, 0, "{}", std::io::Error::last_os_error());
    v as u32
}

fn chattr(arg: &str, path: &Path) {
    let status = std::process::Command::new("chattr").arg(arg).arg(path).status().unwrap();
    assert!(status.success(), "chattr {arg} {}", path.display());
}

const FS_IMMUTABLE_FL: u32 = 0x10;
const FS_NODUMP_FL: u32 = 0x40;
const FS_NOATIME_FL: u32 = 0x80;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_flags_are_backed_up_and_restored_last() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let (nodump, dir, plain) = (src.join("nodump.txt"), src.join("d"), src.join("d/plain.txt"));
    write(&nodump, b"not for dump");
    write(&plain, b"plain");
    chattr("+d", &nodump);
    chattr("+A", &dir);
    assert_eq!(ioctl_flags(&nodump) & FS_NODUMP_FL, FS_NODUMP_FL, "ext4 here keeps the nodump flag");
    // As root, an immutable file with a second link: its times and the link are restored
    // before the flag is set (the flag refuses both).
    let (frozen, frozen_link) = (src.join("frozen.txt"), src.join("d/frozen-link.txt"));
    if is_root() {
        write(&frozen, b"frozen");
        fs::hard_link(&frozen, &frozen_link).unwrap();
        filetime::set_file_mtime(&frozen, filetime::FileTime::from_unix_time(1_000_000_000, 5)).unwrap();
        chattr("+i", &frozen);
    }
    let (_repo, target, stats) = backup_restore(&src, tmp.path()).await;
    let restored = |p: &Path| rerooted(&target, p);
    let unfreeze = || {
        for p in [frozen.clone(), restored(&frozen)] {
            if p.exists() {
                chattr("-i", &p);
            }
        }
    };
    if is_root() {
        let (r, rl) = (restored(&frozen), restored(&frozen_link));
        let (flags, m, ml) = (ioctl_flags(&r), fs::metadata(&r).unwrap(), fs::metadata(&rl).unwrap());
        unfreeze();
        assert_eq!(flags & FS_IMMUTABLE_FL, FS_IMMUTABLE_FL, "immutable restored");
        assert_eq!((m.mtime(), m.mtime_nsec()), (1_000_000_000, 5), "times set before the flag");
        assert_eq!((m.nlink(), m.ino()), (2, ml.ino()), "the hard link made before the flag");
    }
    assert!(stats.failed_files.is_empty(), "{:?}", stats.failed_files);
    assert!(stats.metadata_not_applied.is_empty(), "{:?}", stats.metadata_not_applied);
    assert_eq!(ioctl_flags(&restored(&nodump)) & (FS_NODUMP_FL | FS_NOATIME_FL), FS_NODUMP_FL);
    assert_eq!(ioctl_flags(&restored(&dir)) & (FS_NODUMP_FL | FS_NOATIME_FL), FS_NOATIME_FL);
    assert_eq!(ioctl_flags(&restored(&plain)) & (FS_NODUMP_FL | FS_NOATIME_FL), 0);
    assert_eq!(fs::read(restored(&nodump)).unwrap(), b"not for dump");
}
