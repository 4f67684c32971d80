//! Overview: every vault as a card in a responsive grid, filtered by region and name.
use egui::{Rect, Ui};

use crate::api::vault::Vault;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::widgets::vault_card::{self, CARD_GAP, CARD_HEIGHT, CARD_MIN_WIDTH};
use crate::ui::widgets::{error_label, format, muted, screen_header};

#[derive(Default)]
pub struct OverviewState {
    /// `None`: all regions.
    pub region: Option<String>,
    pub search: String,
}

impl OverviewState {
    pub fn matches(&self, vault: &Vault) -> bool {
        if let Some(region) = &self.region {
            if &vault.vault_region_id != region {
                return false;
            }
        }
        let needle = self.search.trim().to_lowercase();
        needle.is_empty() || vault.vault_name.to_lowercase().contains(&needle) || vault.vault_id.to_lowercase().contains(&needle)
    }
}

pub fn ui(ui: &mut Ui, state: &mut OverviewState, data: &Data, commands: &mut Vec<UiCommand>) {
    let all: &[Vault] = data.vaults.value().map(Vec::as_slice).unwrap_or(&[]);
    let mirrored = all.iter().filter(|v| v.has_mirror()).count();
    let mirrors = all.iter().filter(|v| v.is_mirror()).count();
    let subtitle = if data.vaults.value().is_some() {
        let mut line = format!("{} · {} protected by a mirror · {}", format::plural(all.len() as i64, "vault"), mirrored, format::plural(mirrors as i64, "mirror vault"));
        let alerted = super::alerts::vaults_with_alerts(data);
        if alerted > 0 {
            line.push_str(&format!(" · {} with alerts", format::plural(alerted as i64, "vault")));
        }
        line
    } else {
        "Your backup vaults and their cross-region mirrors".into()
    };
    screen_header(ui, "Overview", &subtitle);

    filter_bar_ui(ui, state, data, commands);
    // A refused key is said once, in the connection banner above the screen.
    if let Some(e) = data.vaults.error().filter(|e| !crate::ui::connection::is_credentials_error(e)) {
        error_label(ui, format!("Could not load vaults: {e}"));
    }
    ui.add_space(8.0);

    let vaults: Vec<&Vault> = all.iter().filter(|v| state.matches(v)).collect();
    if data.vaults.value().is_none() {
        if data.vaults.error().is_some() {
            // Never a spinner beside an error: nothing is loading until the next try.
            return;
        }
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Loading vaults…");
        });
        return;
    }
    if vaults.is_empty() {
        ui.add_space(30.0);
        ui.vertical_centered(|ui| {
            let text = if all.is_empty() { "No vaults yet. Create a backup client to create its vault." } else { "No vault matches the filter." };
            ui.label(muted(ui, text).size(16.0));
        });
        return;
    }
    grid_ui(ui, &vaults, data, commands);
}

fn filter_bar_ui(ui: &mut Ui, state: &mut OverviewState, data: &Data, commands: &mut Vec<UiCommand>) {
    ui.horizontal(|ui| {
        let label = ui.label("Region");
        let selected = match &state.region {
            Some(r) => data.region_label(r),
            None => "All regions".to_string(),
        };
        egui::ComboBox::from_id_salt("overview-region")
            .selected_text(selected)
            .width(220.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.region, None, "All regions");
                for r in data.regions.value().map(Vec::as_slice).unwrap_or(&[]) {
                    ui.selectable_value(&mut state.region, Some(r.region_id.clone()), data.region_label(&r.region_id));
                }
            })
            .response
            .labelled_by(label.id);
        ui.add_space(12.0);
        let label = ui.label("Search");
        ui.add(egui::TextEdit::singleline(&mut state.search).hint_text("Vault name or ID").desired_width(220.0)).labelled_by(label.id);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui.button("Refresh").clicked() {
                commands.push(UiCommand::Refresh);
            }
            if data.vaults.is_loading() && data.vaults.error().is_none() {
                ui.spinner();
            }
        });
    });
}

/// Lays out only the visible rows of cards.
fn grid_ui(ui: &mut Ui, vaults: &[&Vault], data: &Data, commands: &mut Vec<UiCommand>) {
    let width = ui.available_width() - 12.0; // room for the scroll bar
    let columns = (((width + CARD_GAP) / (CARD_MIN_WIDTH + CARD_GAP)).floor() as usize).max(1);
    let card_width = ((width - CARD_GAP * (columns as f32 - 1.0)) / columns as f32).max(200.0);
    let rows = vaults.len().div_ceil(columns);
    let now = format::now_unix();
    ui.spacing_mut().item_spacing.y = CARD_GAP;
    egui::ScrollArea::vertical().id_salt("vault-grid").auto_shrink([false, false]).show_rows(ui, CARD_HEIGHT, rows, |ui, range| {
        for row in range {
            let (row_rect, _) = ui.allocate_exact_size(egui::vec2(width, CARD_HEIGHT), egui::Sense::hover());
            for col in 0..columns {
                let Some(vault) = vaults.get(row * columns + col) else { break };
                let min = row_rect.min + egui::vec2(col as f32 * (card_width + CARD_GAP), 0.0);
                vault_card::card_ui(ui, Rect::from_min_size(min, egui::vec2(card_width, CARD_HEIGHT)), vault, data, now, commands);
            }
        }
    });
}
