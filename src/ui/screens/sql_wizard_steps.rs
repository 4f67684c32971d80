//! Drawing the SQL Server restore wizard, one function per step. Reads `SqlWizardState`, changes
//! only choices and fields, and pushes `UiCommand::SqlWizard(..)` for everything that calls the
//! backend.
use egui::{Key, RichText, Ui};

use super::sql_wizard::{instance_title, is_terminal, point_label, target_name_problem, SqlWizardState, Step, WizardCommand, ENGINES, TARGET_NAME_MAX, TITLE};
use crate::api::sqlserver::{Instance, Precheck, ENGINE_DEMO};
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::widgets::drill_report::{self, CHECK, CROSS};
use crate::ui::widgets::{error_label, format, muted, palette};

const WIDTH: f32 = 760.0;
const BODY_HEIGHT: f32 = 520.0;

pub fn ui(ctx: &egui::Context, state: &mut SqlWizardState, data: &Data, commands: &mut Vec<UiCommand>) {
    let mut open = true;
    egui::Window::new(TITLE)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(WIDTH)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
        .show(ctx, |ui| {
            ui.set_width(WIDTH);
            ui.set_max_width(WIDTH);
            steps_bar_ui(ui, state.step);
            ui.separator();
            // A fixed height: the centred window never moves under the pointer as content comes and goes.
            egui::ScrollArea::vertical().id_salt("sql-wizard-body").max_height(BODY_HEIGHT).auto_shrink([false, false]).show(ui, |ui| {
                match state.step {
                    Step::Destination => destination_ui(ui, state, data),
                    Step::Instance => instance_ui(ui, state, data, commands),
                    Step::Source => source_ui(ui, state, data),
                    Step::Target => target_ui(ui, state),
                    Step::Review => review_ui(ui, state, data, commands),
                    Step::Run => run_ui(ui, state, data, commands),
                }
            });
            ui.separator();
            footer_ui(ui, state, commands);
        });
    let running = state.restore.value().is_some_and(|r| !is_terminal(&r.status)) || (state.restore_id.is_some() && state.restore.value().is_none());
    if !open || (!running && ctx.input(|i| i.key_pressed(Key::Escape))) {
        commands.push(UiCommand::SqlWizard(WizardCommand::Close));
    }
}

fn steps_bar_ui(ui: &mut Ui, current: Step) {
    ui.horizontal_wrapped(|ui| {
        for step in Step::ALL {
            let text = format!("{} {}", step.number(), step.title());
            let rich = if step == current {
                RichText::new(text).strong().color(palette::ACCENT)
            } else if step < current {
                RichText::new(text).color(ui.visuals().text_color())
            } else {
                muted(ui, text)
            };
            ui.label(rich);
            if step != Step::Run {
                ui.label(muted(ui, "›"));
            }
        }
    });
}

fn footer_ui(ui: &mut Ui, state: &mut SqlWizardState, commands: &mut Vec<UiCommand>) {
    ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 30.0), egui::Layout::right_to_left(egui::Align::Center), |ui| {
        let blocker = state.blocker();
        match state.step {
            Step::Review => {
                let r = ui.add_enabled(blocker.is_none(), egui::Button::new(RichText::new("Start restore").strong()).min_size(egui::vec2(110.0, 28.0)));
                if r.clicked() {
                    commands.push(UiCommand::SqlWizard(WizardCommand::StartRestore));
                }
                if state.create.is_running() {
                    ui.spinner();
                }
            }
            Step::Run => {
                let done = state.restore.value().is_some_and(|r| is_terminal(&r.status));
                if ui.add_enabled(done, egui::Button::new("Close").min_size(egui::vec2(80.0, 28.0))).on_disabled_hover_text("The restore is still running").clicked() {
                    commands.push(UiCommand::SqlWizard(WizardCommand::Close));
                }
                if done && state.report().is_some() && ui.button("Save drill report…").clicked() {
                    commands.push(UiCommand::SqlWizard(WizardCommand::SaveReport));
                }
                if !done && ui.add_enabled(!state.cancel.is_running(), egui::Button::new("Cancel restore")).clicked() {
                    commands.push(UiCommand::SqlWizard(WizardCommand::CancelRestore));
                }
            }
            _ => {
                let r = ui.add_enabled(blocker.is_none(), egui::Button::new(RichText::new("Next").strong()).min_size(egui::vec2(80.0, 28.0)));
                let r = match &blocker {
                    Some(reason) => r.on_disabled_hover_text(reason.as_str()),
                    None => r,
                };
                if r.clicked() {
                    state.go_next();
                }
            }
        }
        if state.step != Step::Run {
            let back = ui.add_enabled(state.step > Step::Destination && !state.create.is_running(), egui::Button::new("Back").min_size(egui::vec2(70.0, 28.0)));
            if back.clicked() {
                state.go_back();
            }
            // The target step explains its blockers inline, next to the fields.
            if let Some(reason) = blocker.filter(|_| !matches!(state.step, Step::Review | Step::Target)) {
                ui.label(muted(ui, reason));
            }
        }
        ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
            if state.step != Step::Run && ui.button("Cancel").clicked() {
                commands.push(UiCommand::SqlWizard(WizardCommand::Close));
            }
        });
    });
}

fn heading(ui: &mut Ui, step: Step, text: &str) {
    ui.label(RichText::new(format!("Step {} of 6 · {}", step.number(), step.title())).strong().size(16.0));
    ui.label(muted(ui, text));
    ui.add_space(6.0);
}

fn destination_ui(ui: &mut Ui, state: &mut SqlWizardState, data: &Data) {
    heading(ui, Step::Destination, "Where to recover: the region and the mirror vault there whose copies you restore from.");
    let mirrors: Vec<_> = data.vaults.value().map(|vs| vs.iter().filter(|v| v.is_mirror()).collect()).unwrap_or_default();
    if data.vaults.value().is_none() {
        ui.spinner();
        return;
    }
    if mirrors.is_empty() {
        ui.label(RichText::new("No mirror vault exists yet. Create one from a source vault's card first.").color(palette::WARN));
        return;
    }
    let mut regions: Vec<String> = mirrors.iter().map(|v| v.vault_region_id.clone()).collect();
    regions.sort();
    regions.dedup();
    egui::Grid::new("wizard-destination").num_columns(2).spacing([14.0, 10.0]).show(ui, |ui| {
        let label = ui.label("Destination region");
        let selected = state.region.as_deref().map(|r| data.region_label(r)).unwrap_or_else(|| "Choose a region".into());
        let before = state.region.clone();
        egui::ComboBox::from_id_salt("wizard-region")
            .selected_text(selected)
            .width(320.0)
            .show_ui(ui, |ui| {
                for r in &regions {
                    ui.selectable_value(&mut state.region, Some(r.clone()), data.region_label(r));
                }
            })
            .response
            .labelled_by(label.id);
        if state.region != before {
            state.vault_id = None;
        }
        ui.end_row();

        let label = ui.label("Mirror vault");
        let in_region: Vec<_> = mirrors.iter().filter(|v| Some(&v.vault_region_id) == state.region.as_ref()).collect();
        if in_region.len() == 1 && state.vault_id.is_none() {
            state.vault_id = Some(in_region[0].vault_id.clone());
        }
        let selected = state.vault_id.as_deref().and_then(|id| data.vault(id)).map(|v| v.vault_name.clone()).unwrap_or_else(|| "Choose a mirror vault".into());
        egui::ComboBox::from_id_salt("wizard-vault")
            .selected_text(selected)
            .width(320.0)
            .show_ui(ui, |ui| {
                for v in &in_region {
                    ui.selectable_value(&mut state.vault_id, Some(v.vault_id.clone()), &v.vault_name);
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
    });
    if let Some(v) = state.vault_id.as_deref().and_then(|id| data.vault(id)) {
        ui.add_space(8.0);
        let source = if v.replication_source_vault_name.is_empty() { &v.replication_source_vault_id } else { &v.replication_source_vault_name };
        ui.label(format!("{} is the mirror of {source} in {}.", v.vault_name, data.region_label(&v.replication_source_region_id)));
        let now = format::now_unix();
        if let Some(line) = crate::ui::widgets::vault_card::replication_line(v, now) {
            crate::ui::widgets::vault_card::replication_line_ui(ui, &line, now);
        }
        let source_down = data.regions.value().is_some_and(|rs| rs.iter().any(|r| r.region_id == v.replication_source_region_id && r.outage));
        if source_down {
            ui.label(RichText::new(format!("{} is marked unavailable (outage): restoring from the mirror is exactly what this wizard is for.", v.replication_source_region_id)).color(palette::ERROR));
        }
    }
}

fn instance_row_text(i: &Instance) -> String {
    format!("{} · {} · {}", instance_title(i), i.engine_label, i.status)
}

fn instance_ui(ui: &mut Ui, state: &mut SqlWizardState, data: &Data, commands: &mut Vec<UiCommand>) {
    let region = state.region.clone().unwrap_or_default();
    heading(ui, Step::Instance, &format!("The SQL Server instance in {} that receives the database: one registered on the mirror vault, or a new one.", data.region_label(&region)));
    match (state.instances.value(), state.instances.error()) {
        (_, Some(e)) => error_label(ui, format!("Could not load the instances: {e}")),
        (None, None) => {
            ui.spinner();
        }
        (Some(list), None) if list.is_empty() => {
            ui.label(muted(ui, "No instance is registered on this mirror vault yet: register one below."));
        }
        (Some(list), None) => {
            let list = list.clone();
            for i in &list {
                ui.horizontal(|ui| {
                    let selected = state.cluster_id.as_deref() == Some(&i.cluster_id);
                    if ui.selectable_label(selected, instance_row_text(i)).clicked() {
                        state.cluster_id = Some(i.cluster_id.clone());
                    }
                    if i.status != "ONLINE" && !i.status_message.is_empty() {
                        ui.label(RichText::new(&i.status_message).color(palette::ERROR).small());
                    }
                });
            }
        }
    }
    ui.add_space(8.0);
    if !state.registering {
        if ui.button("Register a new instance…").clicked() {
            state.registering = true;
        }
        return;
    }
    egui::Frame::group(ui.style()).corner_radius(8.0).inner_margin(12.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(RichText::new("Register an instance on this mirror vault").strong());
        register_form_ui(ui, state, data, &region, commands);
    });
}

/// The backup clients of `region` (an agent of one reaches an instance on its host).
fn clients_in<'a>(data: &'a Data, region: &str) -> Vec<&'a crate::api::client::BackupClient> {
    data.clients.value().map(|c| c.iter().filter(|c| c.vault_region_id == region).collect()).unwrap_or_default()
}

fn register_form_ui(ui: &mut Ui, state: &mut SqlWizardState, data: &Data, region: &str, commands: &mut Vec<UiCommand>) {
    let busy = state.register.is_running();
    let f = &mut state.form.instance;
    egui::Grid::new("wizard-register").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
        let label = ui.label("Reached by");
        let clients = clients_in(data, region);
        let name_of = |id: &str| clients.iter().find(|c| c.client_id == id).map(|c| format!("the agent of {} ({})", c.client_name, c.client_id)).unwrap_or_else(|| id.to_string());
        let selected = if f.client_id.is_empty() { "the backend itself".to_string() } else { name_of(&f.client_id) };
        egui::ComboBox::from_id_salt("wizard-reached-by")
            .selected_text(selected)
            .width(340.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.client_id, String::new(), "the backend itself");
                for c in &clients {
                    ui.selectable_value(&mut f.client_id, c.client_id.clone(), format!("the agent of {} ({})", c.client_name, c.client_id));
                }
            })
            .response
            .labelled_by(label.id);
        ui.end_row();
        ui.label("Engine");
        ui.horizontal(|ui| {
            for (engine, label) in ENGINES {
                ui.radio_value(&mut f.engine, engine.to_string(), label);
            }
        });
        ui.end_row();
        let label = ui.label("Server name");
        let demo = f.engine == ENGINE_DEMO;
        let hint = if demo { "a name, e.g. dr-shanghai, or an absolute directory" } else { "host,port or host\\instance" };
        ui.add(egui::TextEdit::singleline(&mut f.server_name).hint_text(hint).desired_width(340.0).interactive(!busy)).labelled_by(label.id);
        ui.end_row();
        let label = ui.label("Instance name");
        ui.add(egui::TextEdit::singleline(&mut f.instance_name).hint_text("Optional display name").desired_width(340.0).interactive(!busy)).labelled_by(label.id);
        ui.end_row();
        if !demo {
            ui.label("Authentication");
            ui.checkbox(&mut f.use_windows_auth, "Windows authentication");
            ui.end_row();
            if !f.use_windows_auth {
                let label = ui.label("SQL login");
                ui.add(egui::TextEdit::singleline(&mut f.sql_login).desired_width(220.0).interactive(!busy)).labelled_by(label.id);
                ui.end_row();
                let label = ui.label("Password");
                ui.add(egui::TextEdit::singleline(&mut f.sql_password).password(true).desired_width(220.0).interactive(!busy)).labelled_by(label.id);
                ui.end_row();
            }
            ui.label("");
            ui.checkbox(&mut f.trust_server_certificate, "Trust the server certificate");
            ui.end_row();
            let label = ui.label("Staging directory");
            let hint = if f.client_id.is_empty() { "Seen by SQL Server and the backend under the same path" } else { "On the SQL Server host, writable by SQL Server and the agent" };
            ui.add(egui::TextEdit::singleline(&mut f.staging_dir).hint_text(hint).desired_width(340.0).interactive(!busy))
                .labelled_by(label.id);
            ui.end_row();
        } else {
            ui.label("");
            ui.label(muted(ui, "A Demo engine instance is a directory; each database is a SQLite file."));
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    let form_blocker = state.form.blocker();
    ui.horizontal(|ui| {
        let r = ui.add_enabled(form_blocker.is_none() && !state.precheck.is_running() && !busy, egui::Button::new("Run precheck"));
        if r.clicked() {
            commands.push(UiCommand::SqlWizard(WizardCommand::Precheck));
        }
        let passed = state.precheck_passed();
        let r = ui.add_enabled(passed && !busy, egui::Button::new(RichText::new("Register instance").strong()));
        let r = if passed { r } else { r.on_disabled_hover_text("Run a precheck of these fields first; registering needs it to pass") };
        if r.clicked() {
            commands.push(UiCommand::SqlWizard(WizardCommand::Register));
        }
        if ui.add_enabled(!busy, egui::Button::new("Cancel")).clicked() {
            state.registering = false;
        }
        if state.precheck.is_running() || busy {
            ui.spinner();
        }
        if let Some(b) = form_blocker {
            ui.label(muted(ui, b));
        } else if !passed && !state.precheck.is_running() {
            ui.label(muted(ui, "Registering needs a passed precheck of these fields."));
        }
    });
    if state.precheck_is_current() {
        match &state.precheck.result {
            Some(Ok(r)) => precheck_ui(ui, &r.precheck),
            Some(Err(e)) => problem_box(ui, &format!("Precheck refused: {e}"), None),
            None => {}
        }
    }
    match &state.register.result {
        Some(Err(e)) => problem_box(ui, &format!("Registering failed: {e}"), None),
        Some(Ok(r)) if r.status != "ONLINE" => {
            problem_box(ui, &format!("The instance {} was registered but is {}.", r.cluster_id, r.status), None);
            precheck_ui(ui, &r.precheck);
        }
        _ => {}
    }
}

/// A precheck's outcome, each check with its message.
fn precheck_ui(ui: &mut Ui, p: &Precheck) {
    ui.add_space(4.0);
    let (color, title) = if p.passed { (palette::OK, format!("{CHECK} Precheck passed")) } else { (palette::ERROR, format!("{CROSS} Precheck failed")) };
    egui::Frame::new().fill(color.gamma_multiply(0.10)).corner_radius(6.0).inner_margin(8.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            ui.label(RichText::new(title).color(color).strong());
            let mut what = p.engine_label.clone();
            if !p.version.is_empty() {
                what.push_str(&format!(" · {}", p.version));
            }
            ui.label(muted(ui, what));
        });
        for c in &p.checks {
            let (mark, color) = if c.passed { (CHECK, palette::OK) } else { (CROSS, palette::ERROR) };
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("{mark} {}", c.name)).color(color));
                ui.label(&c.message);
            });
        }
    });
}

/// A red box with a backend refusal and, optionally, what to do about it.
fn problem_box(ui: &mut Ui, text: &str, hint: Option<&str>) {
    ui.add_space(4.0);
    egui::Frame::new().fill(palette::ERROR.gamma_multiply(0.12)).corner_radius(6.0).inner_margin(8.0).show(ui, |ui| {
        ui.set_width(ui.available_width());
        error_label(ui, text);
        if let Some(h) = hint {
            ui.label(h);
        }
    });
}

fn source_ui(ui: &mut Ui, state: &mut SqlWizardState, data: &Data) {
    heading(ui, Step::Source, "What to restore: the source instance, the database and one of its backup points that are already in the mirror.");
    let now = format::now_unix();
    match (state.sources.value(), state.sources.error()) {
        (_, Some(e)) => return error_label(ui, format!("Could not load the source instances: {e}")),
        (None, None) => {
            ui.spinner();
            return;
        }
        (Some(list), None) if list.is_empty() => {
            ui.label(RichText::new("No SQL Server backup has reached this mirror yet.").color(palette::WARN));
            return;
        }
        (Some(list), None) => {
            ui.label(RichText::new("Source instance").strong());
            for i in list.clone() {
                let text = format!("{} · {} · {}", instance_title(&i), i.engine_label, data.region_label(&i.region_id));
                if ui.selectable_label(state.source_cluster_id.as_deref() == Some(&i.cluster_id), text).clicked() && state.source_cluster_id.as_deref() != Some(&i.cluster_id) {
                    state.source_cluster_id = Some(i.cluster_id.clone());
                    state.database = None;
                    state.snapshot_id = None;
                }
            }
        }
    }
    if state.source_cluster_id.is_none() {
        return;
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Database").strong());
    match (state.databases.value(), state.databases.error()) {
        (_, Some(e)) => return error_label(ui, format!("Could not load the databases: {e}")),
        (None, None) => {
            ui.spinner();
            return;
        }
        (Some(dbs), None) => {
            let dbs = dbs.clone();
            egui::Grid::new("wizard-databases").num_columns(2).spacing([18.0, 4.0]).show(ui, |ui| {
                for d in dbs {
                    if ui.selectable_label(state.database.as_deref() == Some(&d.database_name), &d.database_name).clicked() {
                        state.choose_database(&d.database_name);
                    }
                    ui.label(muted(ui, format!("{} · latest {}", format::plural(d.snapshot_count, "backup point"), format::ago(d.latest_backup_time, now))));
                    ui.end_row();
                }
            });
        }
    }
    let Some(db) = state.database.clone() else { return };
    ui.add_space(8.0);
    ui.label(RichText::new(format!("Backup points of {db} in the mirror")).strong());
    match (state.points.value(), state.points.error()) {
        (_, Some(e)) => error_label(ui, format!("Could not load the backup points: {e}")),
        (None, None) => {
            ui.spinner();
        }
        (Some(points), None) if points.is_empty() => {
            ui.label(muted(ui, "No backup point of this database is in the mirror yet."));
        }
        (Some(points), None) => {
            let points = points.clone();
            egui::Grid::new("wizard-points").num_columns(3).spacing([18.0, 4.0]).show(ui, |ui| {
                for s in points {
                    if ui.selectable_label(state.snapshot_id.as_deref() == Some(&s.snapshot_id), point_label(&s)).clicked() {
                        state.snapshot_id = Some(s.snapshot_id.clone());
                    }
                    ui.label(muted(ui, format!("{} · {}", if s.backup_type.is_empty() { "FULL" } else { &s.backup_type }, format::ago(s.complete_time, now))));
                    ui.label(RichText::new(&s.snapshot_id).monospace().small());
                    ui.end_row();
                }
            });
        }
    }
}

fn target_ui(ui: &mut Ui, state: &mut SqlWizardState) {
    heading(ui, Step::Target, "The restored database's name on the target instance, and where its files go.");
    let demo = state.target_is_demo();
    let target = state.instance().map(|i| format!("{} ({})", instance_title(i), i.engine_label)).unwrap_or_default();
    ui.label(format!("Target instance: {target}"));
    ui.add_space(6.0);
    let (name_before, replace_before) = (state.target_name.clone(), state.replace);
    egui::Grid::new("wizard-target").num_columns(2).spacing([12.0, 10.0]).show(ui, |ui| {
        let label = ui.label("Target database name");
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut state.target_name).desired_width(300.0)).labelled_by(label.id);
                let n = state.target_name.chars().count();
                let color = if n > TARGET_NAME_MAX { palette::ERROR } else { ui.visuals().weak_text_color() };
                ui.label(RichText::new(format!("{n}/{TARGET_NAME_MAX}")).monospace().color(color));
            });
            if let Some(p) = target_name_problem(&state.target_name, demo) {
                ui.label(RichText::new(p).color(palette::ERROR));
            }
        });
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut state.replace, "Replace an existing database of that name");
        ui.end_row();
        let label = ui.label("File destination");
        ui.add(egui::TextEdit::singleline(&mut state.file_destination).hint_text("Optional absolute directory (default: the instance's own)").desired_width(440.0))
            .labelled_by(label.id);
        ui.end_row();
    });
    if state.target_name != name_before {
        state.target_name_edited = true;
    }
    if state.target_name != name_before || state.replace != replace_before {
        // A refusal was about the old name or choice.
        state.create.result = None;
    }
    if state.target_exists() {
        let text = if state.replace {
            format!("{} exists on the target instance and will be replaced.", state.target_name.trim())
        } else {
            format!("{} already exists on the target instance: the restore will be refused unless you tick Replace or choose another name.", state.target_name.trim())
        };
        ui.label(RichText::new(text).color(palette::WARN));
    }
    refusal_ui(ui, state);
}

/// The backend's refusal of the restore (e.g. 409 DatabaseAlreadyExists), with a hint.
fn refusal_ui(ui: &mut Ui, state: &SqlWizardState) {
    if let Some(e) = state.create.error() {
        let hint = (e.code() == Some("DatabaseAlreadyExists")).then_some("Tick \"Replace an existing database of that name\" on the Target database step, or choose another name.");
        problem_box(ui, &format!("The restore was refused: {e}"), hint);
    }
}

fn review_ui(ui: &mut Ui, state: &mut SqlWizardState, data: &Data, commands: &mut Vec<UiCommand>) {
    let _ = commands;
    heading(ui, Step::Review, "Check everything, then start the restore. The database is verified (integrity and row counts) when it is in place.");
    let vault = state.vault_id.as_deref().and_then(|id| data.vault(id));
    let rows: Vec<(&str, String)> = vec![
        ("Restore from", vault.map(|v| format!("{} · {}", v.vault_name, data.region_label(&v.vault_region_id))).unwrap_or_default()),
        ("Source instance", state.source().map(|i| format!("{} ({}, {})", instance_title(i), i.engine_label, i.region_id)).unwrap_or_default()),
        ("Database", state.database.clone().unwrap_or_default()),
        ("Backup point", state.point().map(|s| format!("{} ({})", format::datetime(s.complete_time), s.snapshot_id)).unwrap_or_default()),
        ("Target instance", state.instance().map(|i| format!("{} ({}, {})", instance_title(i), i.engine_label, i.region_id)).unwrap_or_default()),
        ("Target database", state.target_name.trim().to_string()),
        ("Replace existing", if state.replace { "yes".into() } else { "no".into() }),
        ("File destination", if state.file_destination.trim().is_empty() { "the instance's own directory".into() } else { state.file_destination.trim().to_string() }),
    ];
    egui::Grid::new("wizard-review").num_columns(2).striped(true).spacing([20.0, 6.0]).show(ui, |ui| {
        for (k, v) in rows {
            ui.label(muted(ui, k));
            ui.label(v);
            ui.end_row();
        }
    });
    if state.target_exists() && !state.replace {
        ui.add_space(4.0);
        ui.label(RichText::new(format!("{} already exists on the target instance.", state.target_name.trim())).color(palette::WARN));
    }
    refusal_ui(ui, state);
}

fn run_ui(ui: &mut Ui, state: &mut SqlWizardState, data: &Data, commands: &mut Vec<UiCommand>) {
    let _ = commands;
    heading(ui, Step::Run, "The restore runs in the backend; you may watch it here.");
    let Some(r) = state.restore.value() else {
        match state.restore.error() {
            Some(e) => error_label(ui, format!("Could not read the restore's progress: {e}")),
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Starting the restore…");
                });
            }
        }
        return;
    };
    let done = is_terminal(&r.status);
    let fraction = (r.percentage as f32 / 100.0).clamp(0.0, 1.0);
    let text = format!("{} % · {} of {}", r.percentage, format::bytes(r.bytes_done), format::bytes(r.bytes_total));
    let fill = match r.status.as_str() {
        "COMPLETE" => palette::OK,
        "FAILED" | "CANCELED" => palette::ERROR,
        _ => palette::ACCENT,
    };
    ui.add(egui::ProgressBar::new(fraction).desired_height(18.0).fill(fill).text(text).animate(!done));
    ui.add_space(4.0);
    if !done {
        ui.label(format!("{}: {} to {}", r.status, r.source_database_name, r.target_database_name));
        return;
    }
    let passed = r.status == "COMPLETE" && state.report().is_some_and(drill_report::passed);
    let (color, title) = if passed {
        (palette::OK, format!("{CHECK} Restored and verified: {} is in place", r.target_database_name))
    } else {
        (palette::ERROR, format!("{CROSS} Restore {}: {}", r.status.to_lowercase(), if r.error_message.is_empty() { "see the report below" } else { &r.error_message }))
    };
    ui.label(RichText::new(title).color(color).strong().size(16.0));
    ui.add_space(6.0);
    if let Some(v) = &r.verification {
        ui.label(RichText::new("Verification").strong());
        drill_report::verification_ui(ui, v);
        ui.add_space(8.0);
    }
    if let Some(report) = state.report() {
        ui.label(RichText::new("Drill report").strong());
        drill_report::report_ui(ui, report, |id| data.vault(id).map(|v| v.vault_name.clone()).unwrap_or_else(|| id.to_string()));
    }
    match &state.saved {
        Some(Ok((md, json))) => {
            ui.add_space(4.0);
            ui.label(RichText::new(format!("Saved {} and {}", md.display(), json.display())).color(palette::OK));
        }
        Some(Err(e)) => error_label(ui, format!("Could not save the drill report: {e}")),
        None => {}
    }
}
