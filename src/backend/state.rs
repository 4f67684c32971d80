//! Shared state of the server: catalog, authenticator, storage hub, settings and workers.
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::alerts::Alerts;
use super::auth::Authenticator;
use super::catalog::Catalog;
use super::hub::StorageHub;
use super::jobs::JobRunner;
use super::replication::Replicator;
use super::retention::Retention;

#[derive(Clone, Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub historical_sync_delay: Duration,
    pub demo: bool,
    /// `[prune]` of config.toml.
    pub prune: super::config::PruneSettings,
}

pub struct Inner {
    pub catalog: Catalog,
    pub auth: Authenticator,
    pub hub: StorageHub,
    pub settings: Settings,
    pub jobs: JobRunner,
    pub replicator: Replicator,
    /// The retention clock and the lock of snapshot removals.
    pub retention: Retention,
    pub alerts: Alerts,
    /// Jobs published for remote agents.
    pub agents: super::agents::AgentHub,
}

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
