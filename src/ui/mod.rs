//! The console (eframe/egui). The UI thread never waits on I/O: every backend call runs on a
//! tokio runtime through `Net` and comes back as a promise polled each frame. The console
//! reaches a backend only over HTTP through `crate::client`; which backend (an embedded one the
//! launcher started, or a remote one) arrives as a `Connection` from `crate::launcher`.
pub mod actions;
pub mod app;
pub mod command;
pub mod config;
pub mod pacing;
pub mod connection;
pub mod request;
pub mod screens;
pub mod style;
pub mod widgets;

pub use app::Connection;

use crate::client::{Client, ClientError};
use app::ConsoleApp;
use config::ConsoleConfig;
use request::Net;

/// Why the console could not run.
#[derive(Debug, thiserror::Error)]
pub enum UiError {
    #[error("invalid endpoint: {0}")]
    Endpoint(#[source] ClientError),
    #[error("the console window failed: {0}")]
    Window(#[from] eframe::Error),
}

/// Opens the console window on `connection` and returns when it closes. Requests run on `rt`.
/// A remote connection without credentials takes them from the console's settings file, or
/// opens on the Settings screen to ask for them.
pub fn run(mut connection: Connection, rt: tokio::runtime::Handle) -> Result<(), UiError> {
    let config_path = config::default_path();
    let config = match &config_path {
        Some(path) => ConsoleConfig::load(path).unwrap_or_else(|e| {
            tracing::warn!(%e, "ignoring the console settings file");
            ConsoleConfig::default()
        }),
        None => ConsoleConfig::default(),
    };
    let needs_credentials = !connection.embedded && connection.credentials.access_key_id.is_empty();
    if needs_credentials {
        match config.credentials() {
            Some(c) => {
                connection.credentials = c;
                connection.credentials_source = "the console's settings file".to_string();
            }
            None => tracing::warn!("no credentials for {}: enter them on the Settings screen", connection.endpoint),
        }
    }

    let client = Client::with_trust(&connection.endpoint, connection.credentials.clone(), &connection.trust).map_err(UiError::Endpoint)?;
    let net = Net { client, rt };
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
    eframe::run_native("mirrorvault", options, Box::new(move |_cc| Ok(Box::new(app))))?;
    Ok(())
}
