//! Storage engine: content-defined chunking, encrypted packs, indexes and snapshot manifests
//! in a vault under a location (local directory or S3 bucket). See docs/design.md.

mod backup;
mod blob;
mod chunker;
mod copy;
pub mod crypto;
pub mod error;
mod ids;
mod index;
mod keystore;
mod meta;
pub mod location;
mod pack;
pub mod progress;
pub mod repo;
mod restore;
pub mod snapshot;
mod tree;
mod verify;

pub use crypto::{DataKey, KeyStore, MasterKey};
pub use error::StorageError;
pub use location::{Location, LocationConfig};
pub use progress::Progress;
pub use repo::{BackupRequest, CopyStats, Repo, RestoreRequest, RestoreStats, VerifyReport};
pub use snapshot::SnapshotManifest;
