//! The console application: navigation, shared backend data, and the command loop.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Ui;
use poll_promise::Promise;

use super::command::UiCommand;
use super::config::ConsoleConfig;
use super::pacing::Pacing;
use super::request::{Net, Requested};
use super::screens::{clients::ClientsState, jobs::JobsState, settings::SettingsState, vault_detail::VaultDetailState};
use super::screens::overview::OverviewState;
use super::screens::plans::PlansState;
use super::screens::sql_wizard::SqlWizardState;
use super::screens::sqlserver::SqlServerState;
use super::widgets::create_mirror_dialog::CreateMirrorState;
use super::widgets::create_vault_dialog::CreateVaultState;
use super::widgets::restore_dialog::{self, RestoreDialogState};
use crate::api::client::{BackupClient, ClientInfo};
use crate::api::plan::BackupPlan;
use crate::api::region::{DescribeSettingsResponse, Region};
use crate::api::vault::Vault;
use crate::client::{Client, Credentials};

/// The health check runs at most this often (more rarely when polls back off).
const HEALTH_REFRESH: Duration = Duration::from_secs(5);
const NOTICE_TTL: Duration = Duration::from_secs(8);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Screen {
    Overview,
    /// A vault's detail view (reached from the overview).
    Vault(String),
    Clients,
    Plans,
    SqlServer,
    Jobs,
    Alerts,
    Settings,
}

/// Picks a folder for a restore. The real console asks `rfd`; tests put a fixed path here.
pub type FolderPicker = Arc<dyn Fn() -> Option<PathBuf> + Send + Sync>;

/// Picks where to save a file, given a suggested name. The real console asks `rfd`; tests put a
/// fixed path here.
pub type SavePicker = Arc<dyn Fn(String) -> Option<PathBuf> + Send + Sync>;

/// Where the console is connected, for the status line and the Settings screen.
#[derive(Clone, Debug)]
pub struct Connection {
    pub endpoint: String,
    /// True when the console started the backend itself.
    pub embedded: bool,
    pub credentials: Credentials,
    /// Where the credentials came from, in words.
    pub credentials_source: String,
    /// How an `https://` endpoint's certificate is checked (`--fingerprint`).
    pub trust: crate::client::Trust,
}

/// Backend data several screens share.
#[derive(Default)]
pub struct Data {
    pub vaults: Requested<Vec<Vault>>,
    pub clients: Requested<Vec<BackupClient>>,
    /// Where each client runs (`DescribeBackupClients`' `Clients[]`: agent, host, heartbeat),
    /// fetched while a screen shows it (Backup clients, the Restore dialog).
    pub hosts: Requested<Vec<ClientInfo>>,
    pub plans: Requested<Vec<BackupPlan>>,
    pub regions: Requested<Vec<Region>>,
    pub health: Requested<()>,
    pub settings: Requested<DescribeSettingsResponse>,
    /// The active alerts (navigation badge, Alerts screen, Overview count).
    pub alerts: Requested<Vec<crate::api::alert::Alert>>,
}

impl Data {
    pub fn vault(&self, vault_id: &str) -> Option<&Vault> {
        self.vaults.value()?.iter().find(|v| v.vault_id == vault_id)
    }

    /// `cn-beijing · China (Beijing)` when the region's local name is known.
    pub fn region_label(&self, region_id: &str) -> String {
        match self.regions.value().and_then(|rs| rs.iter().find(|r| r.region_id == region_id)) {
            Some(r) if !r.local_name.is_empty() && r.local_name != r.region_id => format!("{} · {}", r.region_id, r.local_name),
            _ => region_id.to_string(),
        }
    }

    /// The vault's next scheduled backup: (when, plan name), from its enabled plans.
    pub fn next_plan_run(&self, vault_id: &str) -> Option<(i64, &str)> {
        let plans = self.plans.value()?;
        plans.iter().filter(|p| p.vault_id == vault_id && !p.disabled && p.next_run_time > 0).map(|p| (p.next_run_time, p.plan_name.as_str())).min()
    }

    /// Where a client runs, once `hosts` arrived.
    pub fn host(&self, client_id: &str) -> Option<&ClientInfo> {
        self.hosts.value()?.iter().find(|h| h.client_id == client_id)
    }

    /// Backup clients attached to a vault, sorted by name.
    pub fn clients_of(&self, vault_id: &str) -> Vec<&BackupClient> {
        let mut out: Vec<&BackupClient> = self.clients.value().map(|cs| cs.iter().filter(|c| c.vault_id == vault_id).collect()).unwrap_or_default();
        out.sort_by(|a, b| a.client_name.cmp(&b.client_name));
        out
    }
}

/// A message shown for a few seconds in the lower-right corner.
pub struct Notice {
    pub text: String,
    pub is_error: bool,
    pub at: Instant,
}

/// A background action whose outcome becomes a notice.
struct Pending {
    promise: Promise<Result<String, String>>,
}

pub struct ConsoleApp {
    pub net: Net,
    pub connection: Connection,
    pub config_path: Option<PathBuf>,
    pub config: ConsoleConfig,
    pub screen: Screen,
    pub data: Data,
    pub overview: OverviewState,
    pub detail: Option<VaultDetailState>,
    pub mirror_dialog: Option<CreateMirrorState>,
    /// The Overview's Create vault dialog, while open.
    pub vault_dialog: Option<CreateVaultState>,
    pub clients: ClientsState,
    pub plans: PlansState,
    pub jobs: JobsState,
    pub alerts: super::screens::alerts::AlertsState,
    pub settings: SettingsState,
    pub sqlserver: SqlServerState,
    /// The SQL Server restore wizard, while open.
    pub sql_wizard: Option<SqlWizardState>,
    /// Where "Save drill report…" writes (`<name>.md` and `<name>.json` beside it).
    pub report_picker: SavePicker,
    saving_report: Option<Promise<Option<PathBuf>>>,
    pub notices: Vec<Notice>,
    pub folder_picker: FolderPicker,
    /// Poll intervals (backing off while nothing runs).
    pub pacing: Pacing,
    commands: Vec<UiCommand>,
    pending: Vec<Pending>,
    /// The Restore dialog, while open.
    pub restore_dialog: Option<RestoreDialogState>,
    initialized: bool,
}

/// The default report picker: the platform's save dialog through `rfd`.
pub fn rfd_report_picker() -> SavePicker {
    Arc::new(|name: String| rfd::FileDialog::new().set_title("Save drill report (Markdown and JSON)").set_file_name(format!("{name}.md")).add_filter("Markdown", &["md"]).save_file())
}

/// The default folder picker: the platform's folder dialog through `rfd`.
pub fn rfd_folder_picker() -> FolderPicker {
    Arc::new(|| rfd::FileDialog::new().set_title("Restore into folder").pick_folder())
}

mod chrome;
mod create_vault;
mod wizard;

impl ConsoleApp {
    pub fn new(net: Net, connection: Connection, config_path: Option<PathBuf>, config: ConsoleConfig) -> ConsoleApp {
        let settings = SettingsState::new(&connection, &config);
        ConsoleApp {
            net,
            connection,
            config_path,
            config,
            screen: Screen::Overview,
            data: Data::default(),
            overview: OverviewState::default(),
            detail: None,
            mirror_dialog: None,
            vault_dialog: None,
            clients: ClientsState::default(),
            plans: PlansState::default(),
            jobs: JobsState::default(),
            alerts: Default::default(),
            settings,
            sqlserver: SqlServerState::default(),
            sql_wizard: None,
            report_picker: rfd_report_picker(),
            saving_report: None,
            notices: Vec::new(),
            folder_picker: rfd_folder_picker(),
            pacing: Pacing::default(),
            commands: Vec::new(),
            pending: Vec::new(),
            restore_dialog: None,
            initialized: false,
        }
    }

    pub fn client(&self) -> &Client {
        &self.net.client
    }

    /// Queues a command, as a click would.
    pub fn push(&mut self, command: UiCommand) {
        self.commands.push(command);
    }

    pub fn notify(&mut self, text: impl Into<String>, is_error: bool) {
        self.notices.push(Notice { text: text.into(), is_error, at: Instant::now() });
    }

    fn setup(&mut self, ctx: &egui::Context) {
        egui_extras::install_image_loaders(ctx);
        super::style::apply(ctx);
        if let Some(dark) = self.config.dark_mode {
            ctx.set_theme(if dark { egui::ThemePreference::Dark } else { egui::ThemePreference::Light });
        }
    }

    /// Draws one frame and then runs the commands it queued.
    pub fn ui(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        if !self.initialized {
            self.initialized = true;
            self.setup(&ctx);
        }
        // An input event (a click, a key, the pointer moving in) is the user acting: poll fast.
        if ctx.input(|i| !i.events.is_empty()) {
            self.pacing.hurry();
        }
        self.poll(&ctx);
        // Minimized: draw nothing and ask for no frame; the next input event wakes the console.
        if ctx.input(|i| i.viewport().minimized == Some(true)) {
            return;
        }
        self.refresh_due(&ctx);

        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(220.0)
            .frame(egui::Frame::side_top_panel(ui.style()).inner_margin(egui::Margin::symmetric(12, 14)))
            .show(ui, |ui| self.navigation_ui(ui));

        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(ui.style()).inner_margin(egui::Margin::symmetric(22, 16)))
            .show(ui, |ui| {
                super::connection::banner_ui(ui, &self.data, &self.connection.endpoint, self.screen == Screen::Settings, &mut self.commands);
                self.screen_ui(ui);
            });

        if let Some(dialog) = &mut self.mirror_dialog {
            super::widgets::create_mirror_dialog::ui(&ctx, dialog, &self.data, &mut self.commands);
        }
        if let Some(dialog) = &mut self.vault_dialog {
            super::widgets::create_vault_dialog::ui(&ctx, dialog, &self.data, &mut self.commands);
        }
        if let Some(dialog) = &mut self.restore_dialog {
            restore_dialog::ui(&ctx, dialog, &self.data, &mut self.commands);
        }
        if let Some(wizard) = &mut self.sql_wizard {
            super::screens::sql_wizard::ui(&ctx, wizard, &self.data, &mut self.commands);
        }
        self.notices_ui(&ctx);
        self.run_commands(&ctx);
    }

    fn screen_ui(&mut self, ui: &mut Ui) {
        match self.screen.clone() {
            Screen::Overview => super::screens::overview::ui(ui, &mut self.overview, &self.data, &mut self.commands),
            Screen::Vault(vault_id) => match &mut self.detail {
                Some(detail) if detail.vault_id == vault_id => super::screens::vault_detail::ui(ui, detail, &self.data, &mut self.commands),
                _ => {
                    ui.label("This vault is no longer open.");
                }
            },
            Screen::Clients => super::screens::clients::ui(ui, &mut self.clients, &self.data, &self.connection, &mut self.commands),
            Screen::Plans => super::screens::plans::ui(ui, &mut self.plans, &self.data, &mut self.commands),
            Screen::SqlServer => super::screens::sqlserver::ui(ui, &mut self.sqlserver, &self.data, &mut self.commands),
            Screen::Jobs => super::screens::jobs::ui(ui, &mut self.jobs, &self.data, &mut self.commands),
            Screen::Alerts => {
                let mut out = Vec::new();
                super::screens::alerts::ui(ui, &mut self.alerts, &self.data, &mut out);
                for super::screens::alerts::AlertsCommand::Acknowledge(id) in out {
                    let ctx = ui.ctx().clone();
                    self.alerts.acknowledge(&self.net, &ctx, id);
                }
            }
            Screen::Settings => super::screens::settings::ui(ui, &mut self.settings, &self.connection, &self.data, &mut self.commands),
        }
    }

    /// Moves settled promises in; turns finished actions into notices.
    fn poll(&mut self, ctx: &egui::Context) {
        let d = &mut self.data;
        if d.vaults.poll() {
            if self.busy() {
                self.pacing.hurry();
            } else {
                self.pacing.relax_until(self.next_countdown_end());
            }
        }
        let d = &mut self.data;
        d.clients.poll();
        d.hosts.poll();
        d.plans.poll();
        d.regions.poll();
        d.health.poll();
        d.settings.poll();
        d.alerts.poll();
        self.alerts.poll();
        if std::mem::take(&mut self.alerts.changed) {
            self.data.alerts.invalidate();
        }
        let mut refresh = false;
        let mut i = 0;
        while i < self.pending.len() {
            if self.pending[i].promise.ready().is_some() {
                let p = self.pending.remove(i);
                match p.promise.try_take() {
                    Ok(Ok(text)) => self.notify(text, false),
                    Ok(Err(text)) => self.notify(text, true),
                    Err(_) => {}
                }
                refresh = true;
            } else {
                i += 1;
            }
        }
        if let Some(dialog) = &mut self.restore_dialog {
            dialog.poll();
            dialog.pump(&self.net, ctx);
        }
        if let Some(dialog) = &mut self.mirror_dialog {
            if let Some(created) = dialog.poll() {
                self.notify(format!("Mirror vault {} created in {}. Historical data syncs after the configured delay.", created.1, created.2), false);
                self.mirror_dialog = None;
                refresh = true;
            }
        }
        if self.poll_vault_dialog() {
            refresh = true;
        }
        if let Some(detail) = &mut self.detail {
            if let Some(outcome) = detail.poll() {
                match outcome {
                    super::screens::vault_detail::Outcome::Deleted(name) => {
                        self.notify(format!("Vault {name} deleted."), false);
                        self.detail = None;
                        if matches!(self.screen, Screen::Vault(_)) {
                            self.screen = Screen::Overview;
                        }
                    }
                    super::screens::vault_detail::Outcome::Changed(text) => self.notify(text, false),
                }
                refresh = true;
            }
        }
        if self.clients.poll() {
            refresh = true;
        }
        if self.plans.poll() {
            self.data.plans.invalidate();
            refresh = true;
        }
        self.sqlserver.poll();
        if let Some(wizard) = &mut self.sql_wizard {
            wizard.poll();
        }
        if let Some(promise) = self.saving_report.take() {
            match promise.try_take() {
                Ok(Some(path)) => self.save_report(&path),
                Ok(None) => {}
                Err(promise) => self.saving_report = Some(promise),
            }
        }
        self.jobs.poll();
        if refresh {
            self.refresh_now(ctx);
        }
    }

    /// Starts the requests whose data is due on the visible screen.
    fn refresh_due(&mut self, ctx: &egui::Context) {
        let net = self.net.clone();
        if self.data.health.is_stale(HEALTH_REFRESH.max(self.pacing.interval())) {
            self.data.health.request(&net, ctx, |c| async move { c.health().await });
        }
        if self.data.regions.is_stale(Duration::from_secs(60)) {
            self.data.regions.request(&net, ctx, |c| async move {
                let mut rs = c.describe_regions().await?.regions.region;
                rs.sort_by(|a, b| a.region_id.cmp(&b.region_id));
                Ok(rs)
            });
        }
        let visible_refresh = self.pacing.interval();
        if self.data.vaults.is_stale(visible_refresh) {
            self.data.vaults.request(&net, ctx, |c| async move {
                let mut vs = c.all_vaults().await?;
                vs.sort_by(|a, b| a.vault_name.cmp(&b.vault_name).then(a.vault_id.cmp(&b.vault_id)));
                Ok(vs)
            });
        }
        if self.data.alerts.is_stale(visible_refresh) {
            self.data.alerts.request(&net, ctx, |c| async move { Ok(c.describe_alerts(Some(crate::api::alert::ALERT_ACTIVE), 1, 1000).await?.alerts.alert) });
        }
        if self.data.clients.is_stale(visible_refresh) {
            self.data.clients.request(&net, ctx, |c| async move { Ok(c.describe_backup_clients(None).await?.backup_clients.backup_client) });
        }
        let hosts_shown = self.screen == Screen::Clients || self.restore_dialog.is_some();
        if hosts_shown && self.data.hosts.is_stale(visible_refresh) {
            self.data.hosts.request(&net, ctx, |c| async move { Ok(c.describe_backup_clients(None).await?.clients) });
        }
        if self.data.plans.is_stale(visible_refresh) {
            self.data.plans.request(&net, ctx, |c| async move {
                let r = c.send(&crate::api::plan::DescribeBackupPlansRequest { paging: crate::api::Paging::size(1000), ..Default::default() }).await?;
                Ok(r.backup_plans.backup_plan)
            });
        }
        if self.screen == Screen::Settings && self.data.settings.is_stale(Duration::from_secs(30)) {
            self.data.settings.request(&net, ctx, |c| async move { c.describe_settings().await });
        }
        match &self.screen {
            Screen::Jobs => self.jobs.refresh_due(&net, ctx, self.pacing.interval()),
            Screen::Alerts => self.alerts.refresh_due(&net, ctx, self.pacing.interval()),
            Screen::SqlServer => self.sqlserver.refresh_due(&net, ctx),
            Screen::Vault(_) => {
                if let Some(detail) = &mut self.detail {
                    detail.refresh_due(&net, ctx);
                }
            }
            _ => {}
        }
        if let Some(wizard) = &mut self.sql_wizard {
            wizard.refresh_due(&net, ctx);
        }
        // The next frame: when the next poll is due. Countdowns and "x ago" labels ask for their
        // own frames when their text changes; nothing else repaints an idle console.
        ctx.request_repaint_after(self.pacing.interval());
    }

    /// Refreshes vaults and clients at once (after an action).
    fn refresh_now(&mut self, ctx: &egui::Context) {
        self.data.vaults.invalidate();
        self.data.clients.invalidate();
        self.data.hosts.invalidate();
        self.data.plans.invalidate();
        self.data.alerts.invalidate();
        if let Some(detail) = &mut self.detail {
            detail.invalidate();
        }
        self.jobs.invalidate();
        self.sqlserver.invalidate();
        let _ = ctx;
    }

    /// Runs a background action whose result becomes a notice.
    fn run_action<Fut>(&mut self, ctx: &egui::Context, make: impl FnOnce(Client) -> Fut)
    where
        Fut: std::future::Future<Output = Result<String, String>> + Send + 'static,
    {
        let promise = self.net.spawn(ctx, make);
        self.pending.push(Pending { promise });
    }

    /// True while the backend works on something the console shows: a job, a vault being
    /// created, a sync, or an action of ours still running.
    /// How long until the soonest historical sync a card counts down to starts (plus a second,
    /// so the poll after it sees the sync running).
    fn next_countdown_end(&self) -> Option<Duration> {
        let now = super::widgets::format::now_unix();
        let starts = self.data.vaults.value()?.iter().filter(|v| v.replication_status == crate::api::vault::REPL_WAITING_HISTORICAL).map(|v| v.historical_replication_start_time).min()?;
        Some(Duration::from_secs((starts - now).max(0) as u64 + 1))
    }

    fn busy(&self) -> bool {
        let vault_busy = |v: &crate::api::vault::Vault| {
            v.status == crate::api::vault::STATUS_INITIALIZING || v.replication_status == crate::api::vault::REPL_SYNCING || v.replication_bytes_pending > 0
        };
        !self.pending.is_empty() || self.jobs.any_active() || self.data.vaults.value().is_some_and(|vs| vs.iter().any(vault_busy))
    }

    fn run_commands(&mut self, ctx: &egui::Context) {
        if !self.commands.is_empty() {
            self.pacing.hurry();
        }
        let commands = std::mem::take(&mut self.commands);
        for command in commands {
            self.run_command(ctx, command);
        }
        if !self.plans.commands.is_empty() {
            self.pacing.hurry();
            let clients = self.data.clients.value().cloned().unwrap_or_default();
            self.plans.run(&self.net, ctx, |id| clients.iter().find(|c| c.client_id == id).map(|c| c.vault_id.clone()));
        }
    }

    fn run_command(&mut self, ctx: &egui::Context, command: UiCommand) {
        match command {
            UiCommand::Navigate(screen) => {
                self.screen = screen;
                ctx.request_repaint();
            }
            UiCommand::OpenVault(vault_id) => {
                if self.detail.as_ref().is_none_or(|d| d.vault_id != vault_id) {
                    self.detail = Some(VaultDetailState::new(vault_id.clone()));
                }
                self.screen = Screen::Vault(vault_id);
            }
            UiCommand::Refresh => self.refresh_now(ctx),
            UiCommand::OpenCreateMirror { vault_id } => {
                if let Some(vault) = self.data.vault(&vault_id).cloned() {
                    let mut dialog = CreateMirrorState::new(vault);
                    dialog.load_regions(&self.net, ctx);
                    self.mirror_dialog = Some(dialog);
                }
            }
            UiCommand::SubmitCreateMirror => {
                if let Some(dialog) = &mut self.mirror_dialog {
                    dialog.submit(&self.net, ctx);
                }
            }
            UiCommand::CloseCreateMirror => self.mirror_dialog = None,
            UiCommand::CreateVault(command) => self.run_create_vault_command(ctx, command),
            UiCommand::BackUpNow { vault_id } => {
                let name = self.data.vault(&vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| vault_id.clone());
                self.run_action(ctx, move |c| super::actions::back_up_now(c, vault_id, name));
            }
            UiCommand::OpenRestore { vault_id, snapshot_id } => {
                let name = self.data.vault(&vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| vault_id.clone());
                self.restore_dialog = Some(RestoreDialogState::new(vault_id, name, snapshot_id));
            }
            UiCommand::BrowseRestoreFolder => {
                if let Some(dialog) = &mut self.restore_dialog {
                    dialog.browse(&self.net.rt, ctx, self.folder_picker.clone());
                }
            }
            UiCommand::CloseRestore => self.restore_dialog = None,
            UiCommand::Restore { vault_id, snapshot_id, target, include, overwrite, on } => {
                let name = self.data.vault(&vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| vault_id.clone());
                self.run_action(ctx, move |c| super::actions::restore(c, vault_id, name, snapshot_id, target, include, overwrite, on));
            }
            UiCommand::SyncNow { vault_id } => {
                let name = self.data.vault(&vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| vault_id.clone());
                self.run_action(ctx, move |c| async move {
                    c.sync_replication_vault_now(&vault_id).await.map(|_| format!("Sync of {name} started.")).map_err(|e| format!("Sync of {name} failed: {e}"))
                });
            }
            UiCommand::DeleteVault { vault_id } => {
                if let Some(detail) = &mut self.detail {
                    if detail.vault_id == vault_id {
                        let name = self.data.vault(&vault_id).map(|v| v.vault_name.clone()).unwrap_or_else(|| vault_id.clone());
                        detail.start_delete(&self.net, ctx, name);
                    }
                }
            }
            UiCommand::DeleteSnapshot { vault_id, snapshot_id } => {
                if let Some(detail) = self.detail.as_mut().filter(|d| d.vault_id == vault_id) {
                    detail.start_delete_snapshot(&self.net, ctx, snapshot_id);
                }
            }
            UiCommand::EnableWorm { vault_id } => {
                if let Some(detail) = self.detail.as_mut().filter(|d| d.vault_id == vault_id) {
                    detail.start_enable_worm(&self.net, ctx);
                }
            }
            UiCommand::PruneNow { vault_id, dry_run } => {
                if let Some(detail) = self.detail.as_mut().filter(|d| d.vault_id == vault_id) {
                    detail.prune.start(&self.net, ctx, vault_id, dry_run);
                }
            }
            UiCommand::CreateBackupClient { name, region_id } => self.clients.start_create(&self.net, ctx, name, region_id),
            UiCommand::DeleteBackupClient { client_id, client_name } => self.clients.start_delete(&self.net, ctx, client_id, client_name),
            UiCommand::OpenSqlWizard { vault_id } => {
                let mirror = vault_id.as_deref().and_then(|id| self.data.vault(id)).filter(|v| v.is_mirror()).cloned();
                self.sql_wizard = Some(SqlWizardState::new(mirror.as_ref()));
                ctx.request_repaint();
            }
            UiCommand::SqlWizard(command) => self.run_wizard_command(ctx, command),
            UiCommand::BackUpSqlInstance { cluster_id } => {
                let name = self.sqlserver.instance_title(&cluster_id);
                self.run_action(ctx, move |c| super::actions::back_up_sql_instance(c, cluster_id, name));
            }
            UiCommand::SetRegionOutage { region_id, outage } => {
                self.data.regions.invalidate();
                self.run_action(ctx, move |c| async move {
                    match c.set_region_outage(&region_id, outage).await {
                        Ok(_) if outage => Ok(format!("{region_id} is marked unavailable: its vaults refuse reads and writes until the outage is lifted.")),
                        Ok(_) => Ok(format!("{region_id} is available again; replication resumes.")),
                        Err(e) => Err(format!("Could not change the outage of {region_id}: {e}")),
                    }
                });
            }
            UiCommand::SetDarkMode(dark) => {
                ctx.set_theme(if dark { egui::ThemePreference::Dark } else { egui::ThemePreference::Light });
                self.config.dark_mode = Some(dark);
                self.save_config();
            }
            UiCommand::CopyText { text, what } => {
                ctx.copy_text(text.clone());
                self.notify(format!("{what} copied: {text}"), false);
            }
            UiCommand::SaveConnection => {
                let s = &self.settings;
                self.config.endpoint = s.endpoint.trim().to_string();
                self.config.access_key_id = s.access_key_id.trim().to_string();
                if !s.new_secret.is_empty() {
                    self.config.access_key_secret = s.new_secret.trim().to_string();
                }
                if self.save_config() {
                    self.settings.new_secret.clear();
                    self.settings.saved = true;
                    // A remote console switches to the new credentials at once.
                    if !self.connection.embedded {
                        if let Some(creds) = self.config.credentials() {
                            if let Ok(client) = Client::with_trust(&self.connection.endpoint, creds.clone(), &self.connection.trust) {
                                self.net.client = client;
                                self.connection.credentials = creds;
                                self.connection.credentials_source = "the console's settings file".into();
                                self.data = Data::default();
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes the settings file; reports a failure as a notice. Returns true when saved.
    fn save_config(&mut self) -> bool {
        let Some(path) = self.config_path.clone() else { return false };
        match self.config.save(&path) {
            Ok(()) => true,
            Err(e) => {
                self.notify(e.to_string(), true);
                false
            }
        }
    }
}

impl eframe::App for ConsoleApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        ConsoleApp::ui(self, ui);
    }
}
