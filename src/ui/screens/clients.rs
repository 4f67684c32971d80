//! Backup clients: list, create (which creates the client's source vault), delete.
use egui::{RichText, Ui};
use serde_json::Value;

use crate::api::client::CreateBackupClientResponse;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net};
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

pub fn ui(ui: &mut Ui, state: &mut ClientsState, data: &Data, commands: &mut Vec<UiCommand>) {
    screen_header(ui, "Backup clients", "Machines that back up into a vault. Creating a client creates its source vault in the chosen region.");
    egui::ScrollArea::vertical().id_salt("clients").auto_shrink([false, false]).show(ui, |ui| {
        create_ui(ui, state, data, commands);
        ui.add_space(10.0);
        list_ui(ui, state, data, commands);
    });
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
        egui::Grid::new("clients-table").num_columns(6).striped(true).spacing([18.0, 6.0]).show(ui, |ui| {
            for h in ["Name", "Type", "Region", "Vault", "Created", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for c in clients {
                ui.label(RichText::new(&c.client_name).strong());
                ui.label(match c.client_type.as_str() {
                    "FILE" => "Files",
                    "SQLSERVER" => "SQL Server",
                    other => other,
                });
                ui.label(data.region_label(&c.vault_region_id));
                let vault = data.vault(&c.vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| c.vault_id.clone());
                if ui.link(vault).clicked() {
                    commands.push(UiCommand::OpenVault(c.vault_id.clone()));
                }
                ui.label(format::ago(c.created_time, now)).on_hover_text(format::datetime(c.created_time));
                let confirming = state.confirm_delete.as_ref().is_some_and(|(id, _)| *id == c.client_id);
                ui.horizontal(|ui| {
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
