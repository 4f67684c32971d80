//! mirrorvault: a desktop console and backend for backup vaults with cross-region mirror vaults.
pub mod agent;
pub mod api;
pub mod backend;
pub mod bench;
pub mod client;
pub mod launcher;
pub mod platform;
pub mod signing;
pub mod tls;
pub mod ui;
