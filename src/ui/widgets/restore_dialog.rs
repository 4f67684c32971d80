//! The Restore dialog: an in-app window where the target folder is typed, with a "Browse…"
//! button that asks the native folder picker where one exists. Where none does (the picker
//! returns nothing at once, as `rfd` does without xdg-desktop-portal or zenity), the dialog says
//! so and the typed path works all the same. Above it, the snapshot browser (`snapshot_tree`):
//! the ticked folders and files are restored (`Include`), nothing ticked restores everything;
//! to the typed folder or to the original place, on the backup client (host) chosen under
//! "Restore on": the snapshot's own client unless another is picked; a client with an agent
//! restores on its host (an offline agent's job waits for it), one without runs in the backend.
use std::path::PathBuf;

use egui::{Key, RichText, Ui};
use poll_promise::Promise;

use super::client_host::{self, Liveness};
use super::snapshot_tree::{self, SnapshotTree};
use super::{muted, palette};
use crate::ui::app::Data;
use crate::ui::command::{RestoreOn, UiCommand};
use crate::ui::request::Net;

pub const TITLE: &str = "Restore snapshot";

pub struct RestoreDialogState {
    pub vault_id: String,
    pub vault_name: String,
    /// `None`: the vault's latest file snapshot.
    pub snapshot_id: Option<String>,
    /// The folder on the backend's host the snapshot is restored into (typed or browsed).
    pub target: String,
    /// The native picker, while it is open.
    browsing: Option<Promise<Option<PathBuf>>>,
    /// Set when the picker came back with nothing.
    pub no_picker: bool,
    focus_target: bool,
    /// The snapshot's tree, with the ticked paths.
    pub tree: SnapshotTree,
    /// Restore to the paths the files had (target `/`) instead of under `target`.
    pub original_place: bool,
    pub overwrite: bool,
    /// Where the restore runs: the snapshot's client until the administrator picks another.
    pub restore_on: RestoreOn,
    /// True once the administrator picked; the snapshot's client no longer replaces the choice.
    pub restore_on_picked: bool,
}

impl RestoreDialogState {
    pub fn new(
        vault_id: String,
        vault_name: String,
        snapshot_id: Option<String>,
    ) -> RestoreDialogState {
        let tree = SnapshotTree::new(vault_id.clone(), snapshot_id.clone());
        RestoreDialogState {
            vault_id,
            vault_name,
            snapshot_id,
            target: String::new(),
            browsing: None,
            no_picker: false,
            focus_target: true,
            tree,
            original_place: false,
            overwrite: false,
            restore_on: RestoreOn::Original,
            restore_on_picked: false,
        }
    }

    /// Starts and settles the tree's requests (once per frame, from the app's poll).
    pub fn pump(&mut self, net: &Net, ctx: &egui::Context) {
        self.tree.pump(net, ctx);
    }

    /// Runs `picker` (the native dialog; it may block) off the UI thread, once at a time.
    pub fn browse(
        &mut self,
        rt: &tokio::runtime::Handle,
        ctx: &egui::Context,
        picker: crate::ui::app::FolderPicker,
    ) {
        if self.browsing.is_some() {
            return;
        }
        let (tx, promise) = Promise::new();
        let ctx = ctx.clone();
        rt.spawn_blocking(move || {
            tx.send(picker());
            ctx.request_repaint();
        });
        self.browsing = Some(promise);
    }

    /// Moves the picker's answer in: a folder fills the field; nothing means no picker (or none chosen).
    pub fn poll(&mut self) {
        let Some(promise) = self.browsing.take() else {
            return;
        };
        match promise.try_take() {
            Ok(Some(path)) => {
                self.target = path.display().to_string();
                self.no_picker = false;
            }
            Ok(None) => self.no_picker = true,
            Err(promise) => self.browsing = Some(promise),
        }
    }

    pub fn is_browsing(&self) -> bool {
        self.browsing.is_some()
    }

    /// Why Restore cannot be pressed now, if it cannot.
    pub fn blocker(&self) -> Option<&'static str> {
        let target = self.target.trim();
        if self.original_place {
            None
        } else if target.is_empty() {
            Some("Type the folder to restore into")
        } else if !target.starts_with('/') && !target.chars().nth(1).is_some_and(|c| c == ':') {
            Some("The folder must be an absolute path (on the host it is restored on)")
        } else {
            None
        }
    }

    /// The command that starts the restore, when the form is complete.
    pub fn submit(&self) -> Option<UiCommand> {
        if self.blocker().is_some() {
            return None;
        }
        let target = if self.original_place {
            PathBuf::from("/")
        } else {
            PathBuf::from(self.target.trim())
        };
        Some(UiCommand::Restore {
            vault_id: self.vault_id.clone(),
            snapshot_id: self
                .tree
                .snapshot_id
                .clone()
                .or_else(|| self.snapshot_id.clone()),
            target,
            include: self.tree.include(),
            overwrite: self.overwrite,
            on: self.restore_on.clone(),
        })
    }

    /// Until the administrator picks, the choice follows the snapshot's client as soon as it is
    /// known: that client when it still exists, else the backend.
    fn default_restore_on(&mut self, data: &Data) {
        if self.restore_on_picked || self.restore_on != RestoreOn::Original {
            return;
        }
        let (Some(original), Some(clients)) = (&self.tree.snapshot_client_id, data.clients.value()) else { return };
        self.restore_on = if clients.iter().any(|c| c.client_id == *original) { RestoreOn::Client(original.clone()) } else { RestoreOn::Backend };
    }
}

pub fn ui(ctx: &egui::Context, state: &mut RestoreDialogState, data: &Data, commands: &mut Vec<UiCommand>) {
    state.default_restore_on(data);
    let mut open = true;
    egui::Window::new(TITLE)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(620.0)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, -40.0))
        .show(ctx, |ui| body_ui(ui, state, data, commands));
    if !open || ctx.input(|i| i.key_pressed(Key::Escape)) {
        commands.push(UiCommand::CloseRestore);
    } else if ctx.input(|i| i.key_pressed(Key::Enter)) {
        if let Some(command) = state.submit() {
            commands.push(command);
            commands.push(UiCommand::CloseRestore);
        }
    }
}

fn body_ui(ui: &mut Ui, state: &mut RestoreDialogState, data: &Data, commands: &mut Vec<UiCommand>) {
    ui.set_width(600.0);
    let what = match (&state.snapshot_id, &state.tree.snapshot_id) {
        (Some(id), _) => format!("Snapshot {id} of {}", state.vault_name),
        (None, Some(id)) => format!("The latest file snapshot of {} ({id})", state.vault_name),
        (None, None) => format!("The latest file snapshot of {}", state.vault_name),
    };
    ui.label(RichText::new(what).strong());
    ui.label(muted(ui, "Tick the folders and files to restore; with nothing ticked the whole snapshot is restored."));
    // One scope whatever the tree shows, so the widgets below keep their ids (a click aimed at
    // "Browse…" in the frame the tree arrives must still land).
    ui.push_id("snapshot-tree", |ui| snapshot_tree::ui(ui, &mut state.tree));
    let include = state.tree.include();
    ui.label(muted(
        ui,
        if include.is_empty() {
            "Nothing ticked: everything is restored.".to_string()
        } else {
            format!(
                "{} ticked: only those are restored.",
                crate::ui::widgets::format::plural(include.len() as i64, "item")
            )
        },
    ));
    ui.add_space(8.0);
    // Its own scope too: the line under the choice comes and goes as the hosts arrive.
    ui.push_id("restore-on", |ui| restore_on_ui(ui, state, data));
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        ui.radio_value(&mut state.original_place, false, "To another folder");
        ui.radio_value(&mut state.original_place, true, "To the original place");
    });
    if state.original_place {
        ui.label(muted(
            ui,
            "Each file goes back to the path it was backed up from, on the host chosen above.",
        ));
    } else {
        ui.label(muted(ui, "Its files are restored under the folder below (on the host chosen above), each at its original path: /srv/data/a.txt lands in <folder>/srv/data/a.txt."));
    }
    ui.checkbox(&mut state.overwrite, "Overwrite existing files");
    ui.add_space(4.0);
    let label = ui.label("Target folder");
    ui.add_enabled_ui(!state.original_place, |ui| {
        ui.horizontal(|ui| {
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut state.target)
                        .hint_text("/path/to/restore-into")
                        .desired_width(460.0),
                )
                .labelled_by(label.id);
            if state.focus_target {
                state.focus_target = false;
                field.request_focus();
            }
            let browsing = state.is_browsing();
            if ui
                .add_enabled(!browsing, egui::Button::new("Browse…"))
                .on_hover_text("Pick the folder with this desktop's folder dialog")
                .clicked()
            {
                commands.push(UiCommand::BrowseRestoreFolder);
            }
            if browsing {
                ui.label(muted(ui, "waiting for the folder dialog…"));
            }
        })
    });
    if state.no_picker {
        ui.label(
            RichText::new("No folder was picked. If no dialog appeared, this desktop has no native folder picker (xdg-desktop-portal or zenity): type the folder's path above.")
                .color(palette::WARN),
        );
    }
    let blocker = state.blocker();
    if let Some(why) = blocker.filter(|_| !state.target.trim().is_empty() && !state.original_place)
    {
        ui.label(RichText::new(why).color(palette::ERROR));
    }
    ui.add_space(10.0);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                blocker.is_none(),
                egui::Button::new(RichText::new("Restore").strong()),
            )
            .on_disabled_hover_text(blocker.unwrap_or_default())
            .clicked()
        {
            if let Some(command) = state.submit() {
                commands.push(command);
                commands.push(UiCommand::CloseRestore);
            }
        }
        if ui.button("Cancel").clicked() {
            commands.push(UiCommand::CloseRestore);
        }
    });
}

/// "Restore on": the backup clients (name, host, online or offline), the snapshot's own one
/// first chosen, and a line saying where the job will run (always one, so the dialog does not
/// jump when the hosts arrive).
fn restore_on_ui(ui: &mut Ui, state: &mut RestoreDialogState, data: &Data) {
    let original = state.tree.snapshot_client_id.clone();
    let mut clients: Vec<_> = data.clients.value().map(|cs| cs.iter().collect()).unwrap_or_default();
    clients.sort_by(|a, b| a.client_name.cmp(&b.client_name));
    let option_text = |client_id: &str| -> String {
        let Some(c) = clients.iter().find(|c| c.client_id == client_id) else { return client_id.to_string() };
        let info = data.host(client_id);
        let mut text = match Liveness::of(info) {
            Liveness::Online | Liveness::Offline => format!("{} · {} · {}", c.client_name, client_host::host_label(info), Liveness::of(info).word()),
            Liveness::Backend => format!("{} · the backend host", c.client_name),
            Liveness::Unknown => c.client_name.clone(),
        };
        if original.as_deref() == Some(client_id) {
            text.push_str(" (original)");
        }
        text
    };
    const NO_CLIENT: &str = "No client · the backend host";
    let selected = match &state.restore_on {
        RestoreOn::Original => "The snapshot's client".to_string(),
        RestoreOn::Client(id) => option_text(id),
        RestoreOn::Backend => NO_CLIENT.to_string(),
    };
    ui.horizontal(|ui| {
        let label = ui.label("Restore on");
        let before = state.restore_on.clone();
        egui::ComboBox::from_id_salt("restore-on")
            .selected_text(selected)
            .width(420.0)
            .show_ui(ui, |ui| {
                for c in &clients {
                    ui.selectable_value(&mut state.restore_on, RestoreOn::Client(c.client_id.clone()), option_text(&c.client_id));
                }
                ui.selectable_value(&mut state.restore_on, RestoreOn::Backend, NO_CLIENT);
            })
            .response
            .labelled_by(label.id);
        if state.restore_on != before {
            state.restore_on_picked = true;
        }
    });
    let (text, color) = match &state.restore_on {
        RestoreOn::Client(id) => {
            let info = data.host(id);
            let name = clients.iter().find(|c| c.client_id == *id).map_or(id.as_str(), |c| c.client_name.as_str());
            match Liveness::of(info) {
                Liveness::Online => (format!("The agent on {} restores the files there.", client_host::host_label(info)), None),
                Liveness::Offline => (
                    format!("The agent of {name} ({}) is offline: the job waits until the agent is back.", client_host::host_label(info)),
                    Some(palette::WARN),
                ),
                Liveness::Backend => (format!("{name} has no agent: the restore runs in the backend and writes on the backend's host."), None),
                Liveness::Unknown => (format!("Looking up where {name} runs…"), None),
            }
        }
        RestoreOn::Backend => ("The restore runs in the backend and writes on the backend's host.".to_string(), None),
        RestoreOn::Original => ("Looking up the snapshot's client…".to_string(), None),
    };
    let text = match color {
        Some(c) => RichText::new(text).color(c),
        None => muted(ui, text),
    };
    ui.add(egui::Label::new(text).wrap());
}
