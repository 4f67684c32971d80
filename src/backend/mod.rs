//! The backend: an HTTP service in the HBR dialect over a SQLite catalog and per-region storage.
//!
//! - `server/` answers requests (`router`), `auth/` verifies their signatures, `params.rs` reads them;
//! - `catalog/` is the SQLite catalog, `storage/` the repository format, `hub.rs` the opened
//!   locations and repositories, `state.rs` what a handler sees;
//! - background work: `jobs.rs` (backup, restore, verify as jobs), `replication/` (mirror
//!   scheduler and planner), `plans/` (backup plans' schedules), `locations/` (the catalog
//!   kept in line with the locations, and the writer lock: one backend writes a location);
//! - `sqlserver/` (engines behind SQL Server backups), `demo/` (demo content seeding);
//! - this file: `start` (plain HTTP or HTTPS, see `TlsSetting`) and the `RunningServer` it returns.
pub mod agents;
pub mod alerts;
pub mod auth;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod error;
pub mod hub;
pub mod jobs;
pub mod locations;
pub mod params;
pub mod plans;
pub mod replication;
pub mod retention;
pub mod server;
pub mod sqlserver;
pub mod state;
pub mod storage;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::signing::Credentials;
pub use server::router;
use state::{AppState, Inner, Settings};

pub const ENV_KEY_ID: &str = "MIRRORVAULT_ACCESS_KEY_ID";
pub const ENV_KEY_SECRET: &str = "MIRRORVAULT_ACCESS_KEY_SECRET";

#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub historical_sync_delay: Duration,
    pub demo: bool,
    /// Explicit credentials (from the environment); otherwise `DATA/credentials.toml`.
    pub credentials: Option<Credentials>,
}

/// Whether `serve` speaks HTTPS, and with which certificate (`crate::tls`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TlsSetting {
    /// HTTPS with the data dir's self-signed certificate when `listen` is not a loopback
    /// address (TLS is mandatory off loopback), plain HTTP on a loopback address.
    #[default]
    Auto,
    /// HTTPS with the data dir's self-signed certificate (`DATA/tls/`, made on first use).
    SelfSigned,
    /// HTTPS with this PEM certificate (or chain, leaf first) and private key.
    Files { cert: PathBuf, key: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error("storage: {0}")]
    Storage(#[from] storage::StorageError),
    #[error("credentials file {path}: {message}")]
    Credentials { path: PathBuf, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    LocationLocked(#[from] locations::LockError),
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("refusing to listen on the non-loopback address {0} without credentials: set {ENV_KEY_ID} and {ENV_KEY_SECRET}, or create the credentials file first with a loopback start")]
    NoCredentials(SocketAddr),
}

pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub credentials: Credentials,
    /// The credentials file, when the key came from (or was written to) one.
    pub credentials_file: Option<PathBuf>,
    pub credentials_created: bool,
    /// The SHA-256 fingerprint of the certificate served, when the server speaks HTTPS.
    pub tls_fingerprint: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    join: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    locks: Arc<locations::LocationLocks>,
}

impl RunningServer {
    /// `http://IP:PORT`, or `https://IP:PORT` when the server speaks TLS.
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls_fingerprint.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, stops workers, closes the catalog.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.wait().await;
    }

    /// Waits until the server stops (after `shutdown_signal` resolves), then stops the workers,
    /// releases the locations' writer locks and closes the catalog.
    pub async fn wait(mut self) {
        let _ = (&mut self.join).await;
        for w in &self.workers {
            w.abort();
        }
        self.locks.release().await;
        self.state.catalog.close();
    }
}

fn load_credentials(data_dir: &Path, given: Option<Credentials>) -> Result<(Credentials, Option<PathBuf>, bool), StartError> {
    if let Some(c) = given {
        return Ok((c, None, false));
    }
    let path = data_dir.join("credentials.toml");
    let err = |message: String| StartError::Credentials { path: path.clone(), message };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let c: Credentials = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
            Ok((c, Some(path), false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use rand::RngCore;
            let mut secret = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut secret);
            let c = Credentials {
                access_key_id: format!("LTAI{}", &uuid::Uuid::new_v4().simple().to_string()[..20]),
                access_key_secret: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, secret),
            };
            let text = toml::to_string(&c).map_err(|e| err(e.to_string()))?;
            crate::platform::write_private(&path, text.as_bytes()).map_err(|e| err(e.to_string()))?;
            Ok((c, Some(path), true))
        }
        Err(e) => Err(err(e.to_string())),
    }
}

/// The server config and fingerprint `tls` asks for on `listen`; `None`: plain HTTP.
fn server_tls(tls: &TlsSetting, data_dir: &Path, listen: SocketAddr) -> Result<Option<(Arc<rustls::ServerConfig>, String)>, StartError> {
    let (cert, key) = match tls {
        TlsSetting::Auto if listen.ip().is_loopback() => return Ok(None),
        TlsSetting::Auto | TlsSetting::SelfSigned => crate::tls::load_or_create_self_signed(data_dir, listen.ip())?,
        TlsSetting::Files { cert, key } => crate::tls::load_pem_files(cert, key)?,
    };
    Ok(Some((crate::tls::server_config(&cert, &key)?, crate::tls::fingerprint_of_pem(&cert)?)))
}

/// Opens everything and starts serving with `TlsSetting::Auto` (plain HTTP on a loopback
/// address); `shutdown_signal` ends the server gracefully.
pub async fn start(opts: ServeOptions, shutdown_signal: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>) -> Result<RunningServer, StartError> {
    start_with_tls(opts, &TlsSetting::Auto, shutdown_signal).await
}

/// `start`, speaking HTTPS as `tls` says.
pub async fn start_with_tls(opts: ServeOptions, tls: &TlsSetting, shutdown_signal: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>) -> Result<RunningServer, StartError> {
    let dir = &opts.data_dir;
    std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir { path: dir.clone(), source })?;
    let existed = dir.join("credentials.toml").exists();
    if !opts.listen.ip().is_loopback() && opts.credentials.is_none() && !existed {
        return Err(StartError::NoCredentials(opts.listen));
    }
    // Before anything is opened: a certificate that cannot be used changes nothing.
    let tls = server_tls(tls, dir, opts.listen)?;
    let tls_fingerprint = tls.as_ref().map(|(_, fingerprint)| fingerprint.clone());
    let cfg = config::ConfigFile::load(dir)?;
    let regions = cfg.regions(dir)?;
    let alert_settings = alerts::AlertSettings::from_config(&cfg.alerts)?;
    let prune = cfg.prune()?;
    let agent_settings = cfg.agents()?;
    let (credentials, credentials_file, credentials_created) = load_credentials(dir, opts.credentials.clone())?;
    // The chunk indexes' sorted runs (unlinked files) go beside the catalog, not to a temp
    // dir that may be a RAM disk.
    let spill = dir.join("tmp");
    std::fs::create_dir_all(&spill).map_err(|source| StartError::DataDir { path: spill.clone(), source })?;
    storage::set_spill_dir(spill);
    let hub = hub::StorageHub::open(dir, &regions)?;
    // Before the catalog marks interrupted jobs FAILED: a backend refused here changes nothing.
    let locks = Arc::new(locations::LocationLocks::new(dir));
    for r in hub.regions() {
        locks.acquire(&r.location).await?;
    }
    let catalog = catalog::Catalog::open(&dir.join("catalog.sqlite"))?;
    let failed = catalog.fail_interrupted_jobs()?;
    catalog.fail_interrupted_tasks()?;
    if failed > 0 {
        tracing::warn!(failed, "jobs interrupted by the previous shutdown were marked FAILED");
    }
    for r in hub.regions() {
        if catalog.region_outage(&r.region_id)? {
            r.location.set_offline(true);
        }
    }
    let state = AppState(Arc::new(Inner {
        catalog,
        auth: auth::Authenticator::new(credentials.clone()),
        hub,
        settings: Settings { data_dir: dir.clone(), historical_sync_delay: opts.historical_sync_delay, demo: opts.demo, prune },
        jobs: jobs::JobRunner::new(&cfg.jobs),
        replicator: replication::Replicator::default(),
        retention: retention::Retention::default(),
        alerts: alerts::Alerts::new(alert_settings),
        agents: agents::AgentHub::new(agent_settings),
    }));
    for (key_id, secret, client_id) in state.catalog.agent_keys()? {
        state.auth.add_agent_key(&key_id, &secret, &client_id);
    }
    let listener = tokio::net::TcpListener::bind(opts.listen).await.map_err(|source| StartError::Bind { addr: opts.listen, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: opts.listen, source })?;
    let (tx, rx) = oneshot::channel::<()>();
    let app = router(state.clone());
    let join = tokio::spawn(async move {
        let stop = async move {
            match shutdown_signal {
                Some(sig) => tokio::select! { _ = sig => {}, _ = rx => {} },
                None => {
                    let _ = rx.await;
                }
            }
        };
        let served = match tls {
            Some((config, _)) => axum::serve(crate::tls::TlsListener::new(listener, config), app).with_graceful_shutdown(stop).await,
            None => axum::serve(listener, app).with_graceful_shutdown(stop).await,
        };
        if let Err(e) = served {
            tracing::error!(%e, "server stopped with an error");
        }
    });
    let mut workers = Vec::new();
    workers.push(tokio::spawn(locations::watch_locations(state.clone())));
    workers.push(tokio::spawn(server::prune::auto_prune(state.clone())));
    workers.push(tokio::spawn(locations::LocationLocks::run_heartbeat(locks.clone())));
    workers.push(tokio::spawn(jobs::trim_history(state.clone())));
    workers.push(tokio::spawn(plans::run(state.clone())));
    workers.push(tokio::spawn(alerts::run(state.clone())));
    let st = state.clone();
    let (reconciled, after_reconcile) = oneshot::channel::<()>();
    workers.push(tokio::spawn(async move {
        locations::reconcile(&st).await;
        let _ = reconciled.send(());
        replication::Replicator::run(st).await;
    }));
    if state.settings.demo {
        // After the reconcile, beside the replicator (which syncs the SQL Server demo's mirror
        // meanwhile): the demo's backups take seconds.
        let st = state.clone();
        workers.push(tokio::spawn(async move {
            if after_reconcile.await.is_ok() {
                if let Err(e) = demo::seed(&st).await {
                    tracing::error!(%e, "demo content could not be seeded");
                }
            }
        }));
    }
    workers.push(tokio::spawn(retention::run(state.clone())));
    tracing::info!(%addr, tls = tls_fingerprint.is_some(), data_dir = %dir.display(), "backend started");
    Ok(RunningServer { addr, state, credentials, credentials_file, credentials_created, tls_fingerprint, shutdown: Some(tx), join, workers, locks })
}
