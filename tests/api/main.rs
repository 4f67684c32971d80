//! The API through the real in-process server: signatures, vaults and mirrors, the data plane,
//! encryption at rest, SQL Server (demo engine, and a live server when configured), demo
//! content, the official Python SDKs, HTTPS (`tls`: the real binary), and mirror replication
//! through the server (`replication`, `mirror_retention`: real-time and historical copies, Sync
//! Now, outages, restores from the mirror; the storage-level copy engine is in the storage suite).
#[path = "../support/mod.rs"]
pub mod support;

mod agent;
mod alerts;
mod auth;
mod backup;
mod browse;
mod demo_content;
mod encryption;
mod fidelity;
mod mirror_retention;
mod panic;
mod plans;
mod replication;
mod retention;
mod prune;
mod sdk;
mod sdk_compat;
mod sqlserver;
mod sqlserver_demo;
mod sqlserver_tds;
mod tls;
mod upgrade;
mod vault_lifecycle;
mod vaults;
mod worm;
