//! The API through the real in-process server: signatures, vaults and mirrors, the data plane,
//! encryption at rest, SQL Server (demo engine, and a live server when configured), demo
//! content, the official Python SDKs, and HTTPS (`tls`: the real binary).
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
mod panic;
mod plans;
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
