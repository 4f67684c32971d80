//! Helpers for the console's tests (`tests/ui_*.rs`): a real backend on 127.0.0.1:0 in a
//! private temp dir, a console app connected to it, and a `step_until` loop for async flows.
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::app::{ConsoleApp, Connection};
use super::config::ConsoleConfig;
use super::request::Net;
use crate::api::vault::Vault;
use crate::backend::{self, RunningServer, ServeOptions};
use crate::client::Client;

pub struct TestBackend {
    pub rt: tokio::runtime::Runtime,
    pub client: Client,
    pub dir: PathBuf,
    server: Option<RunningServer>,
}

impl TestBackend {
    /// Starts a backend in a fresh temp dir (`demo` seeds the demo content in the background).
    pub fn start(demo: bool, historical_sync_delay: Duration) -> TestBackend {
        let dir = std::env::temp_dir().join(format!("mirrorvault-ui-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
        let opts = ServeOptions { data_dir: dir.join("backend"), listen: "127.0.0.1:0".parse().unwrap(), historical_sync_delay, demo, credentials: None };
        let server = rt.block_on(backend::start(opts, None)).expect("backend starts");
        let client = Client::new(&server.endpoint(), server.credentials.clone()).expect("client");
        TestBackend { rt, client, dir, server: Some(server) }
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Waits until the demo content is seeded (its mirror `web-01-dr` exists); returns the vaults.
    pub fn wait_for_demo(&self, timeout: Duration) -> Vec<Vault> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(vaults) = self.block_on(self.client.all_vaults()) {
                if vaults.iter().any(|v| v.vault_name == "web-01-dr") {
                    return vaults;
                }
            }
            assert!(Instant::now() < deadline, "demo content was not seeded within {timeout:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A console app connected to this backend; its folder picker answers `restore_target`.
    pub fn app(&self) -> ConsoleApp {
        let server = self.server.as_ref().expect("running");
        let connection = Connection {
            endpoint: server.endpoint(),
            embedded: true,
            credentials: server.credentials.clone(),
            credentials_source: "test backend".into(),
        };
        let net = Net { client: self.client.clone(), rt: self.rt.handle().clone() };
        let mut app = ConsoleApp::new(net, connection, Some(self.dir.join("console.toml")), ConsoleConfig::default());
        let target = self.dir.join("restore-target");
        app.folder_picker = Arc::new(move || Some(target.clone()));
        let reports = self.reports_dir();
        std::fs::create_dir_all(&reports).expect("reports dir");
        app.report_picker = Arc::new(move |name: String| Some(reports.join(format!("{name}.md"))));
        app
    }

    /// Where the console's (replaced) save dialog puts drill reports.
    pub fn reports_dir(&self) -> PathBuf {
        self.dir.join("reports")
    }

    /// Waits until the SQL Server demo is seeded: the mirror `sqlserver-cluster-a-dr` exists and
    /// holds the source's backups. Returns the vaults.
    pub fn wait_for_sql_demo(&self, timeout: Duration) -> Vec<Vault> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(vaults) = self.block_on(self.client.all_vaults()) {
                if let Some(mirror) = vaults.iter().find(|v| v.vault_name == "sqlserver-cluster-a-dr") {
                    let copied = self.block_on(self.client.describe_sql_server_snapshots(&mirror.vault_id, None, None)).map(|r| r.snapshots.snapshot.len()).unwrap_or(0);
                    if copied >= 2 {
                        return vaults;
                    }
                }
            }
            assert!(Instant::now() < deadline, "the SQL Server demo was not seeded within {timeout:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.rt.block_on(server.shutdown());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Calls `step` (e.g. `Harness::step`) with short real sleeps until `cond` holds or `timeout`
/// passes; returns whether `cond` held.
pub fn step_until<H>(h: &mut H, timeout: Duration, mut step: impl FnMut(&mut H), mut cond: impl FnMut(&mut H) -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        step(h);
        if cond(h) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}
