//! Backup plans: the list (vault, client, paths, schedule in words, next run, last result) with
//! run now / enable / disable / edit / delete, and the create/edit form with a schedule picker
//! and retention (days, keep the latest, long-term rules). File plans only here; SQL Server
//! plans are made through the API. Every request goes through `Net` and settles as a promise.
use egui::{RichText, Ui};
use serde_json::Value;

use crate::api::backup::JobIdResponse;
use crate::api::plan::*;
use crate::client::ClientError;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header, section};

/// The intervals the picker offers, with their ISO 8601 durations.
pub const INTERVALS: [(&str, &str); 5] = [("Every hour", "PT1H"), ("Every 6 hours", "PT6H"), ("Every day", "P1D"), ("Every week", "P1W"), ("Custom (ISO 8601)", "")];

/// The long-term rule kinds the form offers.
const RULE_KINDS: [(&str, &str); 3] = [("WEEKLY", "Keep each week's first snapshot"), ("MONTHLY", "Keep each month's first snapshot"), ("YEARLY", "Keep each year's first snapshot")];

/// The create/edit form.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanForm {
    /// `Some` when editing that plan.
    pub editing: Option<String>,
    pub name: String,
    pub client_id: Option<String>,
    /// One absolute path per line.
    pub paths: String,
    /// The first run, in minutes from now (the picker); the schedule is kept as is when editing
    /// until the picker changes.
    pub start_in_minutes: i64,
    /// Index into `INTERVALS`.
    pub interval: usize,
    pub custom_interval: String,
    pub schedule_touched: bool,
    pub expire: bool,
    pub retention_days: i64,
    pub keep_latest: bool,
    /// Per `RULE_KINDS`: kept for that many days when `Some`.
    pub rules: [Option<i64>; 3],
}

impl Default for PlanForm {
    fn default() -> Self {
        PlanForm {
            editing: None,
            name: String::new(),
            client_id: None,
            paths: String::new(),
            start_in_minutes: 5,
            interval: 2,
            custom_interval: "PT30M".into(),
            schedule_touched: true,
            expire: true,
            retention_days: 30,
            keep_latest: true,
            rules: [None; 3],
        }
    }
}

impl PlanForm {
    fn of(p: &BackupPlan) -> PlanForm {
        let interval_iso = p.schedule.rsplit('|').next().unwrap_or_default().to_string();
        let interval = INTERVALS.iter().position(|(_, iso)| *iso == interval_iso).unwrap_or(INTERVALS.len() - 1);
        let rules: Vec<Value> = serde_json::from_str(&p.retention_rules).unwrap_or_default();
        let days_of = |kind: &str| rules.iter().find(|r| r["AdvancedRetentionType"] == kind).and_then(|r| r["Retention"].as_i64());
        PlanForm {
            editing: Some(p.plan_id.clone()),
            name: p.plan_name.clone(),
            client_id: Some(p.client_id.clone()),
            paths: p.paths.path.join("\n"),
            custom_interval: interval_iso,
            interval,
            schedule_touched: false,
            expire: p.retention.is_some(),
            retention_days: p.retention.unwrap_or(30),
            keep_latest: p.keep_latest_snapshots == 1,
            rules: [days_of("WEEKLY"), days_of("MONTHLY"), days_of("YEARLY")],
            ..PlanForm::default()
        }
    }

    fn paths(&self) -> Vec<String> {
        self.paths.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
    }

    fn interval_iso(&self) -> String {
        match INTERVALS[self.interval].1 {
            "" => self.custom_interval.trim().to_string(),
            iso => iso.to_string(),
        }
    }

    /// `I|{start}|{interval}` from the picker.
    pub fn schedule(&self, now: i64) -> String {
        format!("I|{}|{}", now + self.start_in_minutes.max(0) * 60, self.interval_iso())
    }

    fn rules_json(&self) -> String {
        let rules: Vec<Value> = RULE_KINDS
            .iter()
            .zip(self.rules)
            .filter_map(|((kind, _), days)| days.map(|d| serde_json::json!({"AdvancedRetentionType": kind, "Retention": d, "WhichSnapshot": 1})))
            .collect();
        Value::Array(rules).to_string()
    }
}

/// What the screen's widgets ask for; `PlansState::run` acts on them after drawing.
#[derive(Clone, Debug, PartialEq)]
pub enum PlanCommand {
    Save,
    Run(String),
    SetEnabled(String, bool),
    Delete(String),
}

#[derive(Default)]
pub struct PlansState {
    pub form: PlanForm,
    pub save: Action<Value>,
    pub act: Action<String>,
    pub confirm_delete: Option<String>,
    pub message: Option<String>,
    pub commands: Vec<PlanCommand>,
}

impl PlansState {
    /// Starts the requests the widgets asked for.
    pub fn run(&mut self, net: &Net, ctx: &egui::Context, vault_of_client: impl Fn(&str) -> Option<String>) {
        for command in std::mem::take(&mut self.commands) {
            self.message = None;
            match command {
                PlanCommand::Save => {
                    let f = self.form.clone();
                    let now = format::now_unix();
                    let vault_id = f.client_id.as_deref().and_then(&vault_of_client).unwrap_or_default();
                    self.save.start(net, ctx, move |c| async move { save(&c, &f, vault_id, now).await });
                }
                PlanCommand::Run(id) => {
                    self.act.start(net, ctx, move |c| async move {
                        let r: JobIdResponse = c.send(&ExecuteBackupPlanRequest { plan: plan_ref(&id) }).await?;
                        Ok(format!("Backup {} started.", r.job_id))
                    });
                }
                PlanCommand::SetEnabled(id, enabled) => {
                    self.act.start(net, ctx, move |c| async move {
                        if enabled {
                            c.send(&EnableBackupPlanRequest { plan: plan_ref(&id) }).await?;
                            Ok("Plan enabled.".to_string())
                        } else {
                            c.send(&DisableBackupPlanRequest { plan: plan_ref(&id) }).await?;
                            Ok("Plan disabled: it does not run until enabled.".to_string())
                        }
                    });
                }
                PlanCommand::Delete(id) => {
                    self.confirm_delete = None;
                    self.act.start(net, ctx, move |c| async move {
                        c.send(&DeleteBackupPlanRequest { plan: plan_ref(&id), require_no_running_jobs: false }).await?;
                        Ok("Plan deleted; its backups stay.".to_string())
                    });
                }
            }
        }
    }

    /// True when a save or an action finished (the app then refreshes the plans).
    pub fn poll(&mut self) -> bool {
        let mut done = false;
        if self.save.poll() {
            done = true;
            if matches!(self.save.result, Some(Ok(_))) {
                self.message = Some(if self.form.editing.is_some() { "Plan saved." } else { "Plan created." }.to_string());
                self.form = PlanForm::default();
            }
        }
        if self.act.poll() {
            done = true;
            if let Some(Ok(text)) = &self.act.result {
                self.message = Some(text.clone());
            }
        }
        done
    }
}

fn plan_ref(id: &str) -> PlanRef {
    PlanRef { plan_id: id.to_string(), ..PlanRef::default() }
}

async fn save(c: &crate::client::Client, f: &PlanForm, vault_id: String, now: i64) -> Result<Value, ClientError> {
    let retention = f.expire.then_some(f.retention_days);
    let keep = Some(f.keep_latest as i64);
    match &f.editing {
        Some(id) => {
            let r = UpdateBackupPlanRequest {
                plan: plan_ref(id),
                plan_name: Some(f.name.trim().to_string()),
                schedule: f.schedule_touched.then(|| f.schedule(now)),
                retention,
                keep_latest_snapshots: keep,
                retention_rules: Some(f.rules_json()),
                path: f.paths(),
                ..UpdateBackupPlanRequest::default()
            };
            c.send(&r).await
        }
        None => {
            let r = CreateBackupPlanRequest {
                vault_id,
                source_type: "FILE".into(),
                plan_name: f.name.trim().to_string(),
                schedule: f.schedule(now),
                retention,
                keep_latest_snapshots: keep,
                retention_rules: f.rules_json(),
                path: f.paths(),
                instance_id: f.client_id.clone().unwrap_or_default(),
                ..CreateBackupPlanRequest::default()
            };
            c.send(&r).await.map(|r| serde_json::json!({"PlanId": r.plan_id}))
        }
    }
}

/// "every day from 2 Dec 01:00" for `I|start|P1D`.
pub fn schedule_words(schedule: &str) -> String {
    let parts: Vec<&str> = schedule.split('|').collect();
    let [_, start, iso] = parts.as_slice() else { return schedule.to_string() };
    let every = match INTERVALS.iter().find(|(_, i)| i == iso) {
        Some((label, _)) => label.to_lowercase(),
        None => format!("every {iso}"),
    };
    match start.parse::<i64>() {
        Ok(t) => format!("{every} from {}", format::datetime(t)),
        Err(_) => every,
    }
}

pub fn ui(ui: &mut Ui, state: &mut PlansState, data: &Data, commands: &mut Vec<UiCommand>) {
    screen_header(ui, "Backup plans", "Backups that run on a schedule, and how long their snapshots are kept.");
    egui::ScrollArea::both().id_salt("plans").auto_shrink([false, false]).show(ui, |ui| {
        list_ui(ui, state, data, commands);
        ui.add_space(10.0);
        form_ui(ui, state, data);
    });
}

fn list_ui(ui: &mut Ui, state: &mut PlansState, data: &Data, commands: &mut Vec<UiCommand>) {
    section(ui, "Plans", |ui| {
        if let Some(m) = &state.message {
            ui.label(RichText::new(m).color(palette::OK));
        }
        if let Some(e) = state.act.error() {
            error_label(ui, e.to_string());
        }
        if let Some(e) = data.plans.error() {
            error_label(ui, format!("Could not load backup plans: {e}"));
        }
        let Some(plans) = data.plans.value() else {
            ui.spinner();
            return;
        };
        if plans.is_empty() {
            ui.label(muted(ui, "No backup plans yet: create one below."));
            return;
        }
        let now = format::now_unix();
        let busy = state.act.is_running();
        egui::Grid::new("plans-table").num_columns(8).striped(true).spacing([14.0, 6.0]).show(ui, |ui| {
            for h in ["Plan", "Vault", "Client", "Paths", "Schedule", "Next run", "Last result", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for p in plans {
                ui.label(RichText::new(&p.plan_name).strong());
                let vault = data.vault(&p.vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| p.vault_id.clone());
                if ui.link(vault).clicked() {
                    commands.push(UiCommand::OpenVault(p.vault_id.clone()));
                }
                let client = data.clients.value().and_then(|cs| cs.iter().find(|c| c.client_id == p.client_id)).map(|c| c.client_name.clone());
                ui.label(client.unwrap_or_else(|| p.client_id.clone()));
                let what = if p.database_names.is_empty() { p.paths.path.join(", ") } else { p.database_names.join(", ") };
                ui.allocate_ui(egui::vec2(200.0, 18.0), |ui| ui.add(egui::Label::new(what.as_str()).truncate())).inner.on_hover_text(what.as_str());
                ui.label(schedule_words(&p.schedule));
                if p.disabled {
                    ui.label(muted(ui, "disabled"));
                } else {
                    ui.ctx().request_repaint_after(format::countdown_changes_in(p.next_run_time - now));
                    ui.label(format!("in {}", format::duration(p.next_run_time - now))).on_hover_text(format::datetime(p.next_run_time));
                }
                let (color, text) = match p.latest_execute_job_status.as_str() {
                    "" => (ui.visuals().weak_text_color(), "never run".to_string()),
                    "COMPLETE" => (palette::OK, "complete".to_string()),
                    "FAILED" | "CANCELED" => (palette::ERROR, p.latest_execute_job_status.to_lowercase()),
                    other => (ui.visuals().text_color(), other.to_lowercase().replace('_', " ")),
                };
                ui.label(RichText::new(text).color(color)).on_hover_text(&p.latest_execute_job_id);
                // Each button in a ui of its own id, so its id does not depend on its neighbours.
                let button = |ui: &mut Ui, key: &str, enabled: bool, text: egui::WidgetText| ui.push_id((&p.plan_id, key), |ui| ui.add_enabled(enabled, egui::Button::new(text))).inner;
                ui.horizontal(|ui| {
                    if button(ui, "run", !busy, "Run now".into()).on_hover_text(format!("Run {} now", p.plan_name)).clicked() {
                        state.commands.push(PlanCommand::Run(p.plan_id.clone()));
                    }
                    let toggle = if p.disabled { "Enable" } else { "Disable" };
                    if button(ui, "toggle", !busy, toggle.into()).clicked() {
                        state.commands.push(PlanCommand::SetEnabled(p.plan_id.clone(), p.disabled));
                    }
                    if button(ui, "edit", !busy, "Edit".into()).clicked() {
                        state.form = PlanForm::of(p);
                        state.save.result = None;
                    }
                    if state.confirm_delete.as_deref() == Some(p.plan_id.as_str()) {
                        let confirm = RichText::new("Confirm delete").color(egui::Color32::WHITE);
                        let delete = ui.push_id((&p.plan_id, "confirm"), |ui| ui.add_enabled(!busy, egui::Button::new(confirm).fill(palette::ERROR))).inner;
                        if delete.clicked() {
                            state.commands.push(PlanCommand::Delete(p.plan_id.clone()));
                        }
                        if button(ui, "cancel", true, "Cancel".into()).clicked() {
                            state.confirm_delete = None;
                        }
                    } else if button(ui, "delete", !busy, "Delete…".into()).clicked() {
                        state.confirm_delete = Some(p.plan_id.clone());
                    }
                });
                ui.end_row();
            }
        });
    });
}

fn form_ui(ui: &mut Ui, state: &mut PlansState, data: &Data) {
    let title = if state.form.editing.is_some() { "Edit plan" } else { "New plan" };
    section(ui, title, |ui| {
        let f = &mut state.form;
        let busy = state.save.is_running();
        egui::Grid::new("plan-form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
            let label = ui.label("Plan name");
            ui.add(egui::TextEdit::singleline(&mut f.name).hint_text("e.g. nightly").desired_width(260.0)).labelled_by(label.id);
            ui.end_row();

            let label = ui.label("Backup client");
            let file_clients: Vec<_> = data.clients.value().map(|cs| cs.iter().filter(|c| c.client_type == "FILE").collect()).unwrap_or_default();
            let selected = f.client_id.as_deref().and_then(|id| file_clients.iter().find(|c| c.client_id == id)).map(|c| c.client_name.clone()).unwrap_or_else(|| "Choose a client".into());
            ui.add_enabled_ui(f.editing.is_none(), |ui| {
                egui::ComboBox::from_id_salt("plan-client")
                    .selected_text(selected)
                    .width(260.0)
                    .show_ui(ui, |ui| {
                        for c in &file_clients {
                            ui.selectable_value(&mut f.client_id, Some(c.client_id.clone()), &c.client_name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            ui.end_row();

            let label = ui.label("Paths (one per line)");
            ui.add(egui::TextEdit::multiline(&mut f.paths).hint_text("/srv/data").desired_rows(2).desired_width(360.0)).labelled_by(label.id);
            ui.end_row();

            let label = ui.label("Repeat");
            let before = (f.interval, f.start_in_minutes, f.custom_interval.clone());
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt("plan-interval")
                    .selected_text(INTERVALS[f.interval].0)
                    .show_ui(ui, |ui| {
                        for (i, (name, _)) in INTERVALS.iter().enumerate() {
                            ui.selectable_value(&mut f.interval, i, *name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if INTERVALS[f.interval].1.is_empty() {
                    ui.add(egui::TextEdit::singleline(&mut f.custom_interval).desired_width(90.0)).on_hover_text("An ISO 8601 duration: PT30M, PT12H, P2D");
                }
                let label = ui.label("first run in");
                ui.add(egui::DragValue::new(&mut f.start_in_minutes).range(0..=60 * 24 * 30).suffix(" min")).labelled_by(label.id);
            });
            if before != (f.interval, f.start_in_minutes, f.custom_interval.clone()) {
                f.schedule_touched = true;
            }
            ui.end_row();

            ui.label("Retention");
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.checkbox(&mut f.expire, "Expire snapshots after");
                    ui.add_enabled(f.expire, egui::DragValue::new(&mut f.retention_days).range(1..=36_500).suffix(" days"));
                });
                ui.checkbox(&mut f.keep_latest, "Always keep the latest snapshot");
                for (i, (_, text)) in RULE_KINDS.iter().enumerate() {
                    ui.horizontal(|ui| {
                        let mut on = f.rules[i].is_some();
                        if ui.checkbox(&mut on, *text).changed() {
                            f.rules[i] = on.then_some(365);
                        }
                        if let Some(days) = &mut f.rules[i] {
                            ui.add(egui::DragValue::new(days).range(1..=36_500).prefix("for ").suffix(" days"));
                        }
                    });
                }
            });
            ui.end_row();
        });
        let now = format::now_unix();
        let words = if f.schedule_touched { schedule_words(&f.schedule(now)) } else { "the current schedule is kept".into() };
        ui.label(muted(ui, format!("Runs {words}.")));
        ui.horizontal(|ui| {
            let ready = !busy && !f.name.trim().is_empty() && f.client_id.is_some() && !f.paths().is_empty() && !f.interval_iso().is_empty();
            let save = if f.editing.is_some() { "Save plan" } else { "Create plan" };
            if ui.add_enabled(ready, egui::Button::new(save)).clicked() {
                state.commands.push(PlanCommand::Save);
            }
            if f.editing.is_some() && ui.button("Cancel edit").clicked() {
                *f = PlanForm::default();
            }
            if busy {
                ui.spinner();
            }
        });
        if let Some(e) = state.save.error() {
            error_label(ui, e.to_string());
        }
    });
}
