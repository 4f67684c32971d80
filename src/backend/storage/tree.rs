//! The file tree of a snapshot: a flat list of entries (JSON), chunked and stored as blobs.
//! Paths and symlink targets are raw OS bytes, base64-encoded (names need not be UTF-8).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::StorageError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
}

/// One file system object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct TreeEntry {
    /// base64 of the absolute path's bytes.
    pub path: String,
    pub kind: Kind,
    pub mode: u32,
    pub mtime: i64,
    pub mtime_nsec: u32,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub inode: u64,
    /// base64 of the symlink target's bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Chunk ids (hex) of the content, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chunks: Vec<String>,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

pub(crate) fn encode_path(p: &Path) -> String {
    b64().encode(p.as_os_str().as_bytes())
}

pub(crate) fn decode_path(s: &str) -> Result<PathBuf, StorageError> {
    let bytes = b64().decode(s).map_err(|_| StorageError::corrupt("tree", "bad base64 path"))?;
    Ok(PathBuf::from(OsStr::from_bytes(&bytes)))
}

impl TreeEntry {
    pub(crate) fn path_buf(&self) -> Result<PathBuf, StorageError> {
        decode_path(&self.path)
    }

    pub(crate) fn target_path(&self) -> Result<Option<PathBuf>, StorageError> {
        self.target.as_deref().map(decode_path).transpose()
    }

    /// Lossy display form for reports.
    pub(crate) fn display(&self) -> String {
        self.path_buf().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| self.path.clone())
    }
}

pub(crate) fn serialize(entries: &[TreeEntry]) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(entries).map_err(|e| StorageError::Internal(e.to_string()))
}

pub(crate) fn deserialize(data: &[u8]) -> Result<Vec<TreeEntry>, StorageError> {
    serde_json::from_slice(data).map_err(|e| StorageError::corrupt("tree", format!("bad tree: {e}")))
}

/// `target` + absolute `original` without its root; refuses `..` and relative originals.
pub(crate) fn reroot(target: &Path, original: &Path) -> Result<PathBuf, StorageError> {
    let mut out = target.to_path_buf();
    for c in original.components() {
        match c {
            Component::RootDir => {}
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            _ => return Err(StorageError::InvalidPath(original.to_string_lossy().into_owned())),
        }
    }
    Ok(out)
}
