//! Windows. There are no mode bits, no read-ahead hint and no SIGTERM; what each call does
//! instead is in the table in `platform`. (This machine has no Windows standard library: this
//! file keeps to documented `std` and `std::os::windows` items.)

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::fs::FileExt;
use std::path::Path;
use std::process::Child;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{wtf8, FileStat};

/// Reads exactly `buf.len()` bytes at `offset`; `UnexpectedEof` if the file is shorter.
pub fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "failed to fill whole buffer")),
            Ok(n) => {
                let rest = buf;
                buf = &mut rest[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes all of `buf` at `offset`.
pub fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match file.seek_write(buf, offset) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// No read-ahead hint on Windows: a no-op.
#[inline]
pub fn will_need(_path: &Path, _len: u64) {}

/// A unix-style mode made up from the file type and the read-only flag, the mtime, inode 0.
pub fn file_stat(md: &Metadata) -> FileStat {
    let ft = md.file_type();
    let mode = if ft.is_dir() {
        0o040_755
    } else if ft.is_symlink() {
        0o120_777
    } else if md.permissions().readonly() {
        0o100_444
    } else {
        0o100_644
    };
    let (mtime, mtime_nsec) = md.modified().map(unix_time).unwrap_or((0, 0));
    FileStat { mode, mtime, mtime_nsec, inode: 0 }
}

/// Seconds and nanoseconds since the Unix epoch (negative seconds before it, nanoseconds up).
fn unix_time(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).unwrap_or(i64::MAX), d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let secs = -i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (secs, 0),
                n => (secs - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// No mode bits on Windows: a no-op (the entry keeps the permissions it inherited).
pub fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// No mode bits on Windows: a no-op (the file keeps the permissions it inherited).
pub fn set_file_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates (or truncates) a file for writing. No mode bits: it inherits its directory's ACL.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create(true).truncate(true).open(path)
}

/// No mode bits on Windows: a no-op (the directory keeps its inherited ACL).
pub fn restrict_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Creates a symbolic link at `link` pointing to `target`: a directory link when the target
/// (relative to the link's directory) is a directory, a file link otherwise. Needs Developer
/// Mode or the create-symbolic-link privilege; without, the error is returned.
pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    let resolved = match link.parent() {
        Some(dir) => dir.join(target),
        None => target.to_path_buf(),
    };
    if resolved.is_dir() {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    }
}

/// The bytes a name is stored as: UTF-8 when the name is valid Unicode (as on unix), else
/// WTF-8 of its UTF-16 code units (unpaired surrogates kept).
pub fn name_bytes(name: &OsStr) -> Cow<'_, [u8]> {
    match name.to_str() {
        Some(s) => Cow::Borrowed(s.as_bytes()),
        None => Cow::Owned(wtf8::encode(name.encode_wide())),
    }
}

/// The name stored as `bytes` (the inverse of `name_bytes`); bytes that are not WTF-8 (a
/// non-UTF-8 name from unix) become U+FFFD.
pub fn name_from_bytes(bytes: Vec<u8>) -> OsString {
    match String::from_utf8(bytes) {
        Ok(s) => OsString::from(s),
        Err(e) => OsString::from_wide(&wtf8::decode(e.as_bytes())),
    }
}

/// No glibc arenas here: a no-op.
pub fn tune_malloc() {}

/// No `sync()` on Windows: a no-op (the bench's caches are then not flushed before a run).
pub fn sync_filesystems() {}

/// Not measured on Windows.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    None
}

/// Not measured on Windows.
pub fn free_disk(_path: &Path) -> Option<u64> {
    None
}

/// No SIGTERM on Windows: the child is killed (TerminateProcess), without a graceful shutdown.
pub fn terminate(child: &mut Child) -> io::Result<()> {
    child.kill()
}

/// Whether a process with this id exists: not asked on Windows (always false), so a lock of the
/// same data dir is taken over as after a crash (see `backend::locations::writer_lock`).
pub fn process_alive(_pid: u32) -> bool {
    false
}

/// Resolves when the process is asked to stop: Ctrl-C.
pub async fn shutdown_requested() {
    let _ = tokio::signal::ctrl_c().await;
}

// ---- File fidelity: what Windows does not record or restore yet (see the table in `platform`) ----

/// No FIFOs, sockets or device nodes are recorded on Windows.
pub fn special_kind(_md: &Metadata) -> Option<super::SpecialKind> {
    None
}

/// Only the access time; no owner ids, no link count, no allocated bytes (zero). (All zero, the
/// restore would set every atime to 1970.)
pub fn unix_meta(md: &Metadata) -> super::UnixMeta {
    let (atime, atime_nsec) = md.accessed().map(unix_time).unwrap_or((0, 0));
    super::UnixMeta { atime, atime_nsec, ..super::UnixMeta::default() }
}

/// No unix user names.
pub fn user_name(_uid: u32) -> Option<String> {
    None
}

/// No unix group names.
pub fn group_name(_gid: u32) -> Option<String> {
    None
}

/// No unix user names.
pub fn uid_of(_name: &str) -> Option<u32> {
    None
}

/// No unix group names.
pub fn gid_of(_name: &str) -> Option<u32> {
    None
}

/// Owners are not restored on Windows.
pub fn privileged() -> bool {
    false
}

/// No unix owner ids.
pub fn process_owner() -> Option<(u32, u32)> {
    None
}

/// `Unsupported`: the owner (security descriptor) is not restored yet.
pub fn lchown(_path: &Path, _uid: u32, _gid: u32) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "owners are not restored on Windows yet"))
}

/// Nothing recorded (alternate data streams and security descriptors are not read yet).
pub fn xattrs(_path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    Ok(Vec::new())
}

/// `Unsupported`: no extended attributes on Windows.
pub fn set_xattr(_path: &Path, _name: &[u8], _value: &[u8]) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "extended attributes are not restored on Windows"))
}

/// `Unsupported`: no FIFOs or device nodes on Windows.
pub fn make_special(_path: &Path, _kind: super::SpecialKind, _mode: u32, _rdev: u64) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "special files are not restored on Windows"))
}

/// The whole file is data (sparse NTFS files are read in full; all-zero chunks still restore
/// as unwritten ranges).
pub fn data_extents(_file: &File, len: u64) -> io::Result<Vec<(u64, u64)>> {
    Ok(if len == 0 { Vec::new() } else { vec![(0, len)] })
}

/// Creates `link` as a hard link to `original` (NTFS).
pub fn hard_link(original: &Path, link: &Path) -> io::Result<()> {
    std::fs::hard_link(original, link)
}

/// File flags are not recorded on Windows (the attributes hidden, system, archive are not
/// kept yet): always none.
pub fn file_flags(_path: &Path, _md: &Metadata) -> io::Result<u32> {
    Ok(0)
}

/// File flags cannot be set on Windows: `Unsupported` (noted in the restore's not-applied list).
pub fn set_file_flags(_path: &Path, _flags: u32) -> io::Result<()> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "file flags are not supported on Windows"))
}
