//! The console's screens; each is a `ui` function over its state and the shared data.
pub mod agent_connect;
pub mod alerts;
pub mod clients;
pub mod jobs;
pub mod overview;
pub mod plans;
pub mod settings;
pub mod sql_wizard;
pub mod sql_wizard_steps;
pub mod sqlserver;
pub mod vault_detail;
pub mod vault_prune;
