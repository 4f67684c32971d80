//! The storage suite's fixtures: locations of each kind (a local directory, or a bucket of the
//! in-process S3 server) whose objects a test can reach on disk to damage them, and the
//! requests the storage tests build.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mirrorvault::backend::storage::{BackupRequest, DataKey, Location, LocationConfig, MasterKey, Progress, Repo, RestoreRequest};

use super::s3;

/// The kinds of location every storage suite test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Local,
    S3,
}

impl Kind {
    /// How `Location::describe` starts for this kind.
    pub fn describe_prefix(self) -> &'static str {
        match self {
            Kind::Local => "local:",
            Kind::S3 => "s3://",
        }
    }
}

/// Locations of one kind under a directory: local directories, or buckets of one in-process
/// S3 server (started by `new`) whose objects are files under that directory.
pub struct Locations {
    kind: Kind,
    root: PathBuf,
    s3: Option<SocketAddr>,
}

/// The prefix S3 locations use inside their bucket (exercises prefixed keys).
const S3_PREFIX: &str = "mv";

impl Locations {
    pub async fn new(kind: Kind, root: &Path) -> Locations {
        std::fs::create_dir_all(root).unwrap();
        let s3 = match kind {
            Kind::Local => None,
            Kind::S3 => Some(s3::start_s3(root).await),
        };
        Locations { kind, root: root.to_path_buf(), s3 }
    }

    /// The location `name` (a directory, or a bucket of that name).
    pub fn location(&self, name: &str) -> TestLocation {
        match self.s3 {
            None => {
                let dir = self.root.join(name);
                TestLocation { config: LocationConfig::Local { path: dir.clone() }, objects: dir.clone(), written: dir }
            }
            Some(addr) => {
                let bucket = self.root.join(name);
                std::fs::create_dir_all(&bucket).unwrap();
                TestLocation { config: s3::s3_cfg(addr, name, S3_PREFIX), objects: bucket.join(S3_PREFIX), written: self.root.clone() }
            }
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }
}

/// One location of a storage test.
pub struct TestLocation {
    pub config: LocationConfig,
    /// The directory holding the location's objects as files (`vaults/<id>/data/…`).
    objects: PathBuf,
    /// Everything the store wrote for this location (for S3 the server's whole root, with
    /// its metadata files).
    written: PathBuf,
}

impl TestLocation {
    pub fn open(&self) -> Location {
        Location::open(&self.config).unwrap()
    }

    /// The location's objects on disk: `dir().join("vaults/v1/snapshots/s1")` is that object.
    pub fn dir(&self) -> &Path {
        &self.objects
    }

    /// Every file the store wrote for this location.
    pub fn written(&self) -> &Path {
        &self.written
    }

    /// All pack files of a vault, sorted.
    pub fn pack_files(&self, vault: &str) -> Vec<PathBuf> {
        super::tree::files_under(&self.objects.join("vaults").join(vault).join("data"))
    }
}

pub fn progress() -> Arc<Progress> {
    Arc::new(Progress::default())
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
