//! The one in-process test server: a real backend on 127.0.0.1:0 in a temp dir, and a client
//! signed with its credentials.
use std::time::Duration;

use mirrorvault::backend::{self, RunningServer, ServeOptions};
use mirrorvault::client::{Client, Credentials};

use super::fixtures::creds;
use super::wait::wait_until;

/// The default historical sync delay (the backend's own default).
const DEFAULT_DELAY: Duration = Duration::from_secs(90 * 60);

pub struct TestServer {
    /// `None` only after a test took it to shut it down itself.
    pub server: Option<RunningServer>,
    pub client: Client,
    /// The backend's data dir.
    pub dir: tempfile::TempDir,
    options: Options,
}

/// How a test server starts; see `TestServer::options`.
#[derive(Clone)]
pub struct Options {
    delay: Duration,
    demo: bool,
    credentials: Option<Credentials>,
}

impl Options {
    /// The delay before a new mirror copies its source's historical snapshots.
    pub fn delay(mut self, delay: Duration) -> Options {
        self.delay = delay;
        self
    }

    /// Seed the demo content (in the background, as `serve --demo` does).
    pub fn demo(mut self) -> Options {
        self.demo = true;
        self
    }

    /// Let the backend generate its credentials file instead of using `creds()`.
    pub fn generated_credentials(mut self) -> Options {
        self.credentials = None;
        self
    }

    pub async fn start(self) -> TestServer {
        self.start_in(tempfile::tempdir().expect("temp dir")).await
    }

    /// Starts on an existing data dir.
    pub async fn start_in(self, dir: tempfile::TempDir) -> TestServer {
        let opts = ServeOptions {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            historical_sync_delay: self.delay,
            demo: self.demo,
            credentials: self.credentials.clone(),
        };
        let server = backend::start(opts, None).await.expect("backend starts");
        let client = Client::new(&server.endpoint(), server.credentials.clone()).unwrap();
        TestServer { server: Some(server), client, dir, options: self }
    }
}

impl TestServer {
    /// Options: the default delay (90 minutes), no demo content, the credentials `creds()`.
    pub fn options() -> Options {
        Options { delay: DEFAULT_DELAY, demo: false, credentials: Some(creds()) }
    }

    pub async fn start() -> TestServer {
        Self::options().start().await
    }

    pub async fn start_with(delay: Duration) -> TestServer {
        Self::options().delay(delay).start().await
    }

    pub async fn start_in(dir: tempfile::TempDir, delay: Duration) -> TestServer {
        Self::options().delay(delay).start_in(dir).await
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("the server is running")
    }

    pub fn endpoint(&self) -> String {
        self.running().endpoint()
    }

    /// The credentials the server accepts (`creds()` unless generated).
    pub fn credentials(&self) -> Credentials {
        self.running().credentials.clone()
    }

    /// Stops the server (in-flight requests finish); keeps the data dir.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Stops the server and starts a new one on the same data dir, with the same options.
    pub async fn restart(mut self) -> TestServer {
        self.stop().await;
        let TestServer { dir, options, .. } = self;
        options.start_in(dir).await
    }

    /// Creates a vault and waits until it is CREATED.
    pub async fn vault(&self, region: &str, name: &str) -> String {
        let id = self.client.create_vault(region, name, "").await.expect("create vault").vault_id;
        self.wait_created(&id).await;
        id
    }

    pub async fn wait_created(&self, vault_id: &str) {
        wait_until(Duration::from_secs(20), format!("vault {vault_id} CREATED"), || async {
            self.client.vault(vault_id).await.ok().flatten().map(|v| v.status == "CREATED").unwrap_or(false)
        })
        .await;
    }
}
