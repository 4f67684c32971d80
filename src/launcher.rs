//! Launching the console: starts the embedded backend (or names a remote one), hands the
//! console a `ui::Connection` and stops the backend when the window closes. The one module that
//! names both `backend` and `ui`; the console itself reaches the backend only over HTTP.
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backend::{self, ServeOptions, StartError};
use crate::client::{check_transport, ClientError, Credentials, Trust};
use crate::ui::{self, Connection, UiError};

/// The embedded backend's historical sync delay (demo: short enough to watch).
pub const EMBEDDED_HISTORICAL_SYNC_DELAY: Duration = Duration::from_secs(3 * 60);

/// Why the console could not be launched.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot start the embedded backend: {0}")]
    Backend(#[source] StartError),
    #[error(transparent)]
    Console(#[from] UiError),
    /// `--endpoint` is plain HTTP to another machine.
    #[error(transparent)]
    Transport(ClientError),
}

/// How the console starts its embedded backend: in `data_dir/console`, on 127.0.0.1 only (a
/// random free port), with demo content. Never reachable from another machine.
pub fn embedded_serve_options(data_dir: &Path) -> ServeOptions {
    ServeOptions {
        data_dir: data_dir.join("console"),
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        historical_sync_delay: EMBEDDED_HISTORICAL_SYNC_DELAY,
        demo: true,
        credentials: None,
    }
}

/// Opens the console window. Without `endpoint` it starts an embedded demo backend in
/// `data_dir/console` first and stops it when the window closes. `credentials` (from the
/// environment) are for a remote endpoint; without them the console uses its settings file.
/// A remote `endpoint` must pass `check_transport` (no plain HTTP off loopback), checked before
/// anything starts; `trust` checks its certificate.
pub fn run_console(endpoint: Option<String>, trust: &Trust, data_dir: PathBuf, credentials: Option<Credentials>) -> Result<(), LaunchError> {
    if let Some(endpoint) = &endpoint {
        check_transport(endpoint).map_err(LaunchError::Transport)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("mirrorvault-console").build().map_err(LaunchError::Runtime)?;
    let (connection, server) = match endpoint {
        None => {
            let server = rt.block_on(backend::start(embedded_serve_options(&data_dir), None)).map_err(LaunchError::Backend)?;
            let source = match &server.credentials_file {
                Some(path) => format!("{} (embedded backend)", path.display()),
                None => "the embedded backend".to_string(),
            };
            let connection = Connection { endpoint: server.endpoint(), embedded: true, credentials: server.credentials.clone(), credentials_source: source, trust: Trust::default() };
            (connection, Some(server))
        }
        Some(endpoint) => {
            let connection = match credentials {
                Some(c) => Connection { endpoint, embedded: false, credentials: c, credentials_source: "the environment".to_string(), trust: trust.clone() },
                None => Connection {
                    endpoint,
                    embedded: false,
                    credentials: Credentials { access_key_id: String::new(), access_key_secret: String::new() },
                    credentials_source: "none yet: enter them under Settings".to_string(),
                    trust: trust.clone(),
                },
            };
            (connection, None)
        }
    };

    let result = ui::run(connection, rt.handle().clone());
    if let Some(server) = server {
        rt.block_on(server.shutdown());
    }
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(result?)
}
