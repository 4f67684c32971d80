//! What a restore applies besides file contents (used by `restore.rs` only): owner, extended
//! attributes (POSIX ACLs among them), mode and times of an entry; special files; the writes of
//! a sparse file's data ranges. What cannot be applied is noted ("path: reason") for the
//! restore's `metadata_not_applied` list; it never fails the entry.
//!
//! Order per entry: owner first (changing it clears set-uid bits), then xattrs (an ACL sets
//! the group bits, which the mode then sets to the same mask), then the mode, then the times —
//! for directories after their contents; file flags at the very end of the restore (`i` and `a`
//! would refuse the rest). ctime cannot be set by any call and is not restored.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use filetime::FileTime;

use super::error::StorageError;
use super::tree::{Kind, TreeEntry};
use crate::platform;

/// The metadata of one entry, owned (it travels to blocking tasks).
#[derive(Clone, Debug)]
pub(crate) struct EntryMeta {
    pub name: String,
    pub mode: u32,
    pub mtime: (i64, u32),
    pub atime: Option<(i64, u32)>,
    uid: Option<u32>,
    gid: Option<u32>,
    user: Option<String>,
    group: Option<String>,
    xattrs: Vec<(String, String)>,
    flags: u32,
}

impl EntryMeta {
    pub(crate) fn of(e: &TreeEntry) -> EntryMeta {
        EntryMeta {
            name: e.display(),
            mode: e.mode,
            mtime: (e.mtime, e.mtime_nsec),
            atime: e.atime,
            uid: e.uid,
            gid: e.gid,
            user: e.user.clone(),
            group: e.group.clone(),
            xattrs: e.xattrs.clone(),
            flags: e.flags,
        }
    }
}

/// Shared by every entry of one restore: privilege, owner name look-ups, the notes.
pub(crate) struct MetaCtx {
    privileged: bool,
    me: Option<(u32, u32)>,
    users: Mutex<HashMap<String, Option<u32>>>,
    groups: Mutex<HashMap<String, Option<u32>>>,
    notes: Mutex<Vec<String>>,
    /// File flags to set at the very end: (name, path, flags).
    flags: Mutex<Vec<(String, PathBuf, u32)>>,
}

impl MetaCtx {
    pub(crate) fn new() -> MetaCtx {
        MetaCtx { privileged: platform::privileged(), me: platform::process_owner(), users: Mutex::default(), groups: Mutex::default(), notes: Mutex::default(), flags: Mutex::default() }
    }

    pub(crate) fn note(&self, name: &str, what: impl std::fmt::Display) {
        self.notes.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{name}: {what}"));
    }

    pub(crate) fn take_notes(&self) -> Vec<String> {
        let mut v = std::mem::take(&mut *self.notes.lock().unwrap_or_else(|p| p.into_inner()));
        v.sort();
        v
    }

    /// The owner to set: by name when the name exists on this host, else the recorded id.
    fn resolve(&self, m: &EntryMeta) -> Option<(u32, u32)> {
        let (uid, gid) = (m.uid?, m.gid?);
        let by_name = |cache: &Mutex<HashMap<String, Option<u32>>>, name: &Option<String>, look: fn(&str) -> Option<u32>| {
            let name = name.as_ref()?;
            *cache.lock().unwrap_or_else(|p| p.into_inner()).entry(name.clone()).or_insert_with(|| look(name))
        };
        Some((by_name(&self.users, &m.user, platform::uid_of).unwrap_or(uid), by_name(&self.groups, &m.group, platform::gid_of).unwrap_or(gid)))
    }

    /// Owner (when privileged) and xattrs of `path`; what fails is noted.
    pub(crate) fn owner_and_xattrs(&self, m: &EntryMeta, path: &Path) {
        if let Some((uid, gid)) = self.resolve(m) {
            if self.privileged {
                if let Err(e) = platform::lchown(path, uid, gid) {
                    self.note(&m.name, format_args!("owner {uid}:{gid} not applied: {e}"));
                }
            } else if self.me != Some((uid, gid)) {
                self.note(&m.name, format_args!("owner {uid}:{gid} not applied: the restore is not privileged"));
            }
        }
        for (n, v) in &m.xattrs {
            let (name, value) = match (decode(n), decode(v)) {
                (Some(n), Some(v)) => (n, v),
                _ => {
                    self.note(&m.name, "an extended attribute is damaged in the snapshot");
                    continue;
                }
            };
            if let Err(e) = platform::set_xattr(path, &name, &value) {
                self.note(&m.name, format_args!("extended attribute {} not applied: {e}", String::from_utf8_lossy(&name)));
            }
        }
    }

    /// Owner, xattrs and mode of a path (directories, special files).
    pub(crate) fn apply_path(&self, m: &EntryMeta, path: &Path) {
        self.owner_and_xattrs(m, path);
        if let Err(e) = platform::set_mode(path, m.mode) {
            self.note(&m.name, format_args!("mode {:o} not applied: {e}", m.mode & 0o7777));
        }
    }

    /// mtime (and atime when recorded) of `path`, not following a symlink.
    pub(crate) fn set_times(&self, m: &EntryMeta, path: &Path) {
        let mtime = FileTime::from_unix_time(m.mtime.0, m.mtime.1);
        let res = match m.atime {
            Some((s, ns)) => filetime::set_symlink_file_times(path, FileTime::from_unix_time(s, ns), mtime),
            None => filetime::set_file_mtime(path, mtime),
        };
        if let Err(e) = res {
            self.note(&m.name, format_args!("times not applied: {e}"));
        }
    }

    /// Remembers `m`'s file flags (if any) for `apply_flags`: they are set after everything
    /// else, since an immutable or append-only entry refuses later changes (times, hard links).
    pub(crate) fn defer_flags(&self, m: &EntryMeta, path: &Path) {
        if m.flags != 0 {
            self.flags.lock().unwrap_or_else(|p| p.into_inner()).push((m.name.clone(), path.to_path_buf(), m.flags));
        }
    }

    /// Sets every deferred file flag; what cannot be set (`i`/`a` without
    /// `CAP_LINUX_IMMUTABLE`, a filesystem without flags) is noted.
    pub(crate) fn apply_flags(&self) {
        let todo = std::mem::take(&mut *self.flags.lock().unwrap_or_else(|p| p.into_inner()));
        for (name, path, flags) in todo {
            if let Err(e) = platform::set_file_flags(&path, flags) {
                self.note(&name, format_args!("file flags {flags:#x} not applied: {e}"));
            }
        }
    }

    /// Recreates a FIFO or device node at `dest`; a socket, or a device without privilege, is
    /// noted and skipped (`Ok(false)`).
    pub(crate) fn restore_special(&self, e: &TreeEntry, dest: &Path, overwrite: bool) -> Result<bool, StorageError> {
        let Some(kind) = e.kind.special() else { return Err(StorageError::Internal("not a special file".into())) };
        let m = EntryMeta::of(e);
        if e.kind == Kind::Socket {
            self.note(&m.name, "socket not recreated (the program that listens on it makes it)");
            return Ok(false);
        }
        if matches!(e.kind, Kind::Chardev | Kind::Blockdev) && !self.privileged {
            self.note(&m.name, "device node not created: the restore is not privileged");
            return Ok(false);
        }
        if overwrite && std::fs::symlink_metadata(dest).is_ok() {
            std::fs::remove_file(dest)?;
        }
        platform::make_special(dest, kind, e.mode, e.rdev)?;
        self.apply_path(&m, dest);
        self.set_times(&m, dest);
        Ok(true)
    }
}

fn decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Writes `data`, the chunk bytes at offset `off` of the file's stored data, into `file`:
/// at `off` itself, or for a sparse file into its data ranges. All-zero pieces are not
/// written (the file was sized with `set_len`, so they read as zeros and stay holes).
pub(crate) fn write_data(file: &File, data: &[u8], off: u64, extents: Option<&[(u64, u64)]>) -> std::io::Result<()> {
    let Some(extents) = extents else {
        if data.iter().any(|&b| b != 0) {
            platform::write_all_at(file, data, off)?;
        }
        return Ok(());
    };
    let end = off + data.len() as u64;
    let mut start = 0u64; // where the current range starts in the stored data
    for &(file_off, len) in extents {
        if start >= end {
            break;
        }
        let stop = start + len;
        if stop > off {
            let (a, b) = (off.max(start), end.min(stop));
            let piece = &data[(a - off) as usize..(b - off) as usize];
            if piece.iter().any(|&x| x != 0) {
                platform::write_all_at(file, piece, file_off + (a - start))?;
            }
        }
        start = stop;
    }
    Ok(())
}
