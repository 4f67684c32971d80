//! SQL Server: the vaults a SQL Server backup or restore can use. The restore wizard (register
//! an instance in the mirror's region, pick database and backup point, restore, verify) is not
//! built yet, and the screen says so.
use egui::{RichText, Ui};

use crate::api::vault::STATUS_CREATED;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::widgets::{format, muted, palette, screen_header, section};

pub fn ui(ui: &mut Ui, data: &Data, commands: &mut Vec<UiCommand>) {
    screen_header(ui, "SQL Server", "Back up SQL Server databases into a vault and restore them from its mirror in another region.");
    section(ui, "Restore from a mirror vault", |ui| {
        ui.label("To recover a database in another region, restore it from the mirror vault there onto a SQL Server instance registered in that region.");
        ui.label(RichText::new("The guided restore wizard is not in this version of the console yet.").color(palette::WARN));
    });
    ui.add_space(10.0);
    section(ui, "Vaults usable for SQL Server", |ui| {
        let Some(vaults) = data.vaults.value() else {
            ui.spinner();
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
