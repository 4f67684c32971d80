//! The console against a real backend (demo content, temp dir, 127.0.0.1:0), clicked and typed
//! through AccessKit with egui_kittest: the overview and its mirror dialog, navigation, and the
//! SQL Server restore wizard.
#[path = "../support/mod.rs"]
pub mod support;

mod agents;
mod alerts;
mod browse;
mod connection;
mod console;
mod idle;
mod jobs;
mod overview;
mod plans;
mod prune;
mod restore;
mod retention;
mod sql_wizard;
