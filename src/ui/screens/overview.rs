//! Overview: every vault as a card in a responsive grid, filtered by region and name; a source
//! vault's mirror follows it on the same row, framed together with it.
use std::collections::{HashMap, HashSet};

use egui::{Rect, Ui};

use crate::api::vault::Vault;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::widgets::create_vault_dialog::{self, CreateVaultCommand};
use crate::ui::widgets::vault_card::{self, CARD_GAP, CARD_HEIGHT, CARD_MIN_WIDTH};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header};

/// What an empty Overview says.
pub const EMPTY_TEXT: &str = "No vaults yet. Click \"Create vault…\" above to create the first one.";
/// Room around a card for the frame that groups a source with its mirror.
const GROUP_PAD: f32 = 5.0;

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
            let text = if all.is_empty() { EMPTY_TEXT } else { "No vault matches the filter." };
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
            let create = egui::Button::new(egui::RichText::new(create_vault_dialog::OPEN_BUTTON).strong());
            if ui.add(create).on_hover_text("Create a new vault in a region").clicked() {
                commands.push(UiCommand::CreateVault(CreateVaultCommand::Open));
            }
            if ui.button("Refresh").clicked() {
                commands.push(UiCommand::Refresh);
            }
            if data.vaults.is_loading() && data.vaults.error().is_none() {
                ui.spinner();
            }
        });
    });
}

/// One card of the grid: the vault, and whether it sits right of its source on the same row.
#[derive(Clone, Copy, Debug)]
pub struct Slot<'a> {
    pub vault: &'a Vault,
    pub beside_source: bool,
}

/// The cards in display order: each vault in catalog order, a source followed at once by its
/// mirror(s). A mirror whose source is not among `vaults` (filtered out, or gone) stands alone.
pub fn grouped<'a>(vaults: &[&'a Vault]) -> Vec<Vec<&'a Vault>> {
    let shown: HashSet<&str> = vaults.iter().map(|v| v.vault_id.as_str()).collect();
    let mut mirrors: HashMap<&str, Vec<&'a Vault>> = HashMap::new();
    for v in vaults.iter().filter(|v| v.is_mirror() && shown.contains(v.replication_source_vault_id.as_str())) {
        mirrors.entry(v.replication_source_vault_id.as_str()).or_default().push(v);
    }
    let mut groups = Vec::with_capacity(vaults.len());
    for v in vaults {
        if v.is_mirror() && shown.contains(v.replication_source_vault_id.as_str()) {
            continue; // placed after its source
        }
        let mut group = vec![*v];
        if !v.is_mirror() {
            group.extend(mirrors.remove(v.vault_id.as_str()).unwrap_or_default());
        }
        groups.push(group);
    }
    groups
}

/// Fills rows of `columns` cards with `groups` in order; a group that fits in a row is never
/// split across two (the row before it ends early instead).
pub fn rows<'a>(groups: &[Vec<&'a Vault>], columns: usize) -> Vec<Vec<Slot<'a>>> {
    let columns = columns.max(1);
    let mut rows: Vec<Vec<Slot<'a>>> = Vec::new();
    let mut row: Vec<Slot<'a>> = Vec::with_capacity(columns);
    for group in groups {
        if group.len() <= columns && row.len() + group.len() > columns {
            rows.push(std::mem::replace(&mut row, Vec::with_capacity(columns)));
        }
        for (i, vault) in group.iter().enumerate() {
            if row.len() == columns {
                rows.push(std::mem::replace(&mut row, Vec::with_capacity(columns)));
            }
            let beside_source = i > 0 && !row.is_empty();
            row.push(Slot { vault, beside_source });
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
}

/// Lays out only the visible rows of cards; a source and its mirror share a row, a tinted frame
/// and an arrow between them.
fn grid_ui(ui: &mut Ui, vaults: &[&Vault], data: &Data, commands: &mut Vec<UiCommand>) {
    let width = ui.available_width() - 12.0 - 2.0 * GROUP_PAD; // room for the scroll bar and the frames
    let columns = (((width + CARD_GAP) / (CARD_MIN_WIDTH + CARD_GAP)).floor() as usize).max(1);
    let card_width = ((width - CARD_GAP * (columns as f32 - 1.0)) / columns as f32).max(200.0);
    let layout = rows(&grouped(vaults), columns);
    let now = format::now_unix();
    // Each row keeps GROUP_PAD above and below its cards for the pairs' frames; the rows' pitch
    // stays CARD_HEIGHT + CARD_GAP.
    ui.spacing_mut().item_spacing.y = CARD_GAP - 2.0 * GROUP_PAD;
    let row_height = CARD_HEIGHT + 2.0 * GROUP_PAD;
    egui::ScrollArea::vertical().id_salt("vault-grid").auto_shrink([false, false]).show_rows(ui, row_height, layout.len(), |ui, range| {
        for row in &layout[range] {
            let (row_rect, _) = ui.allocate_exact_size(egui::vec2(width + 2.0 * GROUP_PAD, row_height), egui::Sense::hover());
            let origin = row_rect.min + egui::vec2(GROUP_PAD, GROUP_PAD);
            let rect_of = |col: usize| Rect::from_min_size(origin + egui::vec2(col as f32 * (card_width + CARD_GAP), 0.0), egui::vec2(card_width, CARD_HEIGHT));
            // The pairs' frames first, under the cards.
            for (col, _) in row.iter().enumerate().filter(|(_, s)| s.beside_source) {
                pair_frame_ui(ui, rect_of(col - 1).union(rect_of(col)));
            }
            for (col, slot) in row.iter().enumerate() {
                vault_card::card_ui(ui, rect_of(col), slot.vault, data, now, commands);
            }
            for (col, slot) in row.iter().enumerate().filter(|(_, s)| s.beside_source) {
                connector_ui(ui, rect_of(col - 1), rect_of(col), slot.vault);
            }
        }
    });
}

/// The subtle frame around a source and its mirror.
fn pair_frame_ui(ui: &Ui, pair: Rect) {
    let frame = pair.expand(GROUP_PAD);
    ui.painter().rect(frame, 14.0, palette::MIRROR.gamma_multiply(0.07), egui::Stroke::new(1.0, palette::MIRROR.gamma_multiply(0.35)), egui::StrokeKind::Inside);
}

/// The arrow from a source's card to its mirror's, in the gap between them at the name's height.
fn connector_ui(ui: &Ui, source: Rect, mirror: Rect, vault: &Vault) {
    let center = egui::pos2((source.right() + mirror.left()) / 2.0, source.top() + 27.0);
    let badge = Rect::from_center_size(center, egui::vec2(24.0, 24.0));
    let painter = ui.painter().with_clip_rect(ui.clip_rect());
    painter.circle(center, 12.0, palette::MIRROR, egui::Stroke::new(2.0, ui.visuals().panel_fill));
    let stroke = egui::Stroke::new(2.0, egui::Color32::WHITE);
    let (tail, head) = (center - egui::vec2(5.5, 0.0), center + egui::vec2(5.5, 0.0));
    painter.line_segment([tail, head], stroke);
    painter.line_segment([head, head + egui::vec2(-4.0, -4.0)], stroke);
    painter.line_segment([head, head + egui::vec2(-4.0, 4.0)], stroke);
    let source_name = if vault.replication_source_vault_name.is_empty() { &vault.replication_source_vault_id } else { &vault.replication_source_vault_name };
    ui.interact(badge, ui.scope_id().with(("mirror-connector", &vault.vault_id)), egui::Sense::hover())
        .on_hover_text(format!("{} ({}) mirrors {source_name} ({})", vault.vault_name, vault.vault_region_id, vault.replication_source_region_id));
}
