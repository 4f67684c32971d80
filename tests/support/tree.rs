//! The one tree walker and the one tree comparison.
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Every entry under `root` (not `root` itself), sorted by path, directories before their
/// contents; symlinks are listed, never followed. A missing `root` has no entries.
pub fn walk(root: &Path) -> Vec<PathBuf> {
    fn visit(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        let mut entries: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let is_dir = fs::symlink_metadata(&p).unwrap().is_dir();
            out.push(p.clone());
            if is_dir {
                visit(&p, out);
            }
        }
    }
    let mut out = Vec::new();
    visit(root, &mut out);
    out
}

/// Every entry under `root` that is not a directory (files and symlinks), sorted.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    walk(root).into_iter().filter(|p| !fs::symlink_metadata(p).unwrap().is_dir()).collect()
}

/// True if `needle` occurs in the name or the content of any entry under `dir`.
pub fn occurs_under(dir: &Path, needle: &[u8]) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let has = |hay: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    walk(dir).iter().any(|p| {
        let md = fs::symlink_metadata(p).unwrap();
        has(p.file_name().unwrap().as_bytes()) || (md.is_file() && has(&fs::read(p).unwrap()))
    })
}

/// Where `original` (absolute) lands when restored under `target`.
pub fn rerooted(target: &Path, original: &Path) -> PathBuf {
    target.join(original.strip_prefix("/").unwrap())
}

/// Asserts the tree at `actual` equals the tree at `expected`, both roots included: the same
/// entry names at every level; the same kind (dir, file, symlink); symlinks with the same
/// target; everything else with the same mode (all `st_mode` bits) and the same mtime to the
/// nanosecond; files with the same size and bytes.
pub fn assert_trees_equal_content_mode_mtime(expected: &Path, actual: &Path) {
    use std::os::unix::fs::MetadataExt;
    let (me, ma) = (fs::symlink_metadata(expected).unwrap(), fs::symlink_metadata(actual).unwrap_or_else(|e| panic!("{}: {e}", actual.display())));
    let shown = expected.display();
    assert_eq!(me.file_type().is_dir(), ma.file_type().is_dir(), "kind of {shown}");
    assert_eq!(me.file_type().is_symlink(), ma.file_type().is_symlink(), "kind of {shown}");
    if me.file_type().is_symlink() {
        assert_eq!(fs::read_link(expected).unwrap(), fs::read_link(actual).unwrap(), "target of {shown}");
        return;
    }
    assert_eq!(me.mode(), ma.mode(), "mode of {shown}");
    assert_eq!((me.mtime(), me.mtime_nsec()), (ma.mtime(), ma.mtime_nsec()), "mtime of {shown}");
    if me.is_file() {
        assert_eq!(me.len(), ma.len(), "size of {shown}");
        assert!(same_content(expected, actual), "content of {shown}");
    } else if me.is_dir() {
        let names = |d: &Path| {
            let mut v: Vec<_> = fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
            v.sort();
            v
        };
        let entries = names(expected);
        assert_eq!(entries, names(actual), "entries of {shown}");
        for name in entries {
            assert_trees_equal_content_mode_mtime(&expected.join(&name), &actual.join(&name));
        }
    }
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
