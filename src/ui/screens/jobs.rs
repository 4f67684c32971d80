//! Jobs: every backup, restore and verify job in one full-width table, one line per job, with
//! the plan that started it, progress, speed, ETA or duration and the error on hover; filtered by status and vault. Rows
//! are virtualised (only the visible ones are laid out), so ten thousand jobs scroll smoothly.
use std::time::Duration;

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::api::backup::{BackupJob, JobProgress, RestoreJob, VerifyJob, JOB_CANCELED, JOB_COMPLETE, JOB_CREATED, JOB_FAILED, JOB_PARTIAL_COMPLETE, JOB_RUNNING};
use crate::client::ClientError;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::request::{Net, Requested};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header};

/// The height of one job row (one line of text with room around it).
pub const ROW_HEIGHT: f32 = 26.0;

/// Which jobs the table shows by status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    /// Running or queued.
    Active,
    Failed,
    Complete,
    Canceled,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 5] = [StatusFilter::All, StatusFilter::Active, StatusFilter::Failed, StatusFilter::Complete, StatusFilter::Canceled];

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "All statuses",
            StatusFilter::Active => "Running or queued",
            StatusFilter::Failed => "Failed",
            StatusFilter::Complete => "Complete",
            StatusFilter::Canceled => "Canceled",
        }
    }

    fn matches(self, job: &JobProgress) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Active => is_active(job),
            StatusFilter::Failed => job.status == JOB_FAILED,
            StatusFilter::Complete => job.status == JOB_COMPLETE || job.status == JOB_PARTIAL_COMPLETE,
            StatusFilter::Canceled => job.status == JOB_CANCELED,
        }
    }
}

/// One job of any kind, as the table shows it.
#[derive(Clone, Debug)]
pub struct JobRow {
    pub job_id: String,
    pub kind: &'static str,
    pub vault_id: String,
    /// Empty for jobs that belong to no backup client (restores, verifies).
    pub client_id: String,
    /// The backup plan that started the job; empty for manual jobs, restores and verifies.
    pub plan_id: String,
    /// What the job works on: include paths, the restore target, the verify depth.
    pub detail: String,
    pub job: JobProgress,
}

#[derive(Default)]
pub struct JobsState {
    pub backup: Requested<Vec<BackupJob>>,
    pub restore: Requested<Vec<RestoreJob>>,
    pub verify: Requested<Vec<VerifyJob>>,
    pub status_filter: StatusFilter,
    /// `None`: every vault.
    pub vault_filter: Option<String>,
    /// Every job, running first, then newest; rebuilt when a list settles.
    rows: Vec<JobRow>,
    rows_stale: bool,
}

impl JobsState {
    pub fn refresh_due(&mut self, net: &Net, ctx: &egui::Context, every: Duration) {
        if self.backup.is_stale(every) {
            self.backup.request(net, ctx, |c| async move { Ok(c.describe_backup_jobs(None, None).await?.backup_jobs.backup_job) });
        }
        if self.restore.is_stale(every) {
            self.restore.request(net, ctx, |c| async move { Ok(c.describe_restore_jobs(None, None).await?.restore_jobs.restore_job) });
        }
        if self.verify.is_stale(every) {
            self.verify.request(net, ctx, |c| async move { Ok(c.describe_verify_jobs(None, None).await?.verify_jobs.verify_job) });
        }
    }

    /// Returns true when something settled.
    pub fn poll(&mut self) -> bool {
        let a = self.backup.poll();
        let b = self.restore.poll();
        let c = self.verify.poll();
        if a || b || c {
            self.rows_stale = true;
        }
        a || b || c
    }

    pub fn invalidate(&mut self) {
        self.backup.invalidate();
        self.restore.invalidate();
        self.verify.invalidate();
    }

    /// Sets the lists as if they had just been fetched (tests, `mirrorvault bench`).
    pub fn set_jobs(&mut self, backup: Vec<BackupJob>, restore: Vec<RestoreJob>, verify: Vec<VerifyJob>) {
        self.backup.set_value(backup);
        self.restore.set_value(restore);
        self.verify.set_value(verify);
        self.rows_stale = true;
    }

    /// True while some job is running or queued (the app then polls fast).
    pub fn any_active(&self) -> bool {
        self.backup.value().is_some_and(|js| js.iter().any(|j| is_active(&j.job)))
            || self.restore.value().is_some_and(|js| js.iter().any(|j| is_active(&j.job)))
            || self.verify.value().is_some_and(|js| js.iter().any(|j| is_active(&j.job)))
    }

    /// Every job, running first, then newest.
    pub fn rows(&mut self) -> &[JobRow] {
        if self.rows_stale {
            self.rows_stale = false;
            self.rows = merged_rows(self.backup.value(), self.restore.value(), self.verify.value());
        }
        &self.rows
    }

    fn loaded(&self) -> bool {
        self.backup.value().is_some() || self.restore.value().is_some() || self.verify.value().is_some()
    }

    fn errors(&self) -> Vec<(&'static str, &ClientError)> {
        [("backup jobs", self.backup.error()), ("restore jobs", self.restore.error()), ("verify jobs", self.verify.error())].into_iter().filter_map(|(w, e)| e.map(|e| (w, e))).collect()
    }

    fn is_loading(&self) -> bool {
        self.backup.is_loading() || self.restore.is_loading() || self.verify.is_loading()
    }
}

fn merged_rows(backup: Option<&Vec<BackupJob>>, restore: Option<&Vec<RestoreJob>>, verify: Option<&Vec<VerifyJob>>) -> Vec<JobRow> {
    let mut rows = Vec::new();
    for j in backup.into_iter().flatten() {
        let kind = if j.source_type.eq_ignore_ascii_case("SQLSERVER") { "SQL backup" } else { "File backup" };
        rows.push(JobRow { job_id: j.job_id.clone(), kind, vault_id: j.vault_id.clone(), client_id: j.client_id.clone(), plan_id: j.plan_id.clone(), detail: j.include.join(", "), job: j.job.clone() });
    }
    for j in restore.into_iter().flatten() {
        let mut detail = format!("into {}", j.target_path);
        if !j.failed_files.is_empty() {
            detail.push_str(&format!(" · {} failed", format::plural(j.failed_files.len() as i64, "file")));
        }
        rows.push(JobRow { job_id: j.restore_id.clone(), kind: "Restore", vault_id: j.vault_id.clone(), client_id: String::new(), plan_id: String::new(), detail, job: j.job.clone() });
    }
    for j in verify.into_iter().flatten() {
        let damaged = j.damaged_objects.len() + j.damaged_snapshots.len() + j.damaged_files.len();
        let detail = if damaged > 0 { format!("{damaged} damaged item(s)") } else if j.read_data { "read all data".into() } else { "structure only".into() };
        rows.push(JobRow { job_id: j.job_id.clone(), kind: "Verify", vault_id: j.vault_id.clone(), client_id: String::new(), plan_id: String::new(), detail, job: j.job.clone() });
    }
    rows.sort_by(|a, b| (!is_active(&a.job), -a.job.created_time, &a.job_id).cmp(&(!is_active(&b.job), -b.job.created_time, &b.job_id)));
    rows
}

/// The part of an id the table shows: the first 8 characters after its prefix (`job-563ec293…` → `563ec293`).
pub fn short_id(id: &str) -> &str {
    let rest = id.split_once('-').map_or(id, |(_, rest)| rest);
    match rest.char_indices().nth(8) {
        Some((i, _)) => &rest[..i],
        None => rest,
    }
}

pub fn ui(ui: &mut Ui, state: &mut JobsState, data: &Data, commands: &mut Vec<UiCommand>) {
    screen_header(ui, "Jobs", "Backup, restore and verify jobs: running first, then newest. Click an ID to copy it.");
    filter_bar_ui(ui, state, data);
    for (what, e) in state.errors() {
        error_label(ui, format!("Could not load {what}: {e}"));
    }
    if !state.loaded() {
        if state.errors().is_empty() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading jobs…");
            });
        }
        return;
    }
    let (status_filter, vault_filter) = (state.status_filter, state.vault_filter.clone());
    let rows: Vec<&JobRow> = state.rows().iter().filter(|r| status_filter.matches(&r.job) && vault_filter.as_ref().is_none_or(|v| &r.vault_id == v)).collect();
    if rows.is_empty() {
        ui.add_space(20.0);
        let text = if status_filter == StatusFilter::All && vault_filter.is_none() { "No jobs yet." } else { "No job matches the filter." };
        ui.label(muted(ui, text).size(16.0));
        return;
    }
    table_ui(ui, &rows, data, commands);
}

fn filter_bar_ui(ui: &mut Ui, state: &mut JobsState, data: &Data) {
    ui.horizontal(|ui| {
        let label = ui.label("Status");
        egui::ComboBox::from_id_salt("jobs-status")
            .selected_text(state.status_filter.label())
            .width(170.0)
            .show_ui(ui, |ui| {
                for f in StatusFilter::ALL {
                    ui.selectable_value(&mut state.status_filter, f, f.label());
                }
            })
            .response
            .labelled_by(label.id);
        ui.add_space(12.0);
        let label = ui.label("Vault");
        let selected = match &state.vault_filter {
            Some(id) => vault_name(data, id),
            None => "All vaults".to_string(),
        };
        let mut vault_ids: Vec<String> = state.rows().iter().map(|r| r.vault_id.clone()).collect();
        vault_ids.sort_by_key(|id| vault_name(data, id));
        vault_ids.dedup();
        egui::ComboBox::from_id_salt("jobs-vault")
            .selected_text(selected)
            .width(220.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.vault_filter, None, "All vaults");
                for id in vault_ids {
                    let name = vault_name(data, &id);
                    ui.selectable_value(&mut state.vault_filter, Some(id), name);
                }
            })
            .response
            .labelled_by(label.id);
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let total = state.rows().len();
            let active = state.rows().iter().filter(|r| is_active(&r.job)).count();
            ui.label(muted(ui, format!("{} · {active} running or queued", format::plural(total as i64, "job"))));
            if state.is_loading() && !state.loaded() {
                ui.spinner();
            }
        });
    });
    ui.add_space(6.0);
}

fn vault_name(data: &Data, vault_id: &str) -> String {
    data.vault(vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| vault_id.to_string())
}

fn client_name(data: &Data, client_id: &str) -> String {
    if client_id.is_empty() {
        return "—".into();
    }
    data.clients.value().and_then(|cs| cs.iter().find(|c| c.client_id == client_id)).map(|c| c.client_name.clone()).unwrap_or_else(|| client_id.to_string())
}

fn table_ui(ui: &mut Ui, rows: &[&JobRow], data: &Data, commands: &mut Vec<UiCommand>) {
    let now = format::now_unix();
    let header = |ui: &mut Ui, text: &str| {
        ui.label(RichText::new(text).strong());
    };
    // Initial widths that fit the window with room for Details (no horizontal scroll at the
    // console's 1360-pixel default width): the short columns keep their width, the long ones
    // (vault, client, progress) share what is left. The user may resize them after.
    const FIXED: [f32; 7] = [84.0, 90.0, 96.0, 70.0, 74.0, 64.0, 84.0]; // Job, Kind, Status, Speed, ETA, Started, Plan
    const FLEXIBLE: [f32; 3] = [150.0, 130.0, 230.0]; // Vault, Client, Progress
    let spacing = ui.spacing().item_spacing.x * 11.0;
    let room = ui.available_width() - spacing - FIXED.iter().sum::<f32>() - 120.0;
    let scale = (room / FLEXIBLE.iter().sum::<f32>()).clamp(0.55, 1.0);
    let w = |i: usize| (FLEXIBLE[i] * scale).round();
    TableBuilder::new(ui)
        .id_salt("jobs-table")
        .striped(true)
        .resizable(true)
        .auto_shrink([false, false])
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(FIXED[0])) // Job
        .column(Column::initial(FIXED[1]).at_least(60.0).clip(true)) // Kind
        .column(Column::initial(FIXED[6]).at_least(40.0).clip(true)) // Plan
        .column(Column::initial(w(0)).at_least(60.0).clip(true)) // Vault
        .column(Column::initial(w(1)).at_least(50.0).clip(true)) // Client
        .column(Column::initial(FIXED[2]).at_least(60.0).clip(true)) // Status
        .column(Column::initial(w(2)).at_least(120.0).clip(true)) // Progress
        .column(Column::initial(FIXED[3]).at_least(50.0).clip(true)) // Speed
        .column(Column::initial(FIXED[4]).at_least(50.0).clip(true)) // ETA
        .column(Column::initial(FIXED[5]).at_least(50.0).clip(true)) // Started
        .column(Column::remainder().at_least(80.0).clip(true)) // Details
        .header(22.0, |mut h| {
            for text in ["Job", "Kind", "Plan", "Vault", "Client", "Status", "Progress", "Speed", "ETA / took", "Started", "Details"] {
                h.col(|ui| header(ui, text));
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                let r = rows[row.index()];
                row.col(|ui| id_ui(ui, &r.job_id, "Job ID", commands));
                row.col(|ui| {
                    ui.add(egui::Label::new(r.kind).truncate());
                });
                row.col(|ui| {
                    if r.plan_id.is_empty() {
                        ui.label(muted(ui, "—")).on_hover_text("Started by hand, not by a backup plan");
                    } else {
                        id_ui(ui, &r.plan_id, "Plan ID", commands);
                    }
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(vault_name(data, &r.vault_id)).truncate()).on_hover_text(&r.vault_id);
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(client_name(data, &r.client_id)).truncate()).on_hover_text(&r.client_id);
                });
                row.col(|ui| status_ui(ui, &r.job));
                row.col(|ui| progress_ui(ui, &r.job));
                row.col(|ui| {
                    ui.label(if is_active(&r.job) && r.job.speed > 0 { format::speed(r.job.speed) } else { "—".into() });
                });
                row.col(|ui| {
                    ui.label(eta(&r.job));
                });
                row.col(|ui| {
                    let started = if r.job.start_time > 0 { r.job.start_time } else { r.job.created_time };
                    ui.ctx().request_repaint_after(format::ago_changes_in(started, now));
                    ui.label(format::ago(started, now)).on_hover_text(format::datetime(started));
                });
                row.col(|ui| details_ui(ui, r));
            });
        });
}

/// The short id in monospace; the full id on hover; a click copies the full id (`what`: "Job ID").
fn id_ui(ui: &mut Ui, job_id: &str, what: &str, commands: &mut Vec<UiCommand>) {
    let label = egui::Label::new(RichText::new(short_id(job_id)).monospace()).sense(egui::Sense::click()).extend();
    let response = ui.add(label).on_hover_text(format!("{job_id}\nClick to copy"));
    if response.hovered() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
    }
    if response.clicked() {
        commands.push(UiCommand::CopyText { text: job_id.to_string(), what: what.into() });
    }
}

fn details_ui(ui: &mut Ui, r: &JobRow) {
    if r.job.error_message.is_empty() {
        ui.add(egui::Label::new(muted(ui, &r.detail)).truncate()).on_hover_text(&r.detail);
    } else {
        let full = if r.detail.is_empty() { r.job.error_message.clone() } else { format!("{}\n\n{}", r.job.error_message, r.detail) };
        ui.add(egui::Label::new(RichText::new(&r.job.error_message).color(palette::ERROR)).truncate()).on_hover_ui(|ui| {
            ui.set_max_width(520.0);
            ui.add(egui::Label::new(full).wrap());
        });
    }
}

fn progress_ui(ui: &mut Ui, job: &JobProgress) {
    let fraction = if job.bytes_total > 0 { job.bytes_done as f32 / job.bytes_total as f32 } else { job.progress as f32 / 100.0 };
    let fraction = if job.status == JOB_COMPLETE || job.status == JOB_PARTIAL_COMPLETE { 1.0 } else { fraction.clamp(0.0, 1.0) };
    let mut text = format!("{:.0}% · {}", fraction * 100.0, format::bytes(job.bytes_done));
    if job.bytes_total > job.bytes_done {
        text.push_str(&format!(" of {}", format::bytes(job.bytes_total)));
    }
    if job.items_total > 0 {
        text.push_str(&format!(" · {}/{}", job.items_done, job.items_total));
    } else if job.items_done > 0 {
        text.push_str(&format!(" · {} items", job.items_done));
    }
    let fill = match job.status.as_str() {
        JOB_FAILED => palette::ERROR,
        JOB_CANCELED | JOB_PARTIAL_COMPLETE => palette::WARN,
        JOB_COMPLETE => palette::OK,
        _ => palette::ACCENT,
    };
    let width = ui.available_width() - 6.0;
    let hover = format!("{} of {} bytes · {} of {} items", job.bytes_done, job.bytes_total, job.items_done, job.items_total);
    ui.add(egui::ProgressBar::new(fraction).desired_width(width).desired_height(18.0).fill(fill.gamma_multiply(0.8)).text(RichText::new(text).small())).on_hover_text(hover);
}

fn is_active(job: &JobProgress) -> bool {
    job.status == JOB_RUNNING || job.status == JOB_CREATED
}

fn status_ui(ui: &mut Ui, job: &JobProgress) {
    let (color, text) = match job.status.as_str() {
        JOB_RUNNING => (palette::ACCENT, "Running"),
        JOB_CREATED => (palette::WARN, "Queued"),
        JOB_COMPLETE => (palette::OK, "Complete"),
        JOB_PARTIAL_COMPLETE => (palette::WARN, "Partly complete"),
        JOB_FAILED => (palette::ERROR, "Failed"),
        JOB_CANCELED => (palette::WARN, "Canceled"),
        other => (palette::WARN, other),
    };
    // A dot, not a spinner: a spinner repaints every frame while the screen is open.
    crate::ui::widgets::status_dot(ui, color, text);
}

fn eta(job: &JobProgress) -> String {
    if !is_active(job) {
        return if job.complete_time > 0 && job.start_time > 0 { format!("took {}", format::duration(job.complete_time - job.start_time)) } else { "—".into() };
    }
    if job.speed > 0 && job.bytes_total > job.bytes_done {
        format::duration((job.bytes_total - job.bytes_done) / job.speed)
    } else {
        "—".into()
    }
}
