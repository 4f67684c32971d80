//! The console's test fixture: a `TestServer` (demo content, generated credentials) on a
//! runtime of its own, since the kittest harness runs on the test thread, and console apps
//! connected to it over HTTP like the real console.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mirrorvault::api::vault::Vault;
use mirrorvault::client::Client;
use mirrorvault::ui::app::{ConsoleApp, Connection};
use mirrorvault::ui::config::ConsoleConfig;
use mirrorvault::ui::request::Net;

use super::server::TestServer;
use super::wait::{wait_for, wait_until_blocking};

/// The kittest harness of a console app, in a window of `width` × `height`.
pub fn harness(app: ConsoleApp, width: f32, height: f32) -> egui_kittest::Harness<'static, ConsoleApp> {
    egui_kittest::Harness::builder().with_size(egui::vec2(width, height)).build_ui_state(|ui, app: &mut ConsoleApp| app.ui(ui), app)
}

/// Steps the UI (each step with a short real sleep, so network replies arrive) until `cond`
/// holds, or fails the test with `what` after `timeout`.
pub fn step_until(
    h: &mut egui_kittest::Harness<'static, ConsoleApp>,
    timeout: Duration,
    what: &str,
    mut cond: impl FnMut(&mut egui_kittest::Harness<'static, ConsoleApp>) -> bool,
) {
    wait_until_blocking(timeout, format!("waiting for {what}"), || {
        h.step();
        cond(h)
    });
}

pub struct ConsoleFixture {
    pub rt: tokio::runtime::Runtime,
    pub client: Client,
    /// The console's own files: settings, the restore target its folder picker answers, reports.
    pub dir: tempfile::TempDir,
    server: Option<TestServer>,
}

impl ConsoleFixture {
    /// Starts a backend in a fresh temp dir (`demo` seeds the demo content in the background).
    pub fn start(demo: bool, historical_sync_delay: Duration) -> ConsoleFixture {
        Self::start_with_config(demo, historical_sync_delay, None)
    }

    /// `start` with the backend's `DATA/config.toml` holding `config` (a `[prune]` section...).
    pub fn start_with_config(demo: bool, historical_sync_delay: Duration, config: Option<&str>) -> ConsoleFixture {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
        let mut options = TestServer::options().delay(historical_sync_delay).generated_credentials();
        if demo {
            options = options.demo();
        }
        let data = tempfile::tempdir().expect("temp dir");
        if let Some(config) = config {
            std::fs::write(data.path().join("config.toml"), config).expect("config.toml");
        }
        let server = rt.block_on(options.start_in(data));
        let client = server.client.clone();
        let dir = tempfile::tempdir().expect("temp dir");
        ConsoleFixture { rt, client, dir, server: Some(server) }
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Waits until the demo content is seeded (its mirror `web-01-dr` exists); returns the vaults.
    pub fn wait_for_demo(&self, timeout: Duration) -> Vec<Vault> {
        self.block_on(wait_for(timeout, "the demo content (the mirror web-01-dr)", || async {
            self.client.all_vaults().await.ok().filter(|vaults| vaults.iter().any(|v| v.vault_name == "web-01-dr"))
        }))
    }

    /// Waits until the SQL Server demo is seeded: the mirror `sqlserver-cluster-a-dr` exists and
    /// holds the source's backups. Returns the vaults.
    pub fn wait_for_sql_demo(&self, timeout: Duration) -> Vec<Vault> {
        self.block_on(wait_for(timeout, "the SQL Server demo (two backups in sqlserver-cluster-a-dr)", || async {
            let vaults = self.client.all_vaults().await.ok()?;
            let mirror = vaults.iter().find(|v| v.vault_name == "sqlserver-cluster-a-dr")?;
            let copied = self.client.describe_sql_server_snapshots(&mirror.vault_id, None, None).await.map(|r| r.snapshots.snapshot.len()).unwrap_or(0);
            (copied >= 2).then_some(vaults)
        }))
    }

    /// A console app connected to this backend; its folder picker answers `restore-target`
    /// in `dir` and its save dialog `reports_dir()`.
    pub fn app(&self) -> ConsoleApp {
        let server = self.server.as_ref().expect("running");
        let connection = Connection { endpoint: server.endpoint(), embedded: true, credentials: server.credentials(), credentials_source: "test backend".into(), trust: Default::default() };
        let net = Net { client: self.client.clone(), rt: self.rt.handle().clone() };
        let mut app = ConsoleApp::new(net, connection, Some(self.dir.path().join("console.toml")), ConsoleConfig::default());
        let target = self.dir.path().join("restore-target");
        app.folder_picker = Arc::new(move || Some(target.clone()));
        let reports = self.reports_dir();
        std::fs::create_dir_all(&reports).expect("reports dir");
        app.report_picker = Arc::new(move |name: String| Some(reports.join(format!("{name}.md"))));
        app
    }

    /// A console app connected to this backend as a remote one (`--endpoint`), signing with the
    /// right AccessKey ID and the secret `secret` (a wrong one, for the tests of a refused key).
    pub fn app_with_secret(&self, secret: &str) -> ConsoleApp {
        let server = self.server.as_ref().expect("running");
        let mut credentials = server.credentials();
        credentials.access_key_secret = secret.to_string();
        let client = Client::new(&server.endpoint(), credentials.clone()).expect("client");
        let connection = Connection { endpoint: server.endpoint(), embedded: false, credentials, credentials_source: "the test".into(), trust: Default::default() };
        let net = Net { client, rt: self.rt.handle().clone() };
        ConsoleApp::new(net, connection, Some(self.dir.path().join("console.toml")), ConsoleConfig::default())
    }

    /// Stops the backend (its data dir stays until the fixture drops); consoles then find it unreachable.
    pub fn stop_backend(&mut self) {
        if let Some(server) = self.server.as_mut() {
            self.rt.block_on(server.stop());
        }
    }

    /// Where the console's (replaced) save dialog puts drill reports.
    pub fn reports_dir(&self) -> PathBuf {
        self.dir.path().join("reports")
    }
}

impl Drop for ConsoleFixture {
    fn drop(&mut self) {
        if let Some(mut server) = self.server.take() {
            self.rt.block_on(server.stop());
        }
    }
}
