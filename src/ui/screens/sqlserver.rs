//! SQL Server: registered instances per vault (engine, status, "Back up now"), the restore
//! wizard's entry, and the region outage switches of a disaster-recovery drill.
use std::time::Duration;

use egui::{RichText, Ui};

use crate::api::sqlserver::Instance;
use crate::api::vault::STATUS_CREATED;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::request::{Net, Requested};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header, section, status_dot};

const REFRESH: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct SqlServerState {
    pub instances: Requested<Vec<Instance>>,
}

impl SqlServerState {
    pub fn refresh_due(&mut self, net: &Net, ctx: &egui::Context) {
        if self.instances.is_stale(REFRESH) {
            self.instances.request(net, ctx, |c| async move {
                let mut list = c.describe_sql_server_instances(None).await?.instances.instance;
                list.sort_by(|a, b| a.vault_id.cmp(&b.vault_id).then(a.created_time.cmp(&b.created_time)).then(a.cluster_id.cmp(&b.cluster_id)));
                Ok(list)
            });
        }
    }

    pub fn poll(&mut self) {
        self.instances.poll();
    }

    pub fn invalidate(&mut self) {
        self.instances.invalidate();
    }

    /// The instance's name for notices.
    pub fn instance_title(&self, cluster_id: &str) -> String {
        self.instances.value().and_then(|l| l.iter().find(|i| i.cluster_id == cluster_id)).map(super::sql_wizard::instance_title).unwrap_or_else(|| cluster_id.to_string())
    }
}

pub fn ui(ui: &mut Ui, state: &mut SqlServerState, data: &Data, commands: &mut Vec<UiCommand>) {
    screen_header(ui, "SQL Server", "Back up SQL Server databases into a vault and restore them from its mirror in another region.");
    egui::ScrollArea::vertical().id_salt("sqlserver-screen").auto_shrink([false, false]).show(ui, |ui| {
        drill_ui(ui, data, commands);
        ui.add_space(10.0);
        instances_ui(ui, state, data, commands);
        ui.add_space(10.0);
        vaults_ui(ui, data, commands);
    });
}

fn drill_ui(ui: &mut Ui, data: &Data, commands: &mut Vec<UiCommand>) {
    section(ui, "Disaster-recovery drill", |ui| {
        ui.horizontal(|ui| {
            ui.label("Restore a database from a mirror vault onto an instance in the mirror's region, verified, with a drill report.");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button(RichText::new("Restore SQL Server database…").strong()).clicked() {
                    commands.push(UiCommand::OpenSqlWizard { vault_id: None });
                }
            });
        });
        ui.add_space(6.0);
        ui.label(RichText::new("Region outage").strong());
        ui.label(muted(ui, "Mark a region unavailable to rehearse its loss: the backend then refuses every read and write of its location. Lifting it resumes replication."));
        let Some(regions) = data.regions.value() else {
            match data.regions.error() {
                Some(e) => error_label(ui, format!("Could not load the regions: {e}")),
                None => {
                    ui.spinner();
                }
            }
            return;
        };
        egui::Grid::new("sql-outages").num_columns(3).spacing([24.0, 6.0]).show(ui, |ui| {
            for r in regions {
                ui.label(data.region_label(&r.region_id));
                if r.outage {
                    status_dot(ui, palette::ERROR, "Unavailable (outage)");
                } else {
                    status_dot(ui, palette::OK, "Available");
                }
                let mut on = r.outage;
                let text = RichText::new(format!("{} outage", r.region_id));
                let text = if r.outage { text.color(palette::ERROR).strong() } else { text };
                if ui.checkbox(&mut on, text).changed() {
                    commands.push(UiCommand::SetRegionOutage { region_id: r.region_id.clone(), outage: on });
                }
                ui.end_row();
            }
        });
        if let Some(e) = data.regions.error() {
            error_label(ui, format!("Could not load the regions: {e}"));
        }
    });
}

fn instances_ui(ui: &mut Ui, state: &SqlServerState, data: &Data, commands: &mut Vec<UiCommand>) {
    section(ui, "Instances", |ui| {
        let list = match (state.instances.value(), state.instances.error()) {
            (_, Some(e)) => return error_label(ui, format!("Could not load the instances: {e}")),
            (None, None) => {
                ui.spinner();
                return;
            }
            (Some(list), None) => list,
        };
        if list.is_empty() {
            ui.label(muted(ui, "No SQL Server instance is registered. Register one in the restore wizard, or through the API."));
            return;
        }
        let mut vault_ids: Vec<&str> = list.iter().map(|i| i.vault_id.as_str()).collect();
        vault_ids.dedup();
        for vault_id in vault_ids {
            let vault = data.vault(vault_id);
            ui.horizontal(|ui| {
                let name = vault.map(|v| v.vault_name.as_str()).unwrap_or(vault_id);
                if ui.link(RichText::new(name).strong()).clicked() {
                    commands.push(UiCommand::OpenVault(vault_id.to_string()));
                }
                if let Some(v) = vault {
                    ui.label(muted(ui, data.region_label(&v.vault_region_id)));
                    if v.is_mirror() {
                        ui.label(RichText::new("mirror: restore target").color(palette::MIRROR));
                    }
                    if v.region_outage || v.status == crate::api::vault::STATUS_ERROR {
                        ui.label(RichText::new("region unavailable").color(palette::ERROR));
                    }
                }
            });
            egui::Grid::new(("sql-instances", vault_id)).num_columns(5).striped(true).spacing([18.0, 6.0]).show(ui, |ui| {
                for i in list.iter().filter(|i| i.vault_id == vault_id) {
                    ui.label(super::sql_wizard::instance_title(i));
                    ui.label(RichText::new(&i.engine_label).color(palette::ACCENT));
                    let color = if i.status == "ONLINE" { palette::OK } else { palette::ERROR };
                    let r = ui.horizontal(|ui| status_dot(ui, color, i.status.clone())).response;
                    if !i.status_message.is_empty() {
                        r.on_hover_text(&i.status_message);
                    }
                    ui.add(egui::Label::new(muted(ui, &i.server_name).monospace()).truncate());
                    if i.vault_is_mirror {
                        ui.label(muted(ui, "restore only"));
                    } else {
                        let ready = i.status == "ONLINE" && vault.is_some_and(|v| v.status == STATUS_CREATED);
                        let r = ui.add_enabled(ready, egui::Button::new("Back up now")).on_disabled_hover_text("The instance or its vault is not available");
                        if r.clicked() {
                            commands.push(UiCommand::BackUpSqlInstance { cluster_id: i.cluster_id.clone() });
                        }
                    }
                    ui.end_row();
                }
            });
            ui.add_space(8.0);
        }
    });
}

fn vaults_ui(ui: &mut Ui, data: &Data, commands: &mut Vec<UiCommand>) {
    section(ui, "Vaults usable for SQL Server", |ui| {
        let Some(vaults) = data.vaults.value() else {
            match data.vaults.error() {
                Some(e) => error_label(ui, format!("Could not load vaults: {e}")),
                None => {
                    ui.spinner();
                }
            }
            return;
        };
        let usable: Vec<_> = vaults.iter().filter(|v| v.status == STATUS_CREATED).collect();
        if usable.is_empty() {
            ui.label(muted(ui, "No vault is ready. Create a backup client to create a vault."));
            return;
        }
        ui.label(muted(ui, "Back up into a source vault; restore in another region from its mirror."));
        ui.add_space(4.0);
        egui::Grid::new("sql-vaults").num_columns(5).striped(true).spacing([18.0, 6.0]).show(ui, |ui| {
            for h in ["Vault", "Region", "Use", "Snapshots", "Storage"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for v in usable {
                if ui.link(&v.vault_name).clicked() {
                    commands.push(UiCommand::OpenVault(v.vault_id.clone()));
                }
                ui.label(data.region_label(&v.vault_region_id));
                if v.is_mirror() {
                    let source = if v.replication_source_vault_name.is_empty() { &v.replication_source_vault_id } else { &v.replication_source_vault_name };
                    ui.label(RichText::new(format!("Restore (mirror of {source})")).color(palette::MIRROR));
                } else {
                    ui.label("Backup and restore");
                }
                ui.label(v.snapshot_count.to_string());
                ui.label(format::bytes(v.storage_size));
                ui.end_row();
            }
        });
    });
}
