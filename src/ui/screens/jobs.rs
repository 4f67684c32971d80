//! Jobs: running and finished backup, restore and verify jobs with progress, speed, ETA, errors.
use std::time::Duration;

use egui::{RichText, Ui};

use crate::api::backup::{BackupJob, JobProgress, RestoreJob, VerifyJob, JOB_CANCELED, JOB_COMPLETE, JOB_CREATED, JOB_FAILED, JOB_RUNNING};
use crate::ui::app::Data;
use crate::ui::request::{Net, Requested};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header, section};

const JOBS_REFRESH: Duration = Duration::from_secs(2);

#[derive(Default)]
pub struct JobsState {
    pub backup: Requested<Vec<BackupJob>>,
    pub restore: Requested<Vec<RestoreJob>>,
    pub verify: Requested<Vec<VerifyJob>>,
}

impl JobsState {
    pub fn refresh_due(&mut self, net: &Net, ctx: &egui::Context) {
        if self.backup.is_stale(JOBS_REFRESH) {
            self.backup.request(net, ctx, |c| async move { Ok(c.describe_backup_jobs(None, None).await?.backup_jobs.backup_job) });
        }
        if self.restore.is_stale(JOBS_REFRESH) {
            self.restore.request(net, ctx, |c| async move { Ok(c.describe_restore_jobs(None, None).await?.restore_jobs.restore_job) });
        }
        if self.verify.is_stale(JOBS_REFRESH) {
            self.verify.request(net, ctx, |c| async move { Ok(c.describe_verify_jobs(None, None).await?.verify_jobs.verify_job) });
        }
    }

    /// Returns true when something settled.
    pub fn poll(&mut self) -> bool {
        let a = self.backup.poll();
        let b = self.restore.poll();
        let c = self.verify.poll();
        a || b || c
    }

    pub fn invalidate(&mut self) {
        self.backup.invalidate();
        self.restore.invalidate();
        self.verify.invalidate();
    }
}

/// One row of any kind of job.
struct Row<'a> {
    id: &'a str,
    vault_id: &'a str,
    what: String,
    job: &'a JobProgress,
}

pub fn ui(ui: &mut Ui, state: &mut JobsState, data: &Data) {
    screen_header(ui, "Jobs", "Backup, restore and verify jobs, newest first. Running jobs update every two seconds.");
    egui::ScrollArea::vertical().id_salt("jobs").auto_shrink([false, false]).show(ui, |ui| {
        let rows = state.backup.value().map(|jobs| jobs.iter().map(|j| Row { id: &j.job_id, vault_id: &j.vault_id, what: format!("{} backup", j.source_type.to_lowercase()), job: &j.job }).collect());
        table_section(ui, "Backup jobs", "backup", rows, state.backup.error(), data);
        ui.add_space(10.0);
        let rows = state.restore.value().map(|jobs| jobs.iter().map(|j| Row { id: &j.restore_id, vault_id: &j.vault_id, what: format!("into {}", j.target_path), job: &j.job }).collect());
        table_section(ui, "Restore jobs", "restore", rows, state.restore.error(), data);
        ui.add_space(10.0);
        let rows = state.verify.value().map(|jobs| {
            jobs.iter()
                .map(|j| {
                    let damaged = j.damaged_objects.len() + j.damaged_snapshots.len() + j.damaged_files.len();
                    let what = if damaged > 0 { format!("{damaged} damaged item(s)") } else if j.read_data { "read all data".into() } else { "structure".into() };
                    Row { id: &j.job_id, vault_id: &j.vault_id, what, job: &j.job }
                })
                .collect()
        });
        table_section(ui, "Verify jobs", "verify", rows, state.verify.error(), data);
    });
}

fn table_section(ui: &mut Ui, title: &str, id: &str, rows: Option<Vec<Row<'_>>>, error: Option<&crate::client::ClientError>, data: &Data) {
    section(ui, title, |ui| {
        if let Some(e) = error {
            error_label(ui, format!("Could not load {}: {e}", title.to_lowercase()));
        }
        let Some(mut rows) = rows else {
            ui.spinner();
            return;
        };
        if rows.is_empty() {
            ui.label(muted(ui, "None yet."));
            return;
        }
        // Running first, then newest.
        rows.sort_by_key(|r| (!is_active(r.job), -r.job.created_time));
        let now = format::now_unix();
        egui::Grid::new(("jobs", id)).num_columns(7).striped(true).spacing([16.0, 6.0]).show(ui, |ui| {
            for h in ["Job", "Vault", "Status", "Progress", "Speed", "ETA", "Started"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for r in rows.iter().take(200) {
                ui.vertical(|ui| {
                    ui.label(RichText::new(r.id).monospace());
                    ui.add(egui::Label::new(muted(ui, &r.what).small()).truncate());
                });
                let vault = data.vault(r.vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| r.vault_id.to_string());
                ui.label(vault);
                status_ui(ui, r.job);
                let fraction = if r.job.bytes_total > 0 { r.job.bytes_done as f32 / r.job.bytes_total as f32 } else { r.job.progress as f32 / 100.0 };
                let fraction = if r.job.status == JOB_COMPLETE { 1.0 } else { fraction.clamp(0.0, 1.0) };
                ui.add(egui::ProgressBar::new(fraction).desired_width(180.0).text(format!("{:.0}% · {}", fraction * 100.0, format::bytes(r.job.bytes_done))));
                ui.label(if r.job.speed > 0 { format::speed(r.job.speed) } else { "—".into() });
                ui.label(eta(r.job));
                let started = if r.job.start_time > 0 { r.job.start_time } else { r.job.created_time };
                ui.label(format::ago(started, now)).on_hover_text(format::datetime(started));
                ui.end_row();
                if !r.job.error_message.is_empty() {
                    ui.label("");
                    ui.label("");
                    ui.add(egui::Label::new(RichText::new(&r.job.error_message).color(palette::ERROR)).wrap());
                    ui.end_row();
                }
            }
        });
    });
}

fn is_active(job: &JobProgress) -> bool {
    job.status == JOB_RUNNING || job.status == JOB_CREATED
}

fn status_ui(ui: &mut Ui, job: &JobProgress) {
    let (color, text) = match job.status.as_str() {
        JOB_RUNNING => (palette::ACCENT, "Running"),
        JOB_CREATED => (palette::WARN, "Queued"),
        JOB_COMPLETE => (palette::OK, "Complete"),
        JOB_FAILED => (palette::ERROR, "Failed"),
        JOB_CANCELED => (palette::WARN, "Canceled"),
        other => (palette::WARN, other),
    };
    ui.horizontal(|ui| {
        if job.status == JOB_RUNNING {
            ui.spinner();
        }
        ui.label(RichText::new(text).color(color));
    });
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
