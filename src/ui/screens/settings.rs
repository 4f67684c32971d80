//! Settings: the connection (endpoint, access key with the secret masked), the backend's
//! read-only settings, and the theme.
use egui::{RichText, Ui};

use crate::ui::app::{Connection, Data};
use crate::ui::command::UiCommand;
use crate::ui::config::{mask_secret, ConsoleConfig};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header, section};

pub struct SettingsState {
    /// Editable connection fields (saved to the console's settings file).
    pub endpoint: String,
    pub access_key_id: String,
    /// A new secret typed by the user; empty keeps the saved one.
    pub new_secret: String,
    pub saved_secret_mask: String,
    pub saved: bool,
}

impl SettingsState {
    pub fn new(connection: &Connection, config: &ConsoleConfig) -> SettingsState {
        let endpoint = if config.endpoint.is_empty() && !connection.embedded { connection.endpoint.clone() } else { config.endpoint.clone() };
        SettingsState {
            endpoint,
            access_key_id: config.access_key_id.clone(),
            new_secret: String::new(),
            saved_secret_mask: if config.access_key_secret.is_empty() { String::new() } else { mask_secret(&config.access_key_secret) },
            saved: false,
        }
    }
}

pub fn ui(ui: &mut Ui, state: &mut SettingsState, connection: &Connection, data: &Data, commands: &mut Vec<UiCommand>) {
    screen_header(ui, "Settings", "");
    egui::ScrollArea::vertical().id_salt("settings").auto_shrink([false, false]).show(ui, |ui| {
        section(ui, "Connection", |ui| {
            egui::Grid::new("connection").num_columns(2).spacing([24.0, 8.0]).show(ui, |ui| {
                ui.label(muted(ui, "Endpoint"));
                ui.label(RichText::new(&connection.endpoint).monospace());
                ui.end_row();
                ui.label(muted(ui, "Backend"));
                ui.label(if connection.embedded { "Embedded (started by this console)" } else { "Remote" });
                ui.end_row();
                ui.label(muted(ui, "Access key ID"));
                ui.label(RichText::new(&connection.credentials.access_key_id).monospace());
                ui.end_row();
                ui.label(muted(ui, "Access key secret"));
                ui.label(RichText::new(mask_secret(&connection.credentials.access_key_secret)).monospace());
                ui.end_row();
                ui.label(muted(ui, "Credentials from"));
                ui.label(&connection.credentials_source);
                ui.end_row();
            });
        });
        ui.add_space(10.0);
        remote_ui(ui, state, connection, commands);
        ui.add_space(10.0);
        section(ui, "Backend settings", |ui| {
            if let Some(e) = data.settings.error() {
                error_label(ui, format!("Could not load the backend's settings: {e}"));
            }
            match data.settings.value() {
                None => {
                    if data.settings.error().is_none() {
                        ui.spinner();
                    }
                }
                Some(s) => {
                    egui::Grid::new("backend-settings").num_columns(2).spacing([24.0, 8.0]).show(ui, |ui| {
                        ui.label(muted(ui, "Data directory"));
                        ui.label(RichText::new(&s.data_dir).monospace());
                        ui.end_row();
                        ui.label(muted(ui, "Historical sync delay"));
                        ui.label(format::duration(s.historical_sync_delay_seconds));
                        ui.end_row();
                        ui.label(muted(ui, "Version"));
                        ui.label(&s.version);
                        ui.end_row();
                        ui.label(muted(ui, "Demo content"));
                        ui.label(if s.demo { "Yes" } else { "No" });
                        ui.end_row();
                    });
                    ui.label(muted(ui, "These are set when the backend starts (`mirrorvault serve --historical-sync-delay …`)."));
                }
            }
        });
        ui.add_space(10.0);
        section(ui, "Appearance", |ui| {
            let dark = ui.visuals().dark_mode;
            ui.horizontal(|ui| {
                if ui.radio(dark, "Dark").clicked() && !dark {
                    commands.push(UiCommand::SetDarkMode(true));
                }
                if ui.radio(!dark, "Light").clicked() && dark {
                    commands.push(UiCommand::SetDarkMode(false));
                }
            });
        });
    });
}

fn remote_ui(ui: &mut Ui, state: &mut SettingsState, connection: &Connection, commands: &mut Vec<UiCommand>) {
    section(ui, "Remote backend credentials", |ui| {
        ui.label(muted(
            ui,
            "Saved to the console's settings file (readable by you only) and used when the console starts with --endpoint and no credentials in the environment.",
        ));
        ui.add_space(4.0);
        egui::Grid::new("remote").num_columns(2).spacing([24.0, 8.0]).show(ui, |ui| {
            let label = ui.label("Remote endpoint");
            ui.add(egui::TextEdit::singleline(&mut state.endpoint).hint_text("https://backup.example.com:8765").desired_width(320.0)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Access key ID");
            ui.add(egui::TextEdit::singleline(&mut state.access_key_id).desired_width(320.0)).labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Access key secret");
            let hint = if state.saved_secret_mask.is_empty() { "Not saved".to_string() } else { format!("Saved: {} (type to replace)", state.saved_secret_mask) };
            ui.add(egui::TextEdit::singleline(&mut state.new_secret).password(true).hint_text(hint).desired_width(320.0)).labelled_by(label.id);
            ui.end_row();
        });
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() {
                if !state.new_secret.is_empty() {
                    state.saved_secret_mask = mask_secret(state.new_secret.trim());
                }
                commands.push(UiCommand::SaveConnection);
            }
            if state.saved {
                let text = if connection.embedded { "Saved." } else { "Saved and in use." };
                ui.label(RichText::new(text).color(palette::OK));
            }
        });
    });
}
