//! Unix (Linux and macOS). Calls only Linux has are gated by `target_os` and are no-ops on
//! macOS; see the table in `platform`.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::Child;

use super::FileStat;

/// Reads exactly `buf.len()` bytes at `offset` (`pread`); `UnexpectedEof` if the file is shorter.
#[inline]
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    file.read_exact_at(buf, offset)
}

/// Writes all of `buf` at `offset` (`pwrite`); safe to call from several threads on one file.
#[inline]
pub fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(buf, offset)
}

/// Asks the kernel to start reading the first `len` bytes of a file (0 = all of it) into the
/// page cache (`posix_fadvise(WILLNEED)`). Best effort: errors are ignored. A no-op on macOS.
#[inline]
pub fn will_need(path: &Path, len: u64) {
    #[cfg(target_os = "linux")]
    if let Ok(f) = File::open(path) {
        use std::os::fd::AsRawFd;
        // SAFETY: a plain syscall on a file descriptor owned for its duration.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, len as libc::off_t, libc::POSIX_FADV_WILLNEED) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (path, len);
}

/// What the tree stores of a file's metadata.
#[inline]
pub fn file_stat(md: &Metadata) -> FileStat {
    FileStat { mode: md.mode(), mtime: md.mtime(), mtime_nsec: u32::try_from(md.mtime_nsec()).unwrap_or(0), inode: md.ino() }
}

/// Applies the permission bits (`mode & 0o7777`) of a stored mode to a path.
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    std::fs::set_permissions(path, Permissions::from_mode(mode & 0o7777))
}

/// Applies the permission bits (`mode & 0o7777`) of a stored mode to an open file.
pub fn set_file_mode(file: &File, mode: u32) -> io::Result<()> {
    file.set_permissions(Permissions::from_mode(mode & 0o7777))
}

/// Creates (or truncates) a file for writing, readable by its owner only (0600).
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)
}

/// Makes a directory accessible by its owner only (0700).
pub fn restrict_dir(dir: &Path) -> io::Result<()> {
    std::fs::set_permissions(dir, Permissions::from_mode(0o700))
}

/// Creates a symbolic link at `link` pointing to `target`.
pub fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// The bytes a name is stored as: the raw OS bytes (need not be UTF-8).
#[inline]
pub fn name_bytes(name: &OsStr) -> Cow<'_, [u8]> {
    Cow::Borrowed(name.as_bytes())
}

/// The name stored as `bytes` (the inverse of `name_bytes`; any bytes are a unix name).
#[inline]
pub fn name_from_bytes(bytes: Vec<u8>) -> OsString {
    OsString::from_vec(bytes)
}

/// glibc gives every thread that allocates its own arena (up to 8 per core), and memory freed
/// in one is not reused by another: a 10 GiB backup (reader, encoder and tokio threads passing
/// chunks around) peaked at 583 MiB RSS with the default and 426 MiB with two arenas. Call
/// first thing in `main`, before other threads start. A no-op off glibc (macOS, musl).
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator tunable; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Flushes every file system's dirty pages (`sync()`).
pub fn sync_filesystems() {
    // SAFETY: `sync` takes no arguments and cannot fail.
    unsafe { libc::sync() };
}

/// Free bytes (for unprivileged users) on the file system holding `path` (`statvfs`).
pub fn free_disk(path: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `statvfs` is plain data; all-zero is a valid value that the call overwrites.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a NUL-terminated path and `st` a valid out-pointer, both live for the call.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)] // the field types differ between Linux and macOS
    Some(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Asks a child process to stop (SIGTERM); it may take its time to shut down gracefully.
pub fn terminate(child: &mut Child) -> io::Result<()> {
    let pid = libc::pid_t::try_from(child.id()).map_err(io::Error::other)?;
    // SAFETY: `kill` only sends a signal; `pid` is our own child's.
    if unsafe { libc::kill(pid, libc::SIGTERM) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Resolves when the process is asked to stop: Ctrl-C or SIGTERM.
pub async fn shutdown_requested() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
