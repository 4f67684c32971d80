//! Shared helpers for the storage tests (included with `mod storage_support;`).
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mirrorvault::backend::storage::*;
use rand::{RngCore, SeedableRng};

pub fn progress() -> Arc<Progress> {
    Arc::new(Progress::default())
}

pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut v);
    v
}

pub fn text_bytes(n: usize, seed: u64) -> Vec<u8> {
    let words = ["alpha ", "beta ", "gamma ", "delta\n", "epsilon ", "zeta "];
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut v = Vec::with_capacity(n + 16);
    while v.len() < n {
        v.extend_from_slice(words[(rng.next_u32() as usize) % words.len()].as_bytes());
    }
    v.truncate(n);
    v
}

pub fn write(path: &Path, data: &[u8]) {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).unwrap();
    }
    fs::write(path, data).unwrap();
}

pub fn local(dir: &Path) -> Location {
    Location::open(&LocationConfig::Local { path: dir.to_path_buf() }).unwrap()
}

pub async fn new_repo(loc: &Location, vault: &str, master: &MasterKey) -> Repo {
    Repo::create(loc, vault, master, DataKey::generate(), "HBR_PRIVATE", None).await.unwrap()
}

pub fn req(id: &str, paths: &[&Path]) -> BackupRequest {
    BackupRequest {
        snapshot_id: id.to_string(),
        client_id: "client-1".into(),
        source_type: "FILE".into(),
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        excludes: vec![],
        parent_snapshot_id: None,
        meta: serde_json::json!({"k": "v"}),
    }
}

pub fn restore_req(id: &str, target: &Path) -> RestoreRequest {
    RestoreRequest { snapshot_id: id.into(), target: target.to_path_buf(), include: vec![], overwrite: false }
}

/// Where `original` (absolute) lands when restored under `target`.
pub fn rerooted(target: &Path, original: &Path) -> PathBuf {
    target.join(original.strip_prefix("/").unwrap())
}

fn same_content(a: &Path, b: &Path) -> bool {
    let (mut fa, mut fb) = (fs::File::open(a).unwrap(), fs::File::open(b).unwrap());
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
}

fn read_full(f: &mut fs::File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        let r = f.read(&mut buf[n..]).unwrap();
        if r == 0 {
            break;
        }
        n += r;
    }
    n
}

/// Assert `restored` (the re-rooted copy of `src`) matches: kinds, bytes, symlink targets, modes, mtimes.
pub fn assert_same_tree(src: &Path, target: &Path) {
    let dst = rerooted(target, src);
    let (ms, md) = (fs::symlink_metadata(src).unwrap(), fs::symlink_metadata(&dst).unwrap_or_else(|e| panic!("{}: {e}", dst.display())));
    assert_eq!(ms.file_type().is_dir(), md.file_type().is_dir(), "{}", src.display());
    assert_eq!(ms.file_type().is_symlink(), md.file_type().is_symlink(), "{}", src.display());
    if ms.file_type().is_symlink() {
        assert_eq!(fs::read_link(src).unwrap(), fs::read_link(&dst).unwrap());
        return;
    }
    assert_eq!(ms.permissions().mode() & 0o7777, md.permissions().mode() & 0o7777, "mode of {}", src.display());
    assert_eq!((ms.mtime(), ms.mtime_nsec()), (md.mtime(), md.mtime_nsec()), "mtime of {}", src.display());
    if ms.is_file() {
        assert_eq!(ms.len(), md.len(), "size of {}", src.display());
        assert!(same_content(src, &dst), "content of {}", src.display());
    } else if ms.is_dir() {
        let mut a: Vec<_> = fs::read_dir(src).unwrap().map(|e| e.unwrap().file_name()).collect();
        let mut b: Vec<_> = fs::read_dir(&dst).unwrap().map(|e| e.unwrap().file_name()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "entries of {}", src.display());
        for name in a {
            assert_same_tree(&src.join(name), target);
        }
    }
}

/// True if `needle` occurs in any file (content or name) under `dir`.
pub fn occurs_under(dir: &Path, needle: &[u8]) -> bool {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let p = entry.path();
        use std::os::unix::ffi::OsStrExt;
        if entry.file_name().as_bytes().windows(needle.len()).any(|w| w == needle) {
            return true;
        }
        let md = fs::symlink_metadata(&p).unwrap();
        if md.is_dir() {
            if occurs_under(&p, needle) {
                return true;
            }
        } else if md.is_file() {
            let data = fs::read(&p).unwrap();
            if data.windows(needle.len()).any(|w| w == needle) {
                return true;
            }
        }
    }
    false
}

/// All pack files of a vault under a local location dir.
pub fn pack_files(loc_dir: &Path, vault: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let data = loc_dir.join("vaults").join(vault).join("data");
    if let Ok(rd) = fs::read_dir(&data) {
        for sub in rd {
            for f in fs::read_dir(sub.unwrap().path()).unwrap() {
                out.push(f.unwrap().path());
            }
        }
    }
    out.sort();
    out
}
