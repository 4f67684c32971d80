//! Mirror replication through the real in-process server: real-time and historical copies,
//! Sync Now, outages, and restores from the mirror after a region's location is lost. (The
//! storage-level copy engine is in the storage suite, `tests/storage/copy.rs`.)
#[path = "../support/mod.rs"]
pub mod support;

mod api;
mod retention;
