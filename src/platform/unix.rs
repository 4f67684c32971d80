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

/// glibc's malloc, tuned for a process that moves megabyte buffers between threads. Arenas:
/// glibc gives every thread that allocates its own (up to 8 per core), and memory freed in one
/// is not reused by another — a 10 GiB backup (reader, encoder and tokio threads passing chunks
/// around) peaked at 583 MiB RSS with the default and 426 MiB with two. The mmap threshold:
/// glibc raises it to the largest block freed (up to 32 MiB), after which the 1–16 MiB chunk and
/// pack buffers come from the arenas, where freed ones stay mapped and fragment — the backend's
/// peak RSS grew with the size of the backup (240 MiB at 10 GiB); fixed at 4 MiB, packs and large
/// chunks get their own mappings, returned when freed (183 MiB, the mirror sync and prune after
/// it 138 and 160 instead of 146 and 230). Call first thing in `main`, before other threads
/// start. A no-op off glibc (macOS, musl).
pub fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// See `tune_malloc`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 4 << 20;

/// CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`) — for the debug log of
/// work that runs beside other work, where its wall time says little.
pub fn thread_cpu_time() -> Option<std::time::Duration> {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (rc == 0).then(|| std::time::Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
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

/// Whether a process with this id exists (signal 0: no signal is sent). A process of another
/// user counts (`EPERM`).
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return false };
    pid > 0 && (unsafe { libc::kill(pid, 0) } == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
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

// ---- File fidelity: ownership, xattrs and ACLs, special files, sparse extents ----

/// The special kind of `md` (lstat), if it is neither a file, a directory nor a symlink.
pub fn special_kind(md: &Metadata) -> Option<super::SpecialKind> {
    use super::SpecialKind;
    use std::os::unix::fs::FileTypeExt;
    let t = md.file_type();
    if t.is_fifo() {
        Some(SpecialKind::Fifo)
    } else if t.is_socket() {
        Some(SpecialKind::Socket)
    } else if t.is_char_device() {
        Some(SpecialKind::CharDevice)
    } else if t.is_block_device() {
        Some(SpecialKind::BlockDevice)
    } else {
        None
    }
}

/// Owner, device number, link count, device and inode, allocated bytes and atime of `md`.
#[inline]
pub fn unix_meta(md: &Metadata) -> super::UnixMeta {
    super::UnixMeta {
        uid: md.uid(),
        gid: md.gid(),
        rdev: md.rdev(),
        nlink: md.nlink(),
        dev: md.dev(),
        ino: md.ino(),
        allocated: md.blocks().saturating_mul(512),
        atime: md.atime(),
        atime_nsec: md.atime_nsec().clamp(0, 999_999_999) as u32,
    }
}

/// The user name of `uid` on this host, if it has one.
pub fn user_name(uid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: `passwd` is plain data; all-zero is valid and the call overwrites it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf.len()` is the buffer's length.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success `pw_name` points to a NUL-terminated string inside `buf`.
    Some(unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) }.to_string_lossy().into_owned())
}

/// The group name of `gid` on this host, if it has one.
pub fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: `group` is plain data; all-zero is valid and the call overwrites it.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf.len()` is the buffer's length.
    let rc = unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() || grp.gr_name.is_null() {
        return None;
    }
    // SAFETY: on success `gr_name` points to a NUL-terminated string inside `buf`.
    Some(unsafe { std::ffi::CStr::from_ptr(grp.gr_name) }.to_string_lossy().into_owned())
}

/// The uid of the user `name` on this host.
pub fn uid_of(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: as in `user_name`.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated; the other pointers are valid for the call.
    let rc = unsafe { libc::getpwnam_r(c.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out) };
    (rc == 0 && !out.is_null()).then_some(pwd.pw_uid)
}

/// The gid of the group `name` on this host.
pub fn gid_of(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: as in `group_name`.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: `c` is NUL-terminated; the other pointers are valid for the call.
    let rc = unsafe { libc::getgrnam_r(c.as_ptr(), &mut grp, buf.as_mut_ptr(), buf.len(), &mut out) };
    (rc == 0 && !out.is_null()).then_some(grp.gr_gid)
}

/// Whether this process may set any owner and create device nodes (effective uid 0).
pub fn privileged() -> bool {
    // SAFETY: `geteuid` takes no arguments and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The effective uid and gid of this process (the owner new files get).
pub fn process_owner() -> Option<(u32, u32)> {
    // SAFETY: `geteuid` and `getegid` take no arguments and cannot fail.
    Some(unsafe { (libc::geteuid(), libc::getegid()) })
}

/// Sets the owner of `path` without following a symlink.
pub fn lchown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
}

/// Every extended attribute of `path` (not following a symlink), sorted by name; POSIX ACLs
/// are `system.posix_acl_access` / `system.posix_acl_default`. A filesystem without xattr
/// support gives an empty list.
pub fn xattrs(path: &Path) -> io::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let names = match xattr::list(path) {
        Ok(n) => n,
        Err(e) if xattr_unsupported(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for name in names {
        match xattr::get(path, &name) {
            Ok(Some(v)) => out.push((name.as_bytes().to_vec(), v)),
            Ok(None) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort();
    Ok(out)
}

/// Sets one extended attribute on `path` (not following a symlink).
pub fn set_xattr(path: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    xattr::set(path, OsStr::from_bytes(name), value)
}

fn xattr_unsupported(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOTSUP) || e.kind() == io::ErrorKind::Unsupported
}

/// Creates a FIFO, or a character/block device node (needs privilege), at `path`; a socket is
/// `Unsupported` (the program that listens on it recreates it).
pub fn make_special(path: &Path, kind: super::SpecialKind, mode: u32, rdev: u64) -> io::Result<()> {
    use super::SpecialKind;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
    let perm = (mode & 0o7777) as libc::mode_t;
    // SAFETY: `c` is a NUL-terminated path that lives for the call.
    let rc = match kind {
        SpecialKind::Fifo => unsafe { libc::mkfifo(c.as_ptr(), perm) },
        SpecialKind::CharDevice => unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | perm, rdev as libc::dev_t) },
        SpecialKind::BlockDevice => unsafe { libc::mknod(c.as_ptr(), libc::S_IFBLK | perm, rdev as libc::dev_t) },
        SpecialKind::Socket => return Err(io::Error::new(io::ErrorKind::Unsupported, "a socket is recreated by the program that listens on it, not by a restore")),
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The data ranges `(offset, length)` of an open file of length `len`, from `SEEK_DATA` /
/// `SEEK_HOLE`; a filesystem without them reports the whole file as data.
pub fn data_extents(file: &File, len: u64) -> io::Result<Vec<(u64, u64)>> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let mut out = Vec::new();
    let mut pos: u64 = 0;
    while pos < len {
        // SAFETY: `lseek` on a descriptor owned by `file` for the duration of the call.
        let data = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_DATA) };
        if data < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::ENXIO) => Ok(out), // no data after pos: the rest is a hole
                Some(libc::EINVAL) | Some(libc::ENOTSUP) if out.is_empty() && pos == 0 => Ok(vec![(0, len)]),
                _ => Err(e),
            };
        }
        let data = data as u64;
        if data >= len {
            break;
        }
        // SAFETY: as above.
        let hole = unsafe { libc::lseek(fd, data as libc::off_t, libc::SEEK_HOLE) };
        let hole = if hole < 0 { len } else { (hole as u64).min(len) };
        out.push((data, hole - data));
        pos = hole;
    }
    Ok(out)
}

/// Creates `link` as a hard link to `original`.
pub fn hard_link(original: &Path, link: &Path) -> io::Result<()> {
    std::fs::hard_link(original, link)
}

/// The file flags of `path` (lstat `md`) that a snapshot records (`super::flags::RECORDED`, as
/// Linux `FS_*_FL` bits): on Linux from `FS_IOC_GETFLAGS` on regular files and directories (a
/// filesystem without flags gives none); on macOS the `st_flags` `UF_NODUMP`, `UF_IMMUTABLE`,
/// `UF_APPEND` mapped to those bits; none elsewhere.
pub fn file_flags(path: &Path, md: &Metadata) -> io::Result<u32> {
    #[cfg(target_os = "linux")]
    {
        if !(md.is_file() || md.is_dir()) {
            return Ok(0);
        }
        let f = open_for_flags(path)?;
        match get_flags(&f) {
            Ok(v) => Ok(v & super::flags::RECORDED),
            Err(e) if flags_unsupported(&e) => Ok(0),
            Err(e) => Err(e),
        }
    }
    #[cfg(target_os = "macos")]
    {
        let _ = path;
        use std::os::macos::fs::MetadataExt as _;
        Ok(mac_flags::to_recorded(md.st_flags()))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        let _ = (path, md);
        Ok(0)
    }
}

/// Sets the recorded file flags (`super::flags::RECORDED` bits) of `path` to `flags`, keeping
/// its other flags. `FS_IMMUTABLE_FL` and `FS_APPEND_FL` need `CAP_LINUX_IMMUTABLE` (root).
/// Call it last: an immutable or append-only file refuses every later change.
pub fn set_file_flags(path: &Path, flags: u32) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let f = open_for_flags(path)?;
        let current = match get_flags(&f) {
            Ok(v) => v,
            Err(e) if flags_unsupported(&e) && flags == 0 => return Ok(()),
            Err(e) => return Err(e),
        };
        let want = (current & !super::flags::RECORDED) | (flags & super::flags::RECORDED);
        if want == current {
            return Ok(());
        }
        use std::os::fd::AsRawFd;
        let v = want as libc::c_int;
        // SAFETY: FS_IOC_SETFLAGS reads one int from a pointer valid for the call, on a
        // descriptor owned by `f`.
        if unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_SETFLAGS, &v as *const libc::c_int) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(target_os = "macos")]
    {
        use std::os::macos::fs::MetadataExt as _;
        let current = std::fs::symlink_metadata(path)?.st_flags();
        let want = (current & !mac_flags::MASK) | mac_flags::from_recorded(flags);
        if want == current {
            return Ok(());
        }
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL byte"))?;
        // SAFETY: `c` is a NUL-terminated path that lives for the call.
        if unsafe { libc::lchflags(c.as_ptr(), want as _) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        let _ = path;
        if flags == 0 {
            Ok(())
        } else {
            Err(io::Error::new(io::ErrorKind::Unsupported, "file flags are not supported on this system"))
        }
    }
}

/// Opens a regular file or directory for the flags ioctls: read-only, not following a
/// symlink, not blocking.
#[cfg(target_os = "linux")]
fn open_for_flags(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY).open(path)
}

#[cfg(target_os = "linux")]
fn get_flags(f: &File) -> io::Result<u32> {
    use std::os::fd::AsRawFd;
    let mut v: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int through a pointer valid for the call, on a
    // descriptor owned by `f`.
    if unsafe { libc::ioctl(f.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut v as *mut libc::c_int) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(v as u32)
}

/// A filesystem without inode flags (ENOTTY, EOPNOTSUPP, EINVAL).
#[cfg(target_os = "linux")]
fn flags_unsupported(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOTTY) | Some(libc::EOPNOTSUPP) | Some(libc::EINVAL))
}

/// macOS `chflags` user flags and the recorded (Linux) bits they stand for.
#[cfg(target_os = "macos")]
mod mac_flags {
    use super::super::flags;

    const PAIRS: [(u32, u32); 3] = [(libc::UF_NODUMP as u32, flags::NODUMP), (libc::UF_IMMUTABLE as u32, flags::IMMUTABLE), (libc::UF_APPEND as u32, flags::APPEND)];
    pub const MASK: u32 = libc::UF_NODUMP as u32 | libc::UF_IMMUTABLE as u32 | libc::UF_APPEND as u32;

    pub fn to_recorded(st_flags: u32) -> u32 {
        PAIRS.iter().filter(|(m, _)| st_flags & m != 0).fold(0, |acc, (_, r)| acc | r)
    }

    pub fn from_recorded(recorded: u32) -> u32 {
        PAIRS.iter().filter(|(_, r)| recorded & r != 0).fold(0, |acc, (m, _)| acc | m)
    }
}

#[cfg(test)]
mod fidelity_tests {
    use super::super::SpecialKind;
    use super::*;
    use std::io::{Seek, SeekFrom, Write};

    #[test]
    fn sparse_extents() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sparse");
        let mut f = File::create(&p).unwrap();
        f.seek(SeekFrom::Start(50 << 20)).unwrap();
        f.write_all(b"abc").unwrap();
        f.set_len(100 << 20).unwrap();
        drop(f);
        let f = File::open(&p).unwrap();
        let ext = data_extents(&f, 100 << 20).unwrap();
        assert_eq!(ext.len(), 1, "{ext:?}");
        assert!(ext[0].0 <= 50 << 20 && ext[0].0 + ext[0].1 >= (50 << 20) + 3, "{ext:?}");
        assert!(ext[0].1 < 1 << 20);
        let m = std::fs::metadata(&p).unwrap();
        assert!(unix_meta(&m).allocated < 1 << 20);
    }

    #[test]
    fn xattr_roundtrip_and_names() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        set_xattr(&p, b"user.mv", b"value123").unwrap();
        assert_eq!(xattrs(&p).unwrap(), vec![(b"user.mv".to_vec(), b"value123".to_vec())]);
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(uid_of("root"), Some(0));
        assert!(group_name(0).is_some());
    }

    #[test]
    fn fifo_and_device() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("fifo");
        make_special(&p, SpecialKind::Fifo, 0o640, 0).unwrap();
        let m = std::fs::symlink_metadata(&p).unwrap();
        assert_eq!(special_kind(&m), Some(SpecialKind::Fifo));
        if privileged() {
            let n = d.path().join("null");
            make_special(&n, SpecialKind::CharDevice, 0o666, libc::makedev(1, 3)).unwrap();
            let m = std::fs::symlink_metadata(&n).unwrap();
            assert_eq!(special_kind(&m), Some(SpecialKind::CharDevice));
            assert_eq!(unix_meta(&m).rdev, libc::makedev(1, 3));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn file_flags_roundtrip_on_ext4_like_filesystems() {
        use super::super::flags;
        let d = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let md = std::fs::symlink_metadata(&p).unwrap();
        assert_eq!(file_flags(&p, &md).unwrap(), 0, "a new file has no recorded flags (the extent flag is not one)");
        match set_file_flags(&p, flags::NODUMP | flags::NOATIME) {
            Ok(()) => assert_eq!(file_flags(&p, &md).unwrap(), flags::NODUMP | flags::NOATIME),
            Err(e) => assert!(flags_unsupported(&e), "{e}"),
        }
        set_file_flags(&p, 0).unwrap();
        assert_eq!(file_flags(&p, &md).unwrap(), 0);
        let fifo = d.path().join("fifo");
        make_special(&fifo, SpecialKind::Fifo, 0o600, 0).unwrap();
        assert_eq!(file_flags(&fifo, &std::fs::symlink_metadata(&fifo).unwrap()).unwrap(), 0, "FIFOs are not opened");
    }
}
