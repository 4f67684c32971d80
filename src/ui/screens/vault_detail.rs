//! A vault's detail view: summary, replication with its lag history, snapshots with their
//! expiry, restore and delete (with a confirmation; disabled with the reason when WORM keeps
//! them), the WORM switch (with an irreversible-confirmation dialog), "Prune now" (in
//! `vault_prune`), backup, sync and delete.
use std::time::Duration;

use egui::{RichText, Ui};
use egui_plot::{HoverPosition, Line, Plot, PlotPoints, Points};
use serde_json::Value;

use crate::api::backup::Snapshot;
use crate::api::replication::ReplicationRecord;
use crate::api::vault::{self as v, Vault};
use crate::ui::app::{Data, Screen};
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net, Requested};
use crate::ui::widgets::vault_card::{replication_line, replication_line_ui, status_look};
use crate::ui::screens::vault_prune::{prune_ui, PruneState};
use crate::ui::widgets::{error_label, format, muted, palette, section, status_dot};

const DETAIL_REFRESH: Duration = Duration::from_secs(5);
/// Widest a snapshot row's Paths cell grows (points) before it is elided.
const PATHS_WIDTH: f32 = 360.0;

pub struct VaultDetailState {
    pub vault_id: String,
    pub snapshots: Requested<Vec<Snapshot>>,
    pub history: Requested<Vec<ReplicationRecord>>,
    pub selected_snapshot: Option<String>,
    pub confirm_delete: bool,
    pub delete: Action<Value>,
    delete_name: String,
    /// The snapshot whose deletion waits for its confirmation.
    pub confirm_snapshot_delete: Option<String>,
    pub snapshot_delete: Action<Value>,
    deleting_snapshot: String,
    /// The irreversible-confirmation dialog of the WORM switch is open; `worm_ack` is its
    /// "I understand" box.
    pub confirm_worm: bool,
    pub worm_ack: bool,
    pub worm: Action<Value>,
    /// "Prune now" and its last result.
    pub prune: PruneState,
}

/// What a finished detail action means for the app.
pub enum Outcome {
    Deleted(String),
    /// Something changed (a snapshot deleted, WORM on): say so and refresh.
    Changed(String),
}

impl VaultDetailState {
    pub fn new(vault_id: String) -> VaultDetailState {
        VaultDetailState {
            vault_id,
            snapshots: Requested::default(),
            history: Requested::default(),
            selected_snapshot: None,
            confirm_delete: false,
            delete: Action::default(),
            delete_name: String::new(),
            confirm_snapshot_delete: None,
            snapshot_delete: Action::default(),
            deleting_snapshot: String::new(),
            confirm_worm: false,
            worm_ack: false,
            worm: Action::default(),
            prune: PruneState::default(),
        }
    }

    pub fn refresh_due(&mut self, net: &Net, ctx: &egui::Context) {
        if self.snapshots.is_stale(DETAIL_REFRESH) {
            let id = self.vault_id.clone();
            self.snapshots.request(net, ctx, move |c| async move {
                let mut s = c.describe_snapshots(&id).await?.snapshots.snapshot;
                s.sort_by(|a, b| b.complete_time.cmp(&a.complete_time).then(b.snapshot_id.cmp(&a.snapshot_id)));
                Ok(s)
            });
        }
        if self.history.is_stale(DETAIL_REFRESH) {
            let id = self.vault_id.clone();
            self.history.request(net, ctx, move |c| async move {
                let mut r = c.describe_replication_history(&id).await?.records.record;
                r.sort_by_key(|x| x.end_time);
                Ok(r)
            });
        }
    }

    pub fn invalidate(&mut self) {
        self.snapshots.invalidate();
        self.history.invalidate();
    }

    pub fn start_delete(&mut self, net: &Net, ctx: &egui::Context, name: String) {
        let id = self.vault_id.clone();
        self.delete_name = name;
        self.delete.start(net, ctx, move |c| async move { c.delete_vault(&id).await });
    }

    pub fn start_delete_snapshot(&mut self, net: &Net, ctx: &egui::Context, snapshot_id: String) {
        let id = self.vault_id.clone();
        self.deleting_snapshot = snapshot_id.clone();
        self.snapshot_delete.start(net, ctx, move |c| async move { c.delete_snapshot(&id, &snapshot_id).await });
    }

    pub fn start_enable_worm(&mut self, net: &Net, ctx: &egui::Context) {
        let id = self.vault_id.clone();
        self.worm.start(net, ctx, move |c| async move { c.enable_worm(&id).await });
    }

    pub fn poll(&mut self) -> Option<Outcome> {
        self.snapshots.poll();
        self.history.poll();
        if self.snapshot_delete.poll() && matches!(self.snapshot_delete.result, Some(Ok(_))) {
            self.confirm_snapshot_delete = None;
            if self.selected_snapshot.as_deref() == Some(self.deleting_snapshot.as_str()) {
                self.selected_snapshot = None;
            }
            self.snapshots.invalidate();
            return Some(Outcome::Changed(format!("Snapshot {} deleted.", self.deleting_snapshot)));
        }
        if self.worm.poll() && matches!(self.worm.result, Some(Ok(_))) {
            self.confirm_worm = false;
            self.worm_ack = false;
            return Some(Outcome::Changed("WORM is on: no snapshot of this vault can be deleted before it expires.".into()));
        }
        if let Some(notice) = self.prune.poll() {
            return Some(Outcome::Changed(notice));
        }
        if self.delete.poll() && matches!(self.delete.result, Some(Ok(_))) {
            return Some(Outcome::Deleted(self.delete_name.clone()));
        }
        None
    }
}

pub fn ui(ui: &mut Ui, state: &mut VaultDetailState, data: &Data, commands: &mut Vec<UiCommand>) {
    if ui.add(egui::Button::new("Back to Overview").frame(false)).clicked() {
        commands.push(UiCommand::Navigate(Screen::Overview));
    }
    let Some(vault) = data.vault(&state.vault_id) else {
        if let Some(e) = data.vaults.error() {
            error_label(ui, format!("Could not load the vault: {e}"));
        } else if data.vaults.is_loading() || data.vaults.value().is_none() {
            ui.spinner();
        } else {
            ui.label("This vault no longer exists.");
        }
        return;
    };
    let now = format::now_unix();
    header_ui(ui, vault, data, commands);
    ui.add_space(8.0);
    egui::ScrollArea::vertical().id_salt("vault-detail").auto_shrink([false, false]).show(ui, |ui| {
        summary_ui(ui, vault, data, now);
        ui.add_space(10.0);
        if vault.is_mirror() || vault.has_mirror() {
            replication_ui(ui, state, vault, data, now, commands);
            ui.add_space(10.0);
        }
        snapshots_ui(ui, state, vault, now, commands);
        ui.add_space(10.0);
        worm_ui(ui, state, vault);
        ui.add_space(10.0);
        prune_ui(ui, &mut state.prune, &vault.vault_id, commands);
        ui.add_space(10.0);
        delete_ui(ui, state, vault, commands);
    });
    worm_dialog_ui(ui.ctx(), state, vault, commands);
}

fn header_ui(ui: &mut Ui, vault: &Vault, data: &Data, commands: &mut Vec<UiCommand>) {
    ui.horizontal(|ui| {
        ui.heading(RichText::new(&vault.vault_name).size(24.0).strong());
        ui.add_space(10.0);
        let (color, word) = status_look(vault);
        status_dot(ui, color, word);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if vault.is_mirror() {
                if ui.button("Restore latest…").clicked() {
                    commands.push(UiCommand::OpenRestore { vault_id: vault.vault_id.clone(), snapshot_id: None });
                }
            } else if data.clients_of(&vault.vault_id).iter().any(|c| c.client_type.eq_ignore_ascii_case("FILE")) {
                if ui.add_enabled(vault.status == v::STATUS_CREATED, egui::Button::new("Back up now")).clicked() {
                    commands.push(UiCommand::BackUpNow { vault_id: vault.vault_id.clone() });
                }
            }
        });
    });
    let mut line = data.region_label(&vault.vault_region_id);
    if vault.is_mirror() {
        let source = if vault.replication_source_vault_name.is_empty() { &vault.replication_source_vault_id } else { &vault.replication_source_vault_name };
        line.push_str(&format!(" · Mirror of {source} ({})", data.region_label(&vault.replication_source_region_id)));
    }
    ui.label(muted(ui, line));
    if vault.status == v::STATUS_ERROR && !vault.vault_status_message.is_empty() {
        error_label(ui, &vault.vault_status_message);
    }
}

fn summary_ui(ui: &mut Ui, vault: &Vault, data: &Data, now: i64) {
    section(ui, "Summary", |ui| {
        egui::Grid::new("vault-summary").num_columns(4).spacing([24.0, 6.0]).show(ui, |ui| {
            let row = |ui: &mut Ui, k: &str, val: String| {
                ui.label(muted(ui, k));
                ui.label(val);
            };
            row(ui, "Vault ID", vault.vault_id.clone());
            row(ui, "Region", data.region_label(&vault.vault_region_id));
            ui.end_row();
            row(ui, "Storage used", format::bytes(vault.storage_size));
            row(ui, "Snapshots", vault.snapshot_count.to_string());
            ui.end_row();
            let clients = if vault.backup_client_names.is_empty() { "none".into() } else { vault.backup_client_names.join(", ") };
            row(ui, "Backup clients", clients);
            row(ui, "Last backup", format!("{} ({})", format::ago(vault.latest_backup_time, now), format::datetime(vault.latest_backup_time)));
            ui.end_row();
            row(ui, "Created", format::datetime(vault.created_time));
            row(ui, "Encryption", if vault.encrypt_type.is_empty() { "—".into() } else { vault.encrypt_type.clone() });
            ui.end_row();
            row(ui, "WORM", if vault.worm_enabled { "on (snapshots cannot be deleted before they expire)".into() } else { "off".into() });
            if vault.is_mirror() {
                let own = if vault.retention > 0 { format!("{} days (the mirror's own)", vault.retention) } else { "as each copy's source".into() };
                row(ui, "Retention", own);
            }
            ui.end_row();
            if !vault.description.is_empty() {
                row(ui, "Description", vault.description.clone());
                ui.end_row();
            }
        });
    });
}

fn replication_ui(ui: &mut Ui, state: &VaultDetailState, vault: &Vault, data: &Data, now: i64, commands: &mut Vec<UiCommand>) {
    section(ui, "Replication", |ui| {
        ui.horizontal(|ui| {
            if vault.has_mirror() {
                ui.label(format!("Mirrored to {}", data.region_label(&vault.replication_target_region_id)));
                if let Some(mirror) = data.vault(&vault.replication_target_vault_id) {
                    if ui.link(format!("Open {}", mirror.vault_name)).clicked() {
                        commands.push(UiCommand::OpenVault(mirror.vault_id.clone()));
                    }
                }
            } else if let Some(source) = data.vault(&vault.replication_source_vault_id) {
                ui.label(format!("Mirror of {} in {}", source.vault_name, data.region_label(&source.vault_region_id)));
                if ui.link(format!("Open {}", source.vault_name)).clicked() {
                    commands.push(UiCommand::OpenVault(source.vault_id.clone()));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Sync now").on_hover_text("Copy what the mirror is missing now").clicked() {
                    commands.push(UiCommand::SyncNow { vault_id: vault.vault_id.clone() });
                }
            });
        });
        if let Some(line) = replication_line(vault, now) {
            ui.scope(|ui| {
                ui.set_max_width(420.0);
                replication_line_ui(ui, &line, now);
            });
        }
        if !vault.replication_status_message.is_empty() {
            error_label(ui, &vault.replication_status_message);
        }
        egui::Grid::new("replication-facts").num_columns(4).spacing([24.0, 4.0]).show(ui, |ui| {
            ui.label(muted(ui, "Historical sync"));
            ui.label(if vault.historical_replication_start_time > 0 { format::datetime(vault.historical_replication_start_time) } else { "—".into() });
            ui.label(muted(ui, "Latest sync"));
            ui.label(format::ago(vault.latest_replication_time, now));
            ui.end_row();
            ui.label(muted(ui, "Pending"));
            ui.label(format::bytes(vault.replication_bytes_pending));
            ui.label(muted(ui, "Current lag"));
            ui.label(format::duration(vault.replication_lag_seconds));
            ui.end_row();
        });
        ui.add_space(6.0);
        ui.label(RichText::new("Replication lag over time").strong());
        match (state.history.value(), state.history.error()) {
            (_, Some(e)) => error_label(ui, format!("Could not load the replication history: {e}")),
            (None, None) => {
                ui.spinner();
            }
            (Some(records), None) if records.is_empty() => {
                ui.label(muted(ui, "No replication has completed yet."));
            }
            (Some(records), None) => lag_plot_ui(ui, records),
        }
    });
}

fn lag_plot_ui(ui: &mut Ui, records: &[ReplicationRecord]) {
    let points: Vec<[f64; 2]> = records.iter().filter(|r| r.end_time > 0).map(|r| [r.end_time as f64, r.lag_seconds]).collect();
    let first = points.first().map(|p| p[0]).unwrap_or(0.0);
    let last = points.last().map(|p| p[0]).unwrap_or(0.0);
    let max_lag = points.iter().map(|p| p[1]).fold(0.0_f64, f64::max);
    Plot::new("replication-lag")
        .height(180.0)
        .include_x(first - 60.0)
        .include_x(last + 60.0)
        .include_y(max_lag.max(1.0) * 1.2)
        .allow_scroll(false)
        .allow_zoom(false)
        .include_y(0.0)
        .y_axis_label("lag (s)")
        .x_axis_label("sync completed (UTC)")
        .x_axis_formatter(|mark, _| clock(mark.value as i64))
        .label_formatter(|pos| match pos {
            HoverPosition::NearDataPoint { position, .. } => Some(format!("{} · lag {}", clock(position.x as i64), format::lag(position.y))),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            plot.line(Line::new("Lag", PlotPoints::from(points.clone())).color(palette::ACCENT).width(2.0));
            plot.points(Points::new("Syncs", PlotPoints::from(points)).color(palette::ACCENT).radius(3.5));
        });
}

/// `14:05:09` (UTC) of a UNIX time.
fn clock(unix: i64) -> String {
    let s = unix.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s % 3600) / 60, s % 60)
}

fn snapshots_ui(ui: &mut Ui, state: &mut VaultDetailState, vault: &Vault, now: i64, commands: &mut Vec<UiCommand>) {
    section(ui, "Snapshots", |ui| {
        let snapshots = match (state.snapshots.value(), state.snapshots.error()) {
            (_, Some(e)) => return error_label(ui, format!("Could not load snapshots: {e}")),
            (None, None) => {
                ui.spinner();
                return;
            }
            (Some(s), None) => s,
        };
        if snapshots.is_empty() {
            ui.label(muted(ui, if vault.is_mirror() { "No snapshot has reached this mirror yet." } else { "No backups yet." }));
            return;
        }
        egui::Grid::new("snapshots").num_columns(7).striped(true).spacing([18.0, 6.0]).show(ui, |ui| {
            for h in ["Completed", "Snapshot", "Paths", "Size", "Added", "Expires", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for s in snapshots.iter().take(200) {
                let selected = state.selected_snapshot.as_deref() == Some(&s.snapshot_id);
                let when = format!("{} ({})", format::datetime(s.complete_time), format::ago(s.complete_time, now));
                if ui.selectable_label(selected, when).clicked() {
                    state.selected_snapshot = if selected { None } else { Some(s.snapshot_id.clone()) };
                }
                ui.label(RichText::new(&s.snapshot_id).monospace());
                let paths = if s.database_name.is_empty() { s.paths.join(", ") } else { format!("database {}", s.database_name) };
                // Long paths would push Expires and Delete… past the panel: elided, whole on hover.
                ui.scope(|ui| {
                    ui.set_max_width(PATHS_WIDTH);
                    ui.add(egui::Label::new(paths.as_str()).truncate()).on_hover_text(&paths);
                });
                ui.label(format::bytes(s.bytes_total));
                ui.label(format::bytes(s.bytes_added));
                ui.label(expiry(s, now));
                let protected = worm_protected(vault, s, now);
                let button = ui.add_enabled(!protected && !state.snapshot_delete.is_running(), egui::Button::new("Delete…"));
                if button.clicked() {
                    state.confirm_snapshot_delete = Some(s.snapshot_id.clone());
                    state.snapshot_delete.result = None;
                }
                if protected {
                    button.on_disabled_hover_text(worm_reason(s));
                }
                ui.end_row();
            }
        });
        if let Some(id) = state.confirm_snapshot_delete.clone() {
            ui.add_space(6.0);
            let busy = state.snapshot_delete.is_running();
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("Delete snapshot {id}? Its files can no longer be restored from this vault (a mirror keeps its own copy).")).color(palette::ERROR));
                if ui.add_enabled(!busy, egui::Button::new(RichText::new("Delete snapshot").color(egui::Color32::WHITE)).fill(palette::ERROR)).clicked() {
                    commands.push(UiCommand::DeleteSnapshot { vault_id: vault.vault_id.clone(), snapshot_id: id.clone() });
                }
                if ui.add_enabled(!busy, egui::Button::new("Keep it")).clicked() {
                    state.confirm_snapshot_delete = None;
                    state.snapshot_delete.result = None;
                }
                if busy {
                    ui.spinner();
                }
            });
        }
        if let Some(e) = state.snapshot_delete.error() {
            error_label(ui, format!("Could not delete the snapshot: {e}"));
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let (label, id) = match &state.selected_snapshot {
                Some(id) => ("Restore selected snapshot…", Some(id.clone())),
                None => ("Restore latest snapshot…", None),
            };
            if ui.button(label).on_hover_text("Pick a folder; the snapshot's files are restored into it").clicked() {
                commands.push(UiCommand::OpenRestore { vault_id: vault.vault_id.clone(), snapshot_id: id });
            }
            ui.label(muted(ui, "Click a row to choose a snapshot."));
        });
    });
}

fn delete_ui(ui: &mut Ui, state: &mut VaultDetailState, vault: &Vault, commands: &mut Vec<UiCommand>) {
    section(ui, "Delete vault", |ui| {
        if vault.has_mirror() {
            ui.label(muted(ui, "Delete its mirror vault first: a vault that still has a mirror cannot be deleted."));
        } else {
            ui.label(muted(ui, "Deleting a vault removes all of its snapshots. This cannot be undone."));
        }
        let busy = state.delete.is_running();
        if state.confirm_delete {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("Delete {} and all of its snapshots?", vault.vault_name)).color(palette::ERROR));
                if ui.add_enabled(!busy, egui::Button::new(RichText::new("Delete").color(egui::Color32::WHITE)).fill(palette::ERROR)).clicked() {
                    commands.push(UiCommand::DeleteVault { vault_id: vault.vault_id.clone() });
                }
                if ui.add_enabled(!busy, egui::Button::new("Cancel")).clicked() {
                    state.confirm_delete = false;
                    state.delete.result = None;
                }
                if busy {
                    ui.spinner();
                }
            });
        } else if ui.button("Delete vault…").clicked() {
            state.confirm_delete = true;
        }
        if let Some(e) = state.delete.error() {
            error_label(ui, e.to_string());
        }
    });
}

/// "in 3 days (2026-12-04 10:00)", "expired", or "never" for a snapshot kept until deleted.
fn expiry(s: &Snapshot, now: i64) -> String {
    match s.expire_time {
        0 => "never".into(),
        t if t <= now => "expired".into(),
        t => format!("{} ({})", format::datetime(t), format::duration(t - now)),
    }
}

/// WORM keeps the snapshot: the vault is WORM and it has not expired.
fn worm_protected(vault: &Vault, s: &Snapshot, now: i64) -> bool {
    vault.worm_enabled && (s.expire_time == 0 || s.expire_time > now)
}

fn worm_reason(s: &Snapshot) -> String {
    if s.expire_time == 0 {
        "WORM vault: this snapshot is kept until deleted, so it can never be deleted.".into()
    } else {
        format!("WORM vault: this snapshot can be deleted once it expires ({}).", format::datetime(s.expire_time))
    }
}

fn worm_ui(ui: &mut Ui, state: &mut VaultDetailState, vault: &Vault) {
    section(ui, "Protection (WORM)", |ui| {
        if vault.worm_enabled {
            ui.label("WORM is on: no snapshot is deleted before its expiry, retention cannot be shortened, and the vault cannot be deleted while it holds an unexpired snapshot. WORM can never be turned off.");
            return;
        }
        ui.label(muted(ui, "Write once, read many: once on, no snapshot can be deleted before it expires — by anyone, ever."));
        if ui.add_enabled(!state.worm.is_running(), egui::Button::new("Turn on WORM…")).clicked() {
            state.confirm_worm = true;
            state.worm_ack = false;
            state.worm.result = None;
        }
    });
}

/// The irreversible-confirmation dialog of the WORM switch.
fn worm_dialog_ui(ctx: &egui::Context, state: &mut VaultDetailState, vault: &Vault, commands: &mut Vec<UiCommand>) {
    if !state.confirm_worm || vault.worm_enabled {
        return;
    }
    let busy = state.worm.is_running();
    egui::Window::new("Turn on WORM").collapsible(false).resizable(false).anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0]).show(ctx, |ui| {
        ui.set_max_width(420.0);
        ui.label(format!("Turn on WORM for {}?", vault.vault_name));
        ui.label(RichText::new("This cannot be undone. No snapshot of this vault can then be deleted before it expires, snapshots kept until deleted can never be deleted, and the vault cannot be deleted while it holds one.").color(palette::ERROR));
        ui.checkbox(&mut state.worm_ack, "I understand that WORM can never be turned off");
        ui.horizontal(|ui| {
            if ui.add_enabled(state.worm_ack && !busy, egui::Button::new("Turn on WORM permanently")).clicked() {
                commands.push(UiCommand::EnableWorm { vault_id: vault.vault_id.clone() });
            }
            if ui.add_enabled(!busy, egui::Button::new("Cancel")).clicked() {
                state.confirm_worm = false;
                state.worm_ack = false;
            }
            if busy {
                ui.spinner();
            }
        });
        if let Some(e) = state.worm.error() {
            error_label(ui, format!("Could not turn WORM on: {e}"));
        }
    });
}
