//! The SQL Server restore wizard's state: six steps (destination, instance, source point, target,
//! review, run) over a mirror vault. The drawing is in `sql_wizard_steps.rs`; backend calls run
//! from `refresh_due` (lists, progress polls) and from the app's commands (precheck, register,
//! restore, cancel), never from a draw function.
use std::path::PathBuf;
use std::time::Duration;

use crate::api::backup::Snapshot;
use crate::api::sqlserver::{
    CreateInstanceResponse, CreateRestoreResponse, CreateSqlServerInstanceRequest, CreateSqlServerRestoreRequest, Database, Instance, PrecheckResponse, Restore, ENGINE_DEMO,
    ENGINE_TDS,
};
use crate::api::vault::Vault;
use crate::ui::request::{Action, Net, Requested};
use crate::ui::widgets::format;

pub use super::sql_wizard_steps::ui;

pub const TITLE: &str = "Restore SQL Server database";
/// How often the run step asks for the restore's progress.
pub const PROGRESS_POLL: Duration = Duration::from_millis(500);
const LIST_REFRESH: Duration = Duration::from_secs(10);
pub const TARGET_NAME_MAX: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Destination,
    Instance,
    Source,
    Target,
    Review,
    Run,
}

impl Step {
    pub const ALL: [Step; 6] = [Step::Destination, Step::Instance, Step::Source, Step::Target, Step::Review, Step::Run];

    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Step::Destination => "Destination",
            Step::Instance => "Target instance",
            Step::Source => "Backup point",
            Step::Target => "Target database",
            Step::Review => "Review",
            Step::Run => "Restore",
        }
    }

    pub fn next(self) -> Step {
        Step::ALL.get(self.number()).copied().unwrap_or(Step::Run)
    }

    pub fn prev(self) -> Step {
        Step::ALL.get(self.number().saturating_sub(2)).copied().unwrap_or(Step::Destination)
    }
}

/// What the wizard asks the app to do (after drawing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WizardCommand {
    /// Precheck the registration form's connection fields.
    Precheck,
    /// Register the form's instance on the mirror vault (only after a passed precheck).
    Register,
    StartRestore,
    CancelRestore,
    /// Ask for a file name (rfd, or the test's replacement) and save the drill report.
    SaveReport,
    Close,
}

/// The registration form: the `CreateSqlServerInstance` request it will send, as typed (the
/// vault is the wizard's; `request` trims the fields and drops those the engine does not use).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterForm {
    pub instance: CreateSqlServerInstanceRequest,
}

impl Default for RegisterForm {
    fn default() -> Self {
        RegisterForm { instance: CreateSqlServerInstanceRequest { engine: ENGINE_DEMO.into(), trust_server_certificate: true, ..Default::default() } }
    }
}

impl RegisterForm {
    pub fn is_demo(&self) -> bool {
        self.instance.engine == ENGINE_DEMO
    }

    /// The request that registers (or prechecks) the form's instance on `vault_id`.
    pub fn request(&self, vault_id: &str) -> CreateSqlServerInstanceRequest {
        let f = &self.instance;
        let tds = !self.is_demo();
        let login = tds && !f.use_windows_auth;
        CreateSqlServerInstanceRequest {
            vault_id: vault_id.to_string(),
            engine: f.engine.clone(),
            server_name: f.server_name.trim().to_string(),
            instance_name: f.instance_name.trim().to_string(),
            sql_login: if login { f.sql_login.trim().to_string() } else { String::new() },
            sql_password: if login { f.sql_password.clone() } else { String::new() },
            use_windows_auth: tds && f.use_windows_auth,
            trust_server_certificate: tds && f.trust_server_certificate,
            staging_dir: if tds { f.staging_dir.trim().to_string() } else { String::new() },
            client_id: f.client_id.clone(),
        }
    }

    /// Why the form cannot be prechecked yet.
    pub fn blocker(&self) -> Option<&'static str> {
        let f = &self.instance;
        if f.server_name.trim().is_empty() {
            Some(if self.is_demo() { "Enter a name or an absolute directory for the demo instance" } else { "Enter the server (host,port or host\\instance)" })
        } else if !self.is_demo() && !f.use_windows_auth && f.sql_login.trim().is_empty() {
            Some("Enter a SQL login, or use Windows authentication")
        } else {
            None
        }
    }
}

/// Why `name` cannot be a target database name, or `None` when it can.
pub fn target_name_problem(name: &str, demo: bool) -> Option<String> {
    let n = name.chars().count();
    if n == 0 {
        return Some("Enter a name for the restored database".into());
    }
    if n > TARGET_NAME_MAX {
        return Some(format!("At most {TARGET_NAME_MAX} characters ({n} now)"));
    }
    if demo {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Some("The Demo engine allows letters, digits, '_' and '-' only".into());
        }
    } else if name.chars().any(char::is_control) || name.contains('/') || name.contains('\\') || name.contains("..") {
        return Some("No control characters, '/', '\\' or '..'".into());
    } else if name.trim() != name {
        return Some("No spaces at the start or end".into());
    }
    None
}

/// The text of a backup point's row (its time and size); tests click it by this label.
pub fn point_label(s: &Snapshot) -> String {
    format!("{} · {}", format::datetime(s.complete_time), format::bytes(s.bytes_total))
}

/// An instance's name for people: its instance name, else its server name.
pub fn instance_title(i: &Instance) -> String {
    if !i.instance_name.is_empty() {
        i.instance_name.clone()
    } else {
        i.server_name.clone()
    }
}

pub fn is_terminal(status: &str) -> bool {
    matches!(status, "COMPLETE" | "FAILED" | "CANCELED" | "PARTIAL_COMPLETE")
}

pub struct SqlWizardState {
    pub step: Step,
    // 1) destination
    pub region: Option<String>,
    pub vault_id: Option<String>,
    // 2) destination instance
    pub instances: Requested<Vec<Instance>>,
    instances_for: Option<String>,
    pub cluster_id: Option<String>,
    pub registering: bool,
    pub form: RegisterForm,
    pub precheck: Action<PrecheckResponse>,
    /// The form the latest precheck ran for; Register needs it to equal the current form.
    prechecked_form: Option<RegisterForm>,
    pub register: Action<CreateInstanceResponse>,
    // 3) source instance, database, backup point
    pub sources: Requested<Vec<Instance>>,
    sources_for: Option<String>,
    pub source_cluster_id: Option<String>,
    pub databases: Requested<Vec<Database>>,
    databases_for: Option<(String, String)>,
    pub database: Option<String>,
    pub points: Requested<Vec<Snapshot>>,
    points_for: Option<(String, String, String)>,
    pub snapshot_id: Option<String>,
    // 4) target
    pub target_name: String,
    pub target_name_edited: bool,
    pub replace: bool,
    pub file_destination: String,
    /// Databases already on the target instance (a warning before the backend's refusal).
    pub target_databases: Requested<Vec<Database>>,
    target_databases_for: Option<String>,
    // 5) review → 6) run
    pub create: Action<CreateRestoreResponse>,
    pub restore_id: Option<String>,
    pub restore: Requested<Restore>,
    pub cancel: Action<serde_json::Value>,
    pub saved: Option<Result<(PathBuf, PathBuf), String>>,
}

impl SqlWizardState {
    /// A wizard on `mirror` (step 1 preselected), or with nothing chosen.
    pub fn new(mirror: Option<&Vault>) -> SqlWizardState {
        SqlWizardState {
            step: Step::Destination,
            region: mirror.map(|v| v.vault_region_id.clone()),
            vault_id: mirror.map(|v| v.vault_id.clone()),
            instances: Requested::default(),
            instances_for: None,
            cluster_id: None,
            registering: false,
            form: RegisterForm::default(),
            precheck: Action::default(),
            prechecked_form: None,
            register: Action::default(),
            sources: Requested::default(),
            sources_for: None,
            source_cluster_id: None,
            databases: Requested::default(),
            databases_for: None,
            database: None,
            points: Requested::default(),
            points_for: None,
            snapshot_id: None,
            target_name: String::new(),
            target_name_edited: false,
            replace: false,
            file_destination: String::new(),
            target_databases: Requested::default(),
            target_databases_for: None,
            create: Action::default(),
            restore_id: None,
            restore: Requested::default(),
            cancel: Action::default(),
            saved: None,
        }
    }

    pub fn instance(&self) -> Option<&Instance> {
        let id = self.cluster_id.as_ref()?;
        self.instances.value()?.iter().find(|i| &i.cluster_id == id)
    }

    pub fn source(&self) -> Option<&Instance> {
        let id = self.source_cluster_id.as_ref()?;
        self.sources.value()?.iter().find(|i| &i.cluster_id == id)
    }

    pub fn point(&self) -> Option<&Snapshot> {
        let id = self.snapshot_id.as_ref()?;
        self.points.value()?.iter().find(|s| &s.snapshot_id == id)
    }

    /// True when the chosen target instance runs the Demo engine (stricter database names).
    pub fn target_is_demo(&self) -> bool {
        self.instance().is_some_and(|i| i.engine == ENGINE_DEMO)
    }

    /// True when the latest precheck ran for the current form and passed.
    pub fn precheck_passed(&self) -> bool {
        self.prechecked_form.as_ref() == Some(&self.form) && matches!(&self.precheck.result, Some(Ok(r)) if r.precheck.passed)
    }

    /// True when the precheck shown belongs to the current form (not to older fields).
    pub fn precheck_is_current(&self) -> bool {
        self.prechecked_form.as_ref() == Some(&self.form)
    }

    pub fn target_exists(&self) -> bool {
        let name = self.target_name.trim();
        self.target_databases.value().is_some_and(|dbs| dbs.iter().any(|d| d.database_name.eq_ignore_ascii_case(name)))
    }

    /// Why Next cannot be pressed on the current step, if it cannot.
    pub fn blocker(&self) -> Option<String> {
        match self.step {
            Step::Destination => self.vault_id.is_none().then(|| "Choose the mirror vault to restore from".into()),
            Step::Instance => match self.instance() {
                None => Some("Choose a registered instance, or register one".into()),
                Some(_) => None,
            },
            Step::Source => {
                if self.source_cluster_id.is_none() {
                    Some("Choose the source instance".into())
                } else if self.database.is_none() {
                    Some("Choose the database".into())
                } else if self.point().is_none() {
                    Some("Choose a backup point".into())
                } else {
                    None
                }
            }
            Step::Target => {
                if let Some(p) = target_name_problem(&self.target_name, self.target_is_demo()) {
                    Some(p)
                } else if !self.file_destination.trim().is_empty() && !self.file_destination.trim().starts_with('/') {
                    Some("The file destination must be an absolute directory".into())
                } else {
                    None
                }
            }
            Step::Review => {
                if self.create.is_running() || self.restore_id.is_some() {
                    Some("Starting…".into())
                } else {
                    None
                }
            }
            Step::Run => Some("The restore is the last step".into()),
        }
    }

    /// Goes to the next step when nothing blocks it (Review's Next is Start restore, a command).
    pub fn go_next(&mut self) {
        if self.blocker().is_none() && self.step < Step::Review {
            self.step = self.step.next();
            if self.step == Step::Target {
                self.target_databases.invalidate();
            }
        }
    }

    pub fn go_back(&mut self) {
        if self.step > Step::Destination && self.step < Step::Run {
            self.step = self.step.prev();
        }
    }

    /// Chooses the database (step 3); proposes a target name unless the user typed one.
    pub fn choose_database(&mut self, name: &str) {
        if self.database.as_deref() != Some(name) {
            self.database = Some(name.to_string());
            self.snapshot_id = None;
        }
        if !self.target_name_edited {
            self.target_name = format!("{name}_restored");
        }
    }

    pub fn restore_spec(&self) -> Option<CreateSqlServerRestoreRequest> {
        let point = self.point()?;
        Some(CreateSqlServerRestoreRequest {
            vault_id: self.vault_id.clone()?,
            snapshot_id: point.snapshot_id.clone(),
            source_cluster_id: self.source_cluster_id.clone()?,
            source_database_name: self.database.clone()?,
            cluster_id: self.cluster_id.clone()?,
            target_database_name: self.target_name.trim().to_string(),
            replace_database: self.replace,
            file_destination: self.file_destination.trim().to_string(),
            point_in_time: None,
        })
    }

    /// Starts the lists the current step needs, and the progress poll of a running restore.
    pub fn refresh_due(&mut self, net: &Net, ctx: &egui::Context) {
        let Some(vault_id) = self.vault_id.clone() else { return };
        if self.instances_for.as_ref() != Some(&vault_id) {
            self.instances.clear();
            self.instances_for = Some(vault_id.clone());
        }
        if self.instances.is_stale(LIST_REFRESH) {
            let v = vault_id.clone();
            self.instances.request(net, ctx, move |c| async move {
                let mut list = c.describe_sql_server_instances(Some(&v)).await?.instances.instance;
                list.sort_by(|a, b| a.created_time.cmp(&b.created_time).then(a.cluster_id.cmp(&b.cluster_id)));
                Ok(list)
            });
        }
        if self.step >= Step::Source {
            if self.sources_for.as_ref() != Some(&vault_id) {
                self.sources.clear();
                self.sources_for = Some(vault_id.clone());
            }
            if self.sources.is_stale(LIST_REFRESH) {
                let v = vault_id.clone();
                self.sources.request(net, ctx, move |c| async move { Ok(c.get_sql_servers_to_restore(&v).await?.instances.instance) });
            }
            if let Some(cluster) = self.source_cluster_id.clone() {
                let key = (vault_id.clone(), cluster.clone());
                if self.databases_for.as_ref() != Some(&key) {
                    self.databases.clear();
                    self.databases_for = Some(key);
                }
                if self.databases.is_stale(LIST_REFRESH) {
                    let (v, cl) = (vault_id.clone(), cluster.clone());
                    self.databases.request(net, ctx, move |c| async move { Ok(c.get_sql_server_databases_to_restore(&v, &cl).await?.databases.database) });
                }
                if let Some(db) = self.database.clone() {
                    let key = (vault_id.clone(), cluster.clone(), db.clone());
                    if self.points_for.as_ref() != Some(&key) {
                        self.points.clear();
                        self.points_for = Some(key);
                    }
                    if self.points.is_stale(LIST_REFRESH) {
                        let v = vault_id.clone();
                        self.points.request(net, ctx, move |c| async move {
                            let mut s = c.describe_sql_server_snapshots(&v, Some(&cluster), Some(&db)).await?.snapshots.snapshot;
                            s.sort_by(|a, b| b.complete_time.cmp(&a.complete_time).then(b.snapshot_id.cmp(&a.snapshot_id)));
                            Ok(s)
                        });
                    }
                }
            }
        }
        if matches!(self.step, Step::Target | Step::Review) {
            if let Some(cluster) = self.cluster_id.clone() {
                if self.target_databases_for.as_ref() != Some(&cluster) {
                    self.target_databases.clear();
                    self.target_databases_for = Some(cluster.clone());
                }
                if self.target_databases.is_stale(LIST_REFRESH) {
                    self.target_databases.request(net, ctx, move |c| async move { Ok(c.describe_sql_server_databases(&cluster).await?.databases.database) });
                }
            }
        }
        if let Some(id) = self.restore_id.clone() {
            let done = self.restore.value().is_some_and(|r| is_terminal(&r.status));
            if !done && self.restore.is_stale(PROGRESS_POLL) {
                self.restore.request(net, ctx, move |c| async move {
                    let r = c.describe_sql_server_restores(Some(&id), None).await?.restores.restore.into_iter().find(|r| r.restore_id == id);
                    r.ok_or_else(|| crate::client::ClientError::Decode(format!("the restore {id} is not listed")))
                });
            }
            if !done {
                ctx.request_repaint_after(PROGRESS_POLL);
            }
        }
    }

    /// Moves settled requests in and follows up on finished actions.
    pub fn poll(&mut self) {
        self.instances.poll();
        self.sources.poll();
        self.databases.poll();
        self.points.poll();
        self.target_databases.poll();
        self.restore.poll();
        self.precheck.poll();
        self.cancel.poll();
        if self.sources.value().is_some_and(|s| s.len() == 1) && self.source_cluster_id.is_none() {
            self.source_cluster_id = self.sources.value().map(|s| s[0].cluster_id.clone());
        }
        if self.register.poll() {
            if let Some(Ok(r)) = &self.register.result {
                if r.status == "ONLINE" {
                    self.cluster_id = Some(r.cluster_id.clone());
                    self.registering = false;
                    self.form = RegisterForm::default();
                    self.prechecked_form = None;
                    self.precheck.result = None;
                }
                self.instances.invalidate();
            }
        }
        if self.create.poll() {
            if let Some(Ok(r)) = &self.create.result {
                self.restore_id = Some(r.restore_id.clone());
                self.step = Step::Run;
            }
        }
    }

    pub fn start_precheck(&mut self, net: &Net, ctx: &egui::Context) {
        let Some(vault_id) = self.vault_id.clone() else { return };
        if self.form.blocker().is_some() {
            return;
        }
        let spec = self.form.request(&vault_id);
        if self.precheck.start(net, ctx, move |c| async move { c.precheck_sql_server(&spec).await }) {
            self.prechecked_form = Some(self.form.clone());
        }
    }

    /// Registers the form's instance; refused (does nothing) unless a precheck of these very
    /// fields passed.
    pub fn start_register(&mut self, net: &Net, ctx: &egui::Context) {
        let Some(vault_id) = self.vault_id.clone() else { return };
        if !self.precheck_passed() || self.register.is_running() {
            return;
        }
        let spec = self.form.request(&vault_id);
        self.register.start(net, ctx, move |c| async move { c.create_sql_server_instance(&spec).await });
    }

    pub fn start_restore(&mut self, net: &Net, ctx: &egui::Context) {
        if self.step != Step::Review || self.blocker().is_some() {
            return;
        }
        let Some(spec) = self.restore_spec() else { return };
        self.create.start(net, ctx, move |c| async move { c.create_sql_server_restore(&spec).await });
    }

    pub fn start_cancel(&mut self, net: &Net, ctx: &egui::Context) {
        let Some(id) = self.restore_id.clone() else { return };
        self.cancel.start(net, ctx, move |c| async move { c.cancel_sql_server_restore(&id).await });
    }

    /// The finished restore's drill report, once there is one.
    pub fn report(&self) -> Option<&crate::api::sqlserver::DrillReport> {
        self.restore.value().filter(|r| is_terminal(&r.status)).and_then(|r| r.report.as_ref())
    }
}

/// The engines the registration form offers, with their labels.
pub const ENGINES: [(&str, &str); 2] = [(ENGINE_DEMO, "Demo engine"), (ENGINE_TDS, "SQL Server (TDS)")];
