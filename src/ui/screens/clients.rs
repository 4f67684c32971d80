//! Backup clients: list (with where each one's jobs run: its agent online or offline, its host,
//! version and last heartbeat, or the backend), create (which creates the client's source
//! vault), delete, and the "Connect an agent" panel of the selected client.
use egui::{RichText, Ui};
use serde_json::Value;

use crate::api::client::CreateBackupClientResponse;
use super::agent_connect;
use crate::ui::app::{Connection, Data};
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net};
use crate::ui::widgets::client_host::{self, Liveness};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header, section};

#[derive(Default)]
pub struct ClientsState {
    pub name: String,
    pub region: Option<String>,
    pub create: Action<CreateBackupClientResponse>,
    pub delete: Action<Value>,
    /// The client whose deletion waits for confirmation: (id, name).
    pub confirm_delete: Option<(String, String)>,
    pub message: Option<String>,
    /// The client the "Connect an agent" panel is for (the first one until another is clicked).
    pub selected: Option<String>,
    /// Scroll the panel into view on the next frame (after a click on a client's name).
    scroll_to_panel: bool,
}

impl ClientsState {
    pub fn start_create(&mut self, net: &Net, ctx: &egui::Context, name: String, region_id: String) {
        self.message = None;
        self.create.start(net, ctx, move |c| async move { c.create_backup_client(&name, &region_id, None).await });
    }

    pub fn start_delete(&mut self, net: &Net, ctx: &egui::Context, client_id: String, client_name: String) {
        self.message = None;
        let started = self.delete.start(net, ctx, move |c| async move { c.delete_backup_client(&client_id).await });
        if started {
            self.message = Some(format!("Deleting {client_name}…"));
        }
    }

    /// Returns true when a create or delete finished (the app then refreshes).
    pub fn poll(&mut self) -> bool {
        let mut done = false;
        if self.create.poll() {
            done = true;
            if let Some(Ok(r)) = &self.create.result {
                self.message = Some(format!("Backup client {} created with its vault {}.", self.name.trim(), r.vault_id));
                self.name.clear();
            }
        }
        if self.delete.poll() {
            done = true;
            if matches!(self.delete.result, Some(Ok(_))) {
                self.message = self.confirm_delete.take().map(|(_, name)| format!("Backup client {name} deleted."));
            }
        }
        done
    }
}

pub fn ui(ui: &mut Ui, state: &mut ClientsState, data: &Data, connection: &Connection, commands: &mut Vec<UiCommand>) {
    screen_header(
        ui,
        "Backup clients",
        "Machines that back up into a vault. Creating a client creates its source vault in the chosen region; an agent on the machine then runs its backups and restores there.",
    );
    egui::ScrollArea::vertical().id_salt("clients").auto_shrink([false, false]).show(ui, |ui| {
        create_ui(ui, state, data, commands);
        ui.add_space(10.0);
        list_ui(ui, state, data, commands);
        ui.add_space(10.0);
        connect_ui(ui, state, data, connection, commands);
    });
}

/// The panel of the selected client (the first by name until one is clicked).
fn connect_ui(ui: &mut Ui, state: &mut ClientsState, data: &Data, connection: &Connection, commands: &mut Vec<UiCommand>) {
    let Some(clients) = data.clients.value().filter(|cs| !cs.is_empty()) else { return };
    let client = match clients.iter().find(|c| state.selected.as_deref() == Some(c.client_id.as_str())) {
        Some(c) => c,
        None => {
            let Some(first) = clients.iter().min_by(|a, b| a.client_name.cmp(&b.client_name)) else { return };
            state.selected = Some(first.client_id.clone());
            first
        }
    };
    let response = ui.scope(|ui| agent_connect::ui(ui, client, data.host(&client.client_id), connection, commands)).response;
    if std::mem::take(&mut state.scroll_to_panel) {
        response.scroll_to_me(Some(egui::Align::TOP));
    }
}

fn create_ui(ui: &mut Ui, state: &mut ClientsState, data: &Data, commands: &mut Vec<UiCommand>) {
    section(ui, "New backup client", |ui| {
        let busy = state.create.is_running();
        ui.horizontal(|ui| {
            let label = ui.label("Name");
            ui.add(egui::TextEdit::singleline(&mut state.name).hint_text("e.g. db-02").desired_width(200.0).interactive(!busy)).labelled_by(label.id);
            ui.add_space(10.0);
            let label = ui.label("Client region");
            if state.region.is_none() {
                state.region = data.regions.value().and_then(|r| r.first()).map(|r| r.region_id.clone());
            }
            let selected = state.region.as_deref().map(|r| data.region_label(r)).unwrap_or_else(|| "Choose a region".into());
            egui::ComboBox::from_id_salt("client-region")
                .selected_text(selected)
                .width(220.0)
                .show_ui(ui, |ui| {
                    for r in data.regions.value().map(Vec::as_slice).unwrap_or(&[]) {
                        ui.selectable_value(&mut state.region, Some(r.region_id.clone()), data.region_label(&r.region_id));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.add_space(10.0);
            let ready = !busy && !state.name.trim().is_empty() && state.region.is_some();
            if ui.add_enabled(ready, egui::Button::new("Create client")).clicked() {
                if let Some(region_id) = state.region.clone() {
                    commands.push(UiCommand::CreateBackupClient { name: state.name.trim().to_string(), region_id });
                }
            }
            if busy {
                ui.spinner();
            }
        });
        if let Some(e) = state.create.error() {
            error_label(ui, e.to_string());
        }
    });
}

fn list_ui(ui: &mut Ui, state: &mut ClientsState, data: &Data, commands: &mut Vec<UiCommand>) {
    section(ui, "Clients", |ui| {
        if let Some(message) = &state.message {
            ui.label(RichText::new(message).color(palette::OK));
        }
        if let Some(e) = state.delete.error() {
            error_label(ui, e.to_string());
        }
        if let Some(e) = data.clients.error() {
            error_label(ui, format!("Could not load backup clients: {e}"));
        }
        let Some(clients) = data.clients.value() else {
            if data.clients.error().is_none() {
                ui.spinner();
            }
            return;
        };
        if clients.is_empty() {
            ui.label(muted(ui, "No backup clients yet."));
            return;
        }
        let mut clients: Vec<_> = clients.iter().collect();
        clients.sort_by(|a, b| a.client_name.cmp(&b.client_name));
        let now = format::now_unix();
        let busy = state.delete.is_running();
        ui.label(muted(ui, "Click a client's name for the commands that connect its agent."));
        ui.add_space(4.0);
        egui::Grid::new("clients-table").num_columns(7).striped(true).spacing([18.0, 6.0]).show(ui, |ui| {
            // Two-line cells would otherwise wrap their text at the narrowest width.
            ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
            for h in ["Name", "Vault", "Agent", "Last heartbeat", "Host", "Created", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for c in clients {
                let info = data.host(&c.client_id);
                let liveness = Liveness::of(info);
                let kind = match c.client_type.as_str() {
                    "FILE" => "Files",
                    "SQLSERVER" => "SQL Server",
                    other => other,
                };
                cell(ui, Some(muted(ui, kind)), |ui| {
                    let selected = state.selected.as_deref() == Some(c.client_id.as_str());
                    let name = ui.selectable_label(selected, RichText::new(&c.client_name).strong()).on_hover_text(format!("{} · show how to connect its agent", c.client_id));
                    if name.clicked() {
                        state.selected = Some(c.client_id.clone());
                        state.scroll_to_panel = true;
                    }
                });
                cell(ui, Some(muted(ui, data.region_label(&c.vault_region_id))), |ui| {
                    let vault = data.vault(&c.vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| c.vault_id.clone());
                    if ui.link(vault).clicked() {
                        commands.push(UiCommand::OpenVault(c.vault_id.clone()));
                    }
                });
                cell(ui, None, |ui| client_host::liveness_ui(ui, liveness));
                cell(ui, None, |ui| match info.filter(|i| i.agent_installed) {
                    Some(i) => {
                        ui.ctx().request_repaint_after(format::ago_changes_in(i.last_heart_beat_time, now));
                        ui.label(format::ago(i.last_heart_beat_time, now)).on_hover_text(format::datetime(i.last_heart_beat_time));
                    }
                    None => {
                        ui.label(muted(ui, "—"));
                    }
                });
                match info {
                    Some(i) if i.agent_installed => cell(ui, Some(muted(ui, client_host::version_label(i))), |ui| {
                        ui.label(client_host::host_label(info));
                    }),
                    Some(i) => cell(ui, None, |ui| {
                        ui.label(muted(ui, "the backend host")).on_hover_text(format!("{} ({})", i.hostname, client_host::version_label(i)));
                    }),
                    None => cell(ui, None, |ui| {
                        ui.label(muted(ui, "…"));
                    }),
                }
                cell(ui, None, |ui| {
                    ui.label(format::ago(c.created_time, now)).on_hover_text(format::datetime(c.created_time));
                });
                let confirming = state.confirm_delete.as_ref().is_some_and(|(id, _)| *id == c.client_id);
                cell(ui, None, |ui| {
                    if confirming {
                        let delete = egui::Button::new(RichText::new("Confirm delete").color(egui::Color32::WHITE)).fill(palette::ERROR);
                        if ui.add_enabled(!busy, delete).clicked() {
                            commands.push(UiCommand::DeleteBackupClient { client_id: c.client_id.clone(), client_name: c.client_name.clone() });
                        }
                        if ui.add_enabled(!busy, egui::Button::new("Cancel")).clicked() {
                            state.confirm_delete = None;
                        }
                    } else if ui.add_enabled(!busy, egui::Button::new("Delete…")).clicked() {
                        state.confirm_delete = Some((c.client_id.clone(), c.client_name.clone()));
                        state.delete.result = None;
                    }
                });
                ui.end_row();
            }
        });
    });
}

/// A table cell, top-aligned: a first line as tall as a button (so texts, links and buttons line
/// up across the row), and an optional second line below it.
fn cell(ui: &mut Ui, second: Option<RichText>, first: impl FnOnce(&mut Ui)) {
    ui.vertical(|ui| {
        ui.horizontal(|ui| {
            ui.set_min_height(ui.spacing().interact_size.y);
            first(ui);
        });
        if let Some(second) = second {
            ui.label(second);
        }
    });
}
