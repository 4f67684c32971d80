//! Helpers shared by every test binary (`tests/*/main.rs` include this directory as
//! `#[path = "../support/mod.rs"] pub mod support`; `pub` so that a binary not using every
//! helper compiles without dead-code warnings):
//! - `server::TestServer`: the one in-process backend (127.0.0.1:0, temp dir), and
//!   `console::ConsoleFixture`, the console's tests' wrapper of it (own runtime, console apps);
//! - `child::Backend`: the real `mirrorvault serve` binary, for tests that SIGKILL it or read its logs;
//!   `child::Agent`: the real `mirrorvault agent`; `agents`: a backend as `nobody` with agents;
//! - `wait`: the one polling loop (`wait_until(timeout, what, cond)`, `wait_for`, and a blocking twin);
//! - `tree`: the one walker (`walk`, `files_under`) and the one comparison
//!   (`assert_trees_equal_content_mode_mtime`);
//! - `jobs` (start a backup, wait for a job, error codes), `rpc` (hand-signed RPC requests),
//!   `fixtures` (credentials, trees, seeded bytes);
//! - `store` and `s3`: the storage suite's locations of each kind (local directory, in-process S3).
pub mod agents;
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
pub use jobs::{backup, code, wait_backup, wait_prune, wait_restore, wait_sql_restore, wait_verify};
pub use server::TestServer;
pub use tree::{assert_trees_equal_content_mode_mtime, files_under, rerooted};
pub use wait::{wait_for, wait_until, wait_until_blocking};
