//! Snapshot retention: the policy a snapshot carries (`policy.rs`), its expiry and removal.
pub mod policy;

pub use policy::{RetentionPolicy, RetentionRule};
