//! One vault on the overview: identity, usage, replication state and actions, in a card of
//! fixed height (so the overview can lay out only the visible rows).
use egui::{Align, Color32, Layout, Rect, RichText, Sense, Ui, UiBuilder};

use super::format;
use super::palette;
use crate::api::vault::{self as v, Vault};
use crate::ui::app::Data;
use crate::ui::command::UiCommand;

pub const CARD_HEIGHT: f32 = 236.0;
pub const CARD_MIN_WIDTH: f32 = 330.0;
pub const CARD_GAP: f32 = 14.0;
const PADDING: f32 = 14.0;
const ACTIONS_HEIGHT: f32 = 28.0;
/// The mirror card's action that opens the SQL Server restore wizard.
pub const SQL_RESTORE: &str = "Restore SQL Server database…";

/// Why a vault cannot get a mirror, or `None` when it can.
pub fn mirror_blocker(vault: &Vault) -> Option<String> {
    if vault.is_mirror() {
        Some("A mirror vault cannot have a mirror".into())
    } else if vault.has_mirror() {
        Some(format!("Already mirrored to {}", vault.replication_target_region_id))
    } else if vault.status == v::STATUS_INITIALIZING {
        Some("The vault is still initializing".into())
    } else if vault.status == v::STATUS_ERROR {
        Some("The vault is in error".into())
    } else {
        None
    }
}

/// The vault's status as a colour and a word.
pub fn status_look(vault: &Vault) -> (Color32, &'static str) {
    match vault.status.as_str() {
        v::STATUS_CREATED => (palette::OK, "Ready"),
        v::STATUS_INITIALIZING => (palette::WARN, "Initializing"),
        v::STATUS_ERROR => (palette::ERROR, "Error"),
        _ => (palette::WARN, "Unknown"),
    }
}

/// The replication line of a vault that has a mirror or is one, with its colour.
pub enum ReplicationLine {
    Countdown(i64),
    Progress(f32),
    Catching(i64),
    InSync { lag: i64, last: i64 },
    Problem(String),
}

pub fn replication_line(vault: &Vault, now: i64) -> Option<ReplicationLine> {
    if !vault.is_mirror() && !vault.has_mirror() {
        return None;
    }
    Some(match vault.replication_status.as_str() {
        v::REPL_WAITING_HISTORICAL => ReplicationLine::Countdown((vault.historical_replication_start_time - now).max(0)),
        v::REPL_SYNCING if vault.replication_progress.historical_replication_progress < 100 => {
            ReplicationLine::Progress(vault.replication_progress.historical_replication_progress as f32 / 100.0)
        }
        v::REPL_SYNCING => ReplicationLine::Catching(vault.replication_bytes_pending),
        v::REPL_IN_SYNC => ReplicationLine::InSync { lag: vault.replication_lag_seconds, last: vault.latest_replication_time },
        v::REPL_PAUSED => ReplicationLine::Problem(with_default(&vault.replication_status_message, "Replication is paused")),
        v::REPL_ERROR => ReplicationLine::Problem(with_default(&vault.replication_status_message, "Replication failed")),
        _ => ReplicationLine::Countdown((vault.historical_replication_start_time - now).max(0)),
    })
}

fn with_default(text: &str, default: &str) -> String {
    if text.is_empty() { default.to_string() } else { text.to_string() }
}

/// Draws the replication line; used by the card and the detail view.
pub fn replication_line_ui(ui: &mut Ui, line: &ReplicationLine, now: i64) {
    match line {
        ReplicationLine::Countdown(secs) if *secs > 0 => {
            ui.ctx().request_repaint_after(format::countdown_changes_in(*secs));
            ui.label(RichText::new(format!("Historical sync in {}", format::duration(*secs))).color(palette::WARN));
        }
        ReplicationLine::Countdown(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(RichText::new("Historical sync starting…").color(palette::WARN));
            });
        }
        ReplicationLine::Progress(p) => {
            ui.add(egui::ProgressBar::new(*p).desired_height(16.0).fill(palette::ACCENT).text(format!("Historical sync {:.0}%", p * 100.0)));
        }
        ReplicationLine::Catching(pending) => {
            ui.label(RichText::new(format!("Syncing new backups · {} pending", format::bytes(*pending))).color(palette::WARN));
        }
        ReplicationLine::InSync { lag, last } => {
            let last = if *last > 0 {
                ui.ctx().request_repaint_after(format::ago_changes_in(*last, now));
                format!(" · last sync {}", format::ago(*last, now))
            } else {
                String::new()
            };
            ui.label(RichText::new(format!("In sync · lag {}{last}", format::duration(*lag))).color(palette::OK));
        }
        ReplicationLine::Problem(message) => {
            ui.add(egui::Label::new(RichText::new(message).color(palette::ERROR)).truncate());
        }
    }
}

/// Draws the card of `vault` into `rect`.
pub fn card_ui(ui: &mut Ui, rect: Rect, vault: &Vault, data: &Data, now: i64, commands: &mut Vec<UiCommand>) {
    let visuals = ui.visuals().clone();
    let clip = ui.clip_rect().intersect(rect);
    let has_problem = vault.status == v::STATUS_ERROR || vault.region_outage || matches!(vault.replication_status.as_str(), v::REPL_ERROR | v::REPL_PAUSED);
    let border = if has_problem { palette::ERROR.gamma_multiply(0.8) } else { visuals.widgets.noninteractive.bg_stroke.color };
    ui.painter().rect(rect, 10.0, visuals.faint_bg_color, egui::Stroke::new(1.0, border), egui::StrokeKind::Inside);
    let accent = if vault.is_mirror() { palette::MIRROR } else { palette::ACCENT };
    let stripe = Rect::from_min_size(rect.min + egui::vec2(1.0, 12.0), egui::vec2(3.0, rect.height() - 24.0));
    ui.painter().rect_filled(stripe, 2.0, accent);

    let inner = rect.shrink(PADDING);
    // The card is one named group in the accessibility tree ("Vault <name>").
    let mut card = ui.new_child(
        UiBuilder::new()
            .max_rect(inner)
            .id_salt(("vault-card", &vault.vault_id))
            .layout(Layout::top_down(Align::Min))
            .accessibility_label(format!("Vault {}", vault.vault_name))
            .accessibility_role(egui::accesskit::Role::Group),
    );
    card.set_clip_rect(clip);
    let actions_rect = Rect::from_min_max(egui::pos2(inner.left(), inner.bottom() - ACTIONS_HEIGHT), inner.max);
    let body_rect = Rect::from_min_max(inner.min, egui::pos2(inner.right(), actions_rect.top() - 6.0));
    let mut body = card.new_child(UiBuilder::new().max_rect(body_rect).layout(Layout::top_down(Align::Min)));
    body.set_clip_rect(clip.intersect(body_rect.expand(2.0)));
    body_ui(&mut body, inner, vault, data, now, commands);
    let mut actions = card.new_child(UiBuilder::new().max_rect(actions_rect).layout(Layout::left_to_right(Align::Center)));
    actions.set_clip_rect(clip);
    actions_ui(&mut actions, vault, data, commands);
}

fn body_ui(ui: &mut Ui, inner: Rect, vault: &Vault, data: &Data, now: i64, commands: &mut Vec<UiCommand>) {
    ui.spacing_mut().item_spacing.y = 5.0;
    // Name (opens the details) and the mirror icon in the upper-right corner.
    ui.horizontal(|ui| {
        ui.scope(|ui| {
            ui.set_max_width(inner.width() - 34.0);
            let name = egui::Button::new(RichText::new(&vault.vault_name).size(17.0).strong()).frame(false).truncate();
            if ui.add(name).on_hover_text("Open the vault's details").clicked() {
                commands.push(UiCommand::OpenVault(vault.vault_id.clone()));
            }
        });
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| mirror_icon_ui(ui, vault, commands));
    });
    ui.horizontal(|ui| {
        ui.label(super::muted(ui, data.region_label(&vault.vault_region_id)));
        ui.label(super::muted(ui, "·"));
        let (color, word) = status_look(vault);
        super::status_dot(ui, color, word);
    });
    if vault.is_mirror() {
        let source = if vault.replication_source_vault_name.is_empty() { &vault.replication_source_vault_id } else { &vault.replication_source_vault_name };
        let text = format!("Mirror of {source} ({})", vault.replication_source_region_id);
        ui.add(egui::Label::new(RichText::new(text).color(palette::MIRROR)).truncate());
    } else if vault.has_mirror() {
        let text = format!("Mirror in {}", vault.replication_target_region_id);
        ui.add(egui::Label::new(RichText::new(text).color(palette::MIRROR)).truncate());
    }
    ui.add_space(2.0);

    // Usage.
    ui.horizontal(|ui| {
        let column = ((inner.width() - 16.0) / 3.0).max(60.0);
        for (label, value, hover) in [
            ("Storage", format::bytes(vault.storage_size), String::new()),
            ("Snapshots", vault.snapshot_count.to_string(), String::new()),
            ("Last backup", { ui.ctx().request_repaint_after(format::ago_changes_in(vault.latest_backup_time, now)); format::ago(vault.latest_backup_time, now) }, format::datetime(vault.latest_backup_time)),
        ] {
            ui.allocate_ui_with_layout(egui::vec2(column, 36.0), Layout::top_down(Align::Min), |ui| {
                ui.set_min_width(column);
                ui.spacing_mut().item_spacing.y = 1.0;
                ui.label(super::muted(ui, label).small());
                let r = ui.label(RichText::new(value).size(15.0));
                if !hover.is_empty() {
                    r.on_hover_text(hover);
                }
            });
        }
    });
    let clients = if vault.backup_client_names.is_empty() { "none".to_string() } else { vault.backup_client_names.join(", ") };
    ui.horizontal(|ui| {
        // The next scheduled backup of the vault's plans first (the client names truncate).
        if let Some((at, plan)) = data.next_plan_run(&vault.vault_id) {
            ui.ctx().request_repaint_after(format::countdown_changes_in(at - now));
            ui.label(super::muted(ui, "Next backup"));
            ui.label(format!("in {}", format::duration(at - now))).on_hover_text(format!("Plan {plan}: {}", format::datetime(at)));
        }
        ui.label(super::muted(ui, "Clients"));
        ui.add(egui::Label::new(clients).truncate());
    });

    // Problems in red, then the replication state.
    if vault.status == v::STATUS_ERROR {
        let message = with_default(&vault.vault_status_message, "The vault is in error");
        ui.add(egui::Label::new(RichText::new(&message).color(palette::ERROR)).truncate()).on_hover_text(message);
    }
    if let Some(line) = replication_line(vault, now) {
        replication_line_ui(ui, &line, now);
    }
}

fn actions_ui(ui: &mut Ui, vault: &Vault, data: &Data, commands: &mut Vec<UiCommand>) {
    if vault.is_mirror() {
        let source_clients = data.clients_of(&vault.replication_source_vault_id);
        let has_sql = source_clients.iter().any(|c| c.client_type.eq_ignore_ascii_case("SQLSERVER"));
        let has_files = !has_sql || source_clients.iter().any(|c| c.client_type.eq_ignore_ascii_case("FILE"));
        if has_files && ui.button("Restore…").on_hover_text("Restore this mirror's latest snapshot into a folder").clicked() {
            commands.push(UiCommand::OpenRestore { vault_id: vault.vault_id.clone(), snapshot_id: None });
        }
        if has_sql && ui.button(SQL_RESTORE).on_hover_text("Restore a SQL Server database from this mirror onto an instance in its region").clicked() {
            commands.push(UiCommand::OpenSqlWizard { vault_id: Some(vault.vault_id.clone()) });
        }
    } else if data.clients_of(&vault.vault_id).iter().any(|c| c.client_type.eq_ignore_ascii_case("FILE")) {
        let ready = vault.status == v::STATUS_CREATED;
        let r = ui.add_enabled(ready, egui::Button::new("Back up now")).on_disabled_hover_text("The vault is not ready");
        if r.clicked() {
            commands.push(UiCommand::BackUpNow { vault_id: vault.vault_id.clone() });
        }
    }
    if ui.button("Details").clicked() {
        commands.push(UiCommand::OpenVault(vault.vault_id.clone()));
    }
}

/// The upper-right icon that opens Create Mirror Vault, disabled with the reason where it cannot.
fn mirror_icon_ui(ui: &mut Ui, vault: &Vault, commands: &mut Vec<UiCommand>) {
    let blocker = mirror_blocker(vault);
    let image = egui::Image::new(egui::include_image!("../../../assets/mirror-vault.png")).fit_to_exact_size(egui::vec2(22.0, 22.0));
    let button = egui::Button::image(image).frame(false).sense(Sense::click());
    let response = ui.add_enabled(blocker.is_none(), button);
    let label = format!("Create mirror vault for {}", vault.vault_name);
    ui.ctx().accesskit_node_builder(response.id, |node| node.set_label(label));
    let response = match &blocker {
        None => response.on_hover_text("Create mirror vault"),
        Some(reason) => response.on_disabled_hover_text(reason),
    };
    if response.clicked() {
        commands.push(UiCommand::OpenCreateMirror { vault_id: vault.vault_id.clone() });
    }
}
