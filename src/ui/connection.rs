//! What the console says about its connection, in words: connecting, unreachable, credentials
//! rejected (with a way to Settings), or healthy. Drawn in the navigation's status line and, when
//! something is wrong, as a banner above every screen.
use egui::{RichText, Ui};

use super::app::{Data, Screen};
use super::command::UiCommand;
use super::widgets::{palette, status_dot};
use crate::api::error as codes;
use crate::client::ClientError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// No answer yet.
    Connecting,
    /// `/health` answers, and no request was refused for its credentials.
    Healthy,
    /// `/health` does not answer: the backend is down or the endpoint is wrong.
    Unreachable(String),
    /// The backend answers but refuses the access key or its signature.
    CredentialsRejected { code: String, message: String },
}

/// True for the errors a wrong AccessKey ID or secret causes.
pub fn is_credentials_error(e: &ClientError) -> bool {
    match e.code() {
        Some(code) => code == codes::SIGNATURE_DOES_NOT_MATCH || code.starts_with("InvalidAccessKeyId") || code == codes::MISSING_SIGNATURE,
        None => false,
    }
}

impl Data {
    /// The connection's state from the latest health check and the latest signed requests.
    pub fn connection_state(&self) -> ConnectionState {
        if let Some(e) = self.health.error() {
            return ConnectionState::Unreachable(e.to_string());
        }
        let errors = [self.vaults.error(), self.clients.error(), self.regions.error(), self.settings.error()];
        if let Some(ClientError::Api { code, message, .. }) = errors.into_iter().flatten().find(|e| is_credentials_error(e)) {
            return ConnectionState::CredentialsRejected { code: code.clone(), message: message.clone() };
        }
        match self.health.value() {
            Some(()) => ConnectionState::Healthy,
            None => ConnectionState::Connecting,
        }
    }
}

/// The navigation's status line (drawn bottom-up: the Settings button sits above the line).
pub fn status_line_ui(ui: &mut Ui, data: &Data, embedded: bool) {
    match data.connection_state() {
        ConnectionState::Connecting => status_dot(ui, ui.visuals().weak_text_color(), "Connecting…"),
        ConnectionState::Healthy => status_dot(ui, palette::OK, if embedded { "Embedded backend healthy" } else { "Backend healthy" }),
        ConnectionState::Unreachable(e) => {
            ui.horizontal(|ui| status_dot(ui, palette::ERROR, "Backend unreachable")).response.on_hover_text(e);
        }
        ConnectionState::CredentialsRejected { code, message } => {
            // The banner above the screen carries the way to Settings.
            ui.horizontal(|ui| status_dot(ui, palette::ERROR, "Credentials rejected")).response.on_hover_text(format!("{code}: {message}"));
        }
    }
}

/// A banner saying what is wrong with the connection, above the screen; nothing when healthy.
pub fn banner_ui(ui: &mut Ui, data: &Data, endpoint: &str, on_settings: bool, commands: &mut Vec<UiCommand>) {
    let (title, text, settings_button) = match data.connection_state() {
        ConnectionState::CredentialsRejected { code, message } => (
            "Credentials rejected",
            format!("The backend at {endpoint} refused the console's access key ({code}: {message}). Check the AccessKey ID and secret under Settings."),
            !on_settings,
        ),
        ConnectionState::Unreachable(e) => ("Backend unreachable", format!("{e}. The values below are the last ones received; the console keeps trying."), false),
        ConnectionState::Connecting | ConnectionState::Healthy => return,
    };
    egui::Frame::new()
        .fill(palette::ERROR.gamma_multiply(0.12))
        .stroke(egui::Stroke::new(1.0, palette::ERROR))
        .corner_radius(6.0)
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(title).strong().color(palette::ERROR));
                if settings_button && ui.button("Open Settings").clicked() {
                    commands.push(UiCommand::Navigate(Screen::Settings));
                }
            });
            ui.add(egui::Label::new(text).wrap());
        });
    ui.add_space(8.0);
}
