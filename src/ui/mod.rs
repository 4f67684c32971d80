//! The console (eframe/egui). The UI thread never waits on I/O: every backend call runs on a
//! tokio runtime through `Net` and comes back as a promise polled each frame.
pub mod actions;
pub mod app;
pub mod command;
pub mod config;
pub mod request;
pub mod screens;
pub mod style;
pub mod testing;
pub mod widgets;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use crate::backend::{self, ServeOptions};
use crate::client::{Client, Credentials};
use app::{ConsoleApp, Connection};
use config::ConsoleConfig;
use request::Net;

/// The embedded backend's historical sync delay (demo: short enough to watch).
pub const EMBEDDED_HISTORICAL_SYNC_DELAY: Duration = Duration::from_secs(3 * 60);

/// How the console starts its embedded backend: in `data_dir/console`, on 127.0.0.1 only (a
/// random free port), with demo content. Never reachable from another machine.
pub fn embedded_serve_options(data_dir: &std::path::Path) -> ServeOptions {
    ServeOptions {
        data_dir: data_dir.join("console"),
        listen: "127.0.0.1:0".parse().expect("loopback address"),
        historical_sync_delay: EMBEDDED_HISTORICAL_SYNC_DELAY,
        demo: true,
        credentials: None,
    }
}

/// Opens the console window. Without `endpoint` it starts an embedded demo backend in
/// `data_dir/console` first and stops it when the window closes.
pub fn run_console(endpoint: Option<String>, data_dir: PathBuf, credentials: Option<Credentials>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("mirrorvault-console").build().context("cannot start the async runtime")?;
    let config_path = config::default_path();
    let config = match &config_path {
        Some(path) => ConsoleConfig::load(path).unwrap_or_else(|e| {
            tracing::warn!(%e, "ignoring the console settings file");
            ConsoleConfig::default()
        }),
        None => ConsoleConfig::default(),
    };

    let (connection, server) = match endpoint {
        None => {
            let opts = embedded_serve_options(&data_dir);
            let server = rt.block_on(backend::start(opts, None)).context("cannot start the embedded backend")?;
            let source = match &server.credentials_file {
                Some(path) => format!("{} (embedded backend)", path.display()),
                None => "the embedded backend".to_string(),
            };
            let connection = Connection { endpoint: server.endpoint(), embedded: true, credentials: server.credentials.clone(), credentials_source: source };
            (connection, Some(server))
        }
        Some(endpoint) => {
            let (credentials, source) = match (credentials, config.credentials()) {
                (Some(c), _) => (c, "the environment".to_string()),
                (None, Some(c)) => (c, "the console's settings file".to_string()),
                (None, None) => {
                    tracing::warn!("no credentials for {endpoint}: enter them on the Settings screen");
                    (Credentials { access_key_id: String::new(), access_key_secret: String::new() }, "none yet: enter them under Settings".to_string())
                }
            };
            (Connection { endpoint, embedded: false, credentials, credentials_source: source }, None)
        }
    };

    let client = Client::new(&connection.endpoint, connection.credentials.clone()).context("invalid endpoint")?;
    let net = Net { client, rt: rt.handle().clone() };
    let remote_without_credentials = !connection.embedded && connection.credentials.access_key_id.is_empty();
    let mut app = ConsoleApp::new(net, connection, config_path, config);
    if remote_without_credentials {
        app.screen = app::Screen::Settings;
    }

    let mut viewport = egui::ViewportBuilder::default().with_title("mirrorvault").with_inner_size([1360.0, 860.0]).with_min_inner_size([900.0, 600.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(include_bytes!("../../assets/mirror-vault.png")) {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions { viewport, ..Default::default() };
    let result = eframe::run_native("mirrorvault", options, Box::new(move |_cc| Ok(Box::new(app))));

    if let Some(server) = server {
        rt.block_on(server.shutdown());
    }
    rt.shutdown_timeout(Duration::from_secs(5));
    result.map_err(|e| anyhow::anyhow!("the console window failed: {e}"))
}
