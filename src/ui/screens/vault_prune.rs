//! The vault detail's "Prune now" section: starts a prune job (optionally a dry run) through
//! the client, follows it with `DescribePruneJobs` until it ends, and shows what it freed (bytes,
//! packs deleted and rewritten, storage before and after) or why it failed.
use std::time::Duration;

use egui::{RichText, Ui};

use crate::api::prune::PruneJob;
use crate::client::{Client, ClientError};
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net};
use crate::ui::widgets::{error_label, format, muted, palette, section};

/// How often a running prune job is asked about.
const PRUNE_POLL: Duration = Duration::from_millis(500);

#[derive(Default)]
pub struct PruneState {
    /// The "Dry run" box: report what would be freed, delete nothing.
    pub dry_run: bool,
    /// The job from its creation to its end (one promise: create, then poll until it ends).
    pub job: Action<PruneJob>,
}

impl PruneState {
    pub fn start(&mut self, net: &Net, ctx: &egui::Context, vault_id: String, dry_run: bool) {
        self.job.start(net, ctx, move |c| run_prune(c, vault_id, dry_run));
    }

    /// Returns the notice to show on the frame the job ends successfully.
    pub fn poll(&mut self) -> Option<String> {
        if !self.job.poll() {
            return None;
        }
        match &self.job.result {
            Some(Ok(j)) if j.status == "COMPLETE" && j.dry_run => Some(format!("Dry run: a prune would free {}.", format::bytes(j.bytes_freed))),
            Some(Ok(j)) if j.status == "COMPLETE" => Some(format!("Prune freed {}.", format::bytes(j.bytes_freed))),
            _ => None,
        }
    }
}

/// `CreatePruneJob`, then `DescribePruneJobs` of that job until it is COMPLETE, FAILED or CANCELED.
async fn run_prune(c: Client, vault_id: String, dry_run: bool) -> Result<PruneJob, ClientError> {
    let job_id = c.create_prune_job(&vault_id, dry_run).await?.job_id;
    // A poll that fails (a busy or restarting backend) is tried again a few times before the
    // screen gives up following the job: the job itself runs on regardless.
    let mut misses = 0;
    loop {
        let jobs = match c.describe_prune_jobs(None, Some(&job_id)).await {
            Ok(r) => r.prune_jobs.prune_job,
            Err(e) if misses >= 5 => return Err(e),
            Err(_) => {
                misses += 1;
                tokio::time::sleep(PRUNE_POLL).await;
                continue;
            }
        };
        if let Some(j) = jobs.into_iter().find(|j| j.job_id == job_id) {
            if matches!(j.status.as_str(), "COMPLETE" | "FAILED" | "CANCELED") {
                return Ok(j);
            }
        }
        tokio::time::sleep(PRUNE_POLL).await;
    }
}

pub fn prune_ui(ui: &mut Ui, state: &mut PruneState, vault_id: &str, commands: &mut Vec<UiCommand>) {
    section(ui, "Storage (prune)", |ui| {
        ui.label(muted(ui, "Deleted and expired snapshots leave their data behind until a prune reclaims it (the backend also prunes on its own, at most once a day)."));
        let busy = state.job.is_running();
        ui.horizontal(|ui| {
            let button = ui.add_enabled(!busy, egui::Button::new("Prune now")).on_hover_text("Reclaim the storage of deleted snapshots and failed backups");
            if button.clicked() {
                commands.push(UiCommand::PruneNow { vault_id: vault_id.to_string(), dry_run: state.dry_run });
            }
            ui.add_enabled(!busy, egui::Checkbox::new(&mut state.dry_run, "Dry run")).on_hover_text("Report what a prune would free; delete nothing");
            if busy {
                ui.spinner();
                ui.label(if state.dry_run { "Dry run…" } else { "Pruning…" });
            }
        });
        match &state.job.result {
            None => {}
            Some(Err(e)) if e.code() == Some("PruneJobAlreadyRunning") => {
                error_label(ui, "A prune job is already running on this vault: wait until it ends, then try again.");
            }
            Some(Err(e)) => error_label(ui, format!("Could not prune: {e}")),
            Some(Ok(j)) => result_ui(ui, j),
        }
    });
}

fn result_ui(ui: &mut Ui, j: &PruneJob) {
    ui.add_space(4.0);
    match j.status.as_str() {
        "COMPLETE" => {
            let (title, color) = if j.dry_run { ("Dry run complete (nothing deleted)", palette::WARN) } else { ("Prune complete", palette::OK) };
            ui.label(RichText::new(title).color(color).strong());
        }
        "CANCELED" => {
            ui.label(RichText::new("Prune canceled").color(palette::WARN).strong());
        }
        _ => error_label(ui, format!("Prune failed: {}", if j.error_message.is_empty() { "no reason given" } else { &j.error_message })),
    }
    let freed = if j.dry_run { "Would free" } else { "Bytes freed" };
    egui::Grid::new("prune-result").num_columns(4).spacing([24.0, 4.0]).show(ui, |ui| {
        ui.label(muted(ui, freed));
        ui.label(format!("{} ({} bytes)", format::bytes(j.bytes_freed), j.bytes_freed));
        ui.label(muted(ui, "Storage"));
        ui.label(format!("{} before · {} after", format::bytes(j.storage_size_before), format::bytes(j.storage_size_after)));
        ui.end_row();
        ui.label(muted(ui, "Packs deleted"));
        ui.label(j.packs_deleted.to_string());
        ui.label(muted(ui, "Packs rewritten"));
        ui.label(j.packs_rewritten.to_string());
        ui.end_row();
        ui.label(muted(ui, "Job"));
        ui.label(RichText::new(&j.job_id).monospace());
        if j.complete_time > 0 && j.start_time > 0 {
            ui.label(muted(ui, "Took"));
            ui.label(format::duration(j.complete_time - j.start_time));
        }
        ui.end_row();
    });
}
