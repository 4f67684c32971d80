//! `BrowseFiles`: one directory of a snapshot's file tree, paged.
use serde::{Deserialize, Serialize};

/// `Node.Type` values. The special kinds keep the tree's names.
pub const NODE_FILE: &str = "file";
pub const NODE_DIRECTORY: &str = "directory";
pub const NODE_SYMLINK: &str = "symlink";
pub const NODE_FIFO: &str = "fifo";
pub const NODE_SOCKET: &str = "socket";
pub const NODE_CHARDEV: &str = "chardev";
pub const NODE_BLOCKDEV: &str = "blockdev";

/// `MaxResults` when absent, and its upper bound.
pub const BROWSE_DEFAULT_RESULTS: i64 = 100;
pub const BROWSE_MAX_RESULTS: i64 = 1000;

/// One entry of a directory.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Node {
    /// The last component of the path (lossy UTF-8 when the name's bytes are not UTF-8).
    pub name: String,
    /// `file`, `directory`, `symlink`, `fifo`, `socket`, `chardev` or `blockdev`.
    #[serde(rename = "Type")]
    pub node_type: String,
    /// A file's size; a directory's: the bytes of all the files below it.
    pub size: i64,
    /// Modification time, seconds since the epoch (0 for a parent directory the backup did not
    /// record, e.g. `/home` of a backup of `/home/ann/docs`).
    pub mtime: i64,
    /// Unix permission and type bits as recorded (0 for such a parent).
    pub mode: i64,
    /// The node's absolute path in the snapshot: the `AbsolutePath` of the next `BrowseFiles`
    /// and an `Include` item of `CreateRestoreJob`.
    pub subtree: String,
    /// A symlink's target.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// Files and directories below a directory (0 for other kinds).
    pub files: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Nodes {
    #[serde(default)]
    pub node: Vec<Node>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BrowseFilesResponse {
    pub nodes: Nodes,
    /// Entries of the directory in all.
    pub total_count: i64,
    pub max_results: i64,
    /// Pass it back for the next page; empty on the last page.
    #[serde(default)]
    pub next_token: String,
    /// The snapshot read (`SnapshotId`, or the one `SnapshotHash` named).
    #[serde(default)]
    pub snapshot_id: String,
}

crate::action! {
    pub struct BrowseFilesRequest: "BrowseFiles" -> BrowseFilesResponse {
        vault_id: String = "VaultId" required,
        /// One of `SnapshotId` and `SnapshotHash` (this backend keeps no separate snapshot
        /// hash: `SnapshotHash` is read as the snapshot id; both given must agree).
        snapshot_id: Option<String> = "SnapshotId" optional,
        snapshot_hash: Option<String> = "SnapshotHash" optional,
        /// The directory to list; absent or `/` = the snapshot's root.
        absolute_path: String = "AbsolutePath" raw_text,
        /// When given, the snapshot must belong to this backup client.
        client_id: Option<String> = "ClientId" optional,
        max_results: Option<i64> = "MaxResults" int_range(1, 1000),
        next_token: Option<String> = "NextToken" optional,
    }
}
