//! Every platform-specific call in the crate, behind one portable interface (restic's
//! `*_unix.go` / `*_windows.go` split): `unix.rs` (Linux and macOS; Linux-only calls gated by
//! `target_os`), `windows.rs`, and the portable `write_private` here. Nothing outside this module
//! names `std::os::unix`, `std::os::windows`, `libc` or `tokio::signal::unix`. Supported targets
//! are unix and Windows; any other target stops the build with a message.
//!
//! | Call | Linux | macOS | Windows |
//! |---|---|---|---|
//! | `read_exact_at` / `write_all_at` (positioned I/O: pack reads, restore writes) | `pread`/`pwrite` (`FileExt`) | same | `seek_read`/`seek_write` in a loop (moves the handle's cursor, which no caller uses) |
//! | `will_need` (read-ahead hint: backup's next files, packs to restore or copy) | `posix_fadvise(WILLNEED)` | no-op (no `posix_fadvise`) | no-op |
//! | `file_stat` (mode, mtime, inode stored in the tree) | `MetadataExt` | same | mode made up from the file type and the read-only flag (`0o100644`/`0o100444`, `0o040755`, `0o120777`); mtime from `modified()`; inode 0, so "unchanged since the parent snapshot" rests on size and mtime |
//! | `set_mode` / `set_file_mode` (restore) | `chmod`/`fchmod` of the mode's permission bits | same | no-op: no mode bits; restored entries keep the permissions inherited from the target directory (the mode stays in the snapshot) |
//! | `create_private` (0600 file: keys, credentials, console config) | `open(.., 0o600)` | same | plain create: no mode bits; the file inherits its directory's ACL (under the user profile: owner, SYSTEM, Administrators) — a stated limitation |
//! | `restrict_dir` (0700 KMS key directory) | `chmod 0700` | same | no-op, as above |
//! | `symlink` (restore) | `symlink` | same | `symlink_dir` when the target resolves to a directory, else `symlink_file`; needs Developer Mode or the symlink privilege, otherwise that entry fails and restore reports it |
//! | `name_bytes` / `name_from_bytes` (path bytes stored in the tree) | raw bytes (`OsStrExt`), non-UTF-8 names kept | same | UTF-8 for every valid Unicode name (identical to unix), WTF-8 for names with unpaired surrogates (lossless for any UTF-16 name, via `encode_wide`/`from_wide`); bytes no Windows name can hold (non-UTF-8 names from unix) are decoded with U+FFFD |
//! | `tune_malloc` | `mallopt(M_ARENA_MAX, 2)`, `mallopt(M_MMAP_THRESHOLD, 4 MiB)` (glibc only) | no-op | no-op |
//! | `sync_filesystems` (bench, before timed runs) | `sync()` | same | no-op |
//! | `free_disk` (bench) | `statvfs` | same | `None` (not reported) |
//! | `terminate` (bench's child server) | `kill(SIGTERM)` | same | `Child::kill` (TerminateProcess: no graceful shutdown) |
//! | `shutdown_requested` (`serve`) | Ctrl-C or SIGTERM | same | Ctrl-C |
//! | `process_alive` (location writer lock: is the holder on this host still running) | `kill(pid, 0)` | same | always false: a lock of the same data dir is taken over as after a crash |
//! | `special_kind` / `unix_meta` (FIFOs, sockets, devices; uid, gid, rdev, links, allocated bytes, atime) | `FileTypeExt` / `MetadataExt` | same | `None` / all zero but the atime (`accessed()`): no special files, no owner ids; hard links are not detected (inode 0) |
//! | `user_name` / `group_name` / `uid_of` / `gid_of` (owner names, for restoring on another host) | `getpwuid_r`, `getgrgid_r`, `getpwnam_r`, `getgrnam_r` | same | `None` |
//! | `privileged` / `process_owner` (may set any owner, create devices; the owner new files get) | effective uid 0 / `geteuid`, `getegid` | same | `false` / `None` |
//! | `lchown` (restore owner, not following symlinks) | `lchown` | same | `Unsupported` (noted in the restore's not-applied list); the security descriptor is not recorded yet |
//! | `xattrs` / `set_xattr` (every namespace readable: `user.*`, `security.*`, `trusted.*` as root, POSIX ACLs as `system.posix_acl_access` / `_default`) | `llistxattr`/`lgetxattr`/`lsetxattr` (`xattr` crate) | same (no `system.posix_acl_*`: macOS ACLs are not xattrs and are not recorded) | nothing recorded / `Unsupported`; alternate data streams are not recorded yet |
//! | `make_special` (restore FIFOs and device nodes; a socket is never recreated) | `mkfifo` / `mknod` (devices need privilege) | same | `Unsupported` |
//! | `data_extents` (sparse files: backup reads only the data ranges) | `lseek(SEEK_DATA/SEEK_HOLE)`; a filesystem without them: the whole file is data | same (APFS has them) | the whole file is data |
//! | `hard_link` (restore files that shared an inode) | `link` | same | `std::fs::hard_link` (NTFS) |
//! | `file_flags` / `set_file_flags` (the `flags` bits: `S i a d A D T`, restored last) | `FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS` on regular files and directories (`i`, `a` need `CAP_LINUX_IMMUTABLE`); a filesystem without flags: none | `st_flags` / `lchflags`, `UF_NODUMP`, `UF_IMMUTABLE`, `UF_APPEND` only | none recorded / `Unsupported` (file attributes are not kept) |
//!
//!
//! `copy_file_range` is not used (the local mirror copy reads pieces with plain `read`). The
//! bench's `/proc` readings (`proc_rss`, `machine`, dropping caches) are plain file reads that
//! find nothing off Linux.

use std::io::Write;
use std::path::Path;

#[cfg(not(any(unix, windows)))]
compile_error!("mirrorvault builds for unix (Linux, macOS) and Windows only: src/platform/ has no implementation for this target");

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::*;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::*;

#[cfg(any(windows, test))]
mod wtf8;

/// What the snapshot tree keeps of a file's metadata (see `file_stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    /// Unix `st_mode` (file type and permission bits).
    pub mode: u32,
    /// Modification time: seconds since the Unix epoch, and nanoseconds.
    pub mtime: i64,
    pub mtime_nsec: u32,
    pub inode: u64,
}

/// What kind of object a directory entry is when it is neither a file, a directory nor a
/// symlink (`special_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialKind {
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
}

/// Unix metadata of an entry beyond `FileStat` (`unix_meta`); all zero where there is none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnixMeta {
    pub uid: u32,
    pub gid: u32,
    /// Device number of a device node.
    pub rdev: u64,
    pub nlink: u64,
    pub dev: u64,
    pub ino: u64,
    /// Bytes allocated on disk (`st_blocks` × 512).
    pub allocated: u64,
    pub atime: i64,
    pub atime_nsec: u32,
}

/// The file flags a snapshot records (`file_flags` / `set_file_flags`), as the Linux `FS_*_FL`
/// bits (`chattr` letter in brackets); macOS maps `UF_NODUMP`, `UF_IMMUTABLE`, `UF_APPEND` to
/// them. Other flags (compression, no-COW, encryption, casefold, the ext4 extent flag, …) are
/// not recorded.
pub mod flags {
    /// Synchronous updates (`S`).
    pub const SYNC: u32 = 0x0000_0008;
    /// Immutable (`i`); setting it needs `CAP_LINUX_IMMUTABLE`.
    pub const IMMUTABLE: u32 = 0x0000_0010;
    /// Append only (`a`); setting it needs `CAP_LINUX_IMMUTABLE`.
    pub const APPEND: u32 = 0x0000_0020;
    /// Not to be dumped (`d`).
    pub const NODUMP: u32 = 0x0000_0040;
    /// No atime updates (`A`).
    pub const NOATIME: u32 = 0x0000_0080;
    /// Synchronous directory updates (`D`).
    pub const DIRSYNC: u32 = 0x0001_0000;
    /// Top of a directory hierarchy, for the block allocator (`T`).
    pub const TOPDIR: u32 = 0x0002_0000;
    /// Every bit above.
    pub const RECORDED: u32 = SYNC | IMMUTABLE | APPEND | NODUMP | NOATIME | DIRSYNC | TOPDIR;
}

/// This host's name: `$HOSTNAME` (`%COMPUTERNAME%`), else /etc/hostname, else "unknown".
pub fn host_name() -> String {
    ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|h| !h.trim().is_empty()))
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_string()).filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

/// This process's resident memory and its peak so far, in MiB (`/proc/self/status`: Linux;
/// None elsewhere) — for the debug log of long jobs.
pub fn memory_mib() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> { text.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb / 1024) };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Writes a file readable by its owner only (0600 where there are mode bits, see
/// `create_private`), atomically: a `.tmp` sibling, synced, then renamed over `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = create_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn names_round_trip_and_keep_their_bytes() {
        for name in ["plain.txt", "ünïcødé €", ""] {
            let bytes = name_bytes(OsStr::new(name)).into_owned();
            assert_eq!(bytes, name.as_bytes(), "Unicode names are stored as UTF-8");
            assert_eq!(name_from_bytes(bytes), OsStr::new(name));
        }
        #[cfg(unix)]
        {
            let raw = vec![b'a', 0xff, 0xfe, b'b'];
            let back = name_from_bytes(raw.clone());
            assert_eq!(name_bytes(&back).as_ref(), raw.as_slice(), "non-UTF-8 unix names are kept");
        }
    }

    #[test]
    fn positioned_io_and_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let f = create_private(&path).unwrap();
        write_all_at(&f, b"world", 6).unwrap();
        write_all_at(&f, b"hello ", 0).unwrap();
        drop(f);
        let f = std::fs::File::open(&path).unwrap();
        let mut buf = [0u8; 5];
        read_exact_at(&f, &mut buf, 6).unwrap();
        assert_eq!(&buf, b"world");
        let err = read_exact_at(&f, &mut buf, 9).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
        will_need(&path, 0);

        let secret = dir.path().join("secret.toml");
        write_private(&secret, b"k = 1\n").unwrap();
        assert_eq!(std::fs::read(&secret).unwrap(), b"k = 1\n");
        let st = file_stat(&std::fs::metadata(&secret).unwrap());
        #[cfg(unix)]
        assert_eq!(st.mode & 0o777, 0o600);
        assert!(st.mtime > 1_600_000_000);
        assert!(!dir.path().join("secret.tmp").exists());
    }
}
