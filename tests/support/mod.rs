//! Helpers shared by every test binary (`tests/*/main.rs` include this directory as
//! `pub mod support`): one in-process test server, one child-process backend, one wait loop,
//! one tree walker and one tree comparison, the API's job helpers, signed RPC requests, and the
//! storage suite's locations (local directory and in-process S3).
pub mod child;
pub mod console;
pub mod fixtures;
pub mod jobs;
pub mod rpc;
pub mod s3;
pub mod server;
pub mod store;
pub mod tree;
pub mod wait;

pub use fixtures::{creds, make_tree};
pub use jobs::{backup, code, wait_backup, wait_restore, wait_sql_restore, wait_verify};
pub use server::TestServer;
pub use tree::{assert_trees_equal_content_mode_mtime, files_under, rerooted};
pub use wait::{wait_for, wait_until, wait_until_blocking};
