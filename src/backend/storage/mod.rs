//! Storage engine: content-defined chunking, encrypted packs, indexes and snapshot manifests
//! in a vault under a location (local directory or S3 bucket). See docs/design.md.
//!
//! One file per operation, each an `impl Repo` block with its own request and result types:
//! - `backup.rs`: `Repo::backup`, `BackupRequest` (walk, chunk, encode, pack, upload, manifest),
//!   with `backup_read.rs` (read-ahead hints, the reader of a sparse file's data extents).
//! - `restore.rs`: `Repo::restore`, `RestoreRequest`, `RestoreStats` (with `restore_meta.rs`:
//!   owner, xattrs, mode, times, special files, sparse writes).
//! - `copy.rs`: `Repo::copy_snapshot_to`, `bytes_missing_in`, `repair_from`, `CopyStats`.
//! - `verify.rs`: `Repo::verify`, `VerifyReport`.
//! - `forget.rs`: `Repo::delete_snapshot` (a snapshot leaves the vault) and the vault's WORM
//!   marker (`worm`, plaintext).
//! - `browse.rs`: `Repo::browse` (one directory of a snapshot, paged; a cache of decoded listings).
//! - `prune.rs`: `Repo::prune`, `PruneRequest`, `PruneStats` (with `reindex.rs`: rebuilding
//!   index entries from pack headers, restic's `repair index`).
//! - `ingest.rs`: `Ingest`, what a remote agent uploads into a vault, checked before it is stored,
//!   and the job's commit.
//! - `coord.rs`: what prune shares with the operations beside it (pins, readers, gate).
//!
//! What they build on:
//! - `repo.rs`: the `Repo` type (create, open), its vault config, the chunk index, the cache
//!   of recent snapshots' chunks and packs, blob, tree and manifest reads and writes.
//! - `location.rs`: a location (object_store, offline drill, local-file shortcuts).
//! - `pack.rs` (pack builder), `index.rs` (index files, the chunk index; its sorted run on disk in `index_run.rs`), `blob.rs` (encode and
//!   decode one chunk), `tree.rs` (a snapshot's file tree), `snapshot.rs` (manifests),
//!   `chunker.rs` (`ChunkerParams`, FastCDC reader), `crypto.rs` and `keystore.rs` (keys),
//!   `ids.rs`, `meta.rs`, `progress.rs`, `error.rs`; `identity.rs` (a vault's recorded name and
//!   mirror relationship, and the crash-safe vault delete with its tombstone).
//!
//! Imports point one way: operation files → `repo` → the building blocks. `repo.rs` imports no
//! operation file, and no operation file imports another. Platform calls (positioned I/O,
//! read-ahead hints, file modes, symlinks, name bytes) go through `crate::platform`.

mod backup;
mod backup_read;
mod blob;
pub mod browse;
mod chunker;
mod copy;
mod coord;
mod forget;
mod prune;
mod reindex;
pub mod crypto;
pub mod error;
mod identity;
mod ingest;
mod ids;
mod index;
mod index_run;
pub use index_run::set_spill_dir;
mod keystore;
mod meta;
pub mod location;
mod pack;
pub mod progress;
pub mod rate;
pub mod repo;
mod restore;
mod restore_meta;
pub mod snapshot;
mod tree;
mod verify;

pub use backup::BackupRequest;
pub use copy::CopyStats;
pub use crypto::{DataKey, KeyStore, MasterKey};
pub use error::StorageError;
pub use identity::VaultIdentity;
pub use ingest::Ingest;
pub use location::{Location, LocationConfig, RemoteObjects};
pub use progress::Progress;
pub use rate::SpeedLimit;
pub use repo::Repo;
pub use restore::{RestoreRequest, RestoreStats};
pub use snapshot::SnapshotManifest;
pub use prune::{PruneRequest, PruneStats, DEFAULT_GRACE, REWRITE_GARBAGE_SHARE};
pub use verify::VerifyReport;
