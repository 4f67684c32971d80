//! The Create Mirror Vault dialog: source (read only), region, name with a live counter,
//! description; one click creates exactly one mirror.
use egui::{Key, RichText, Ui};

use super::palette;
use crate::api::vault::{CreateReplicationVaultResponse, Vault};
use crate::api::MIRROR_NAME_UI_MAX;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net, Requested};

pub const TITLE: &str = "Create Mirror Vault";

pub struct CreateMirrorState {
    pub source: Vault,
    /// Regions the source may be mirrored to (never its own).
    pub regions: Requested<Vec<String>>,
    pub region: Option<String>,
    pub name: String,
    pub description: String,
    pub create: Action<CreateReplicationVaultResponse>,
    /// Set when a Create succeeded: the dialog never sends a second one.
    created: bool,
    focus_name: bool,
}

impl CreateMirrorState {
    pub fn new(source: Vault) -> CreateMirrorState {
        let suggestion = format!("{}-mirror", source.vault_name);
        let name = if suggestion.chars().count() <= MIRROR_NAME_UI_MAX { suggestion } else { String::new() };
        CreateMirrorState {
            source,
            regions: Requested::default(),
            region: None,
            name,
            description: String::new(),
            create: Action::default(),
            created: false,
            focus_name: true,
        }
    }

    pub fn load_regions(&mut self, net: &Net, ctx: &egui::Context) {
        let vault_id = self.source.vault_id.clone();
        let own = self.source.vault_region_id.clone();
        self.regions.request(net, ctx, move |c| async move {
            let mut ids = c.describe_vault_replication_regions(&vault_id).await?.regions.region_id;
            // The source's own region is never a mirror target, whatever the backend lists.
            ids.retain(|r| *r != own);
            ids.sort();
            ids.dedup();
            Ok(ids)
        });
    }

    pub fn name_len(&self) -> usize {
        self.name.chars().count()
    }

    /// Why Create cannot be pressed now, if it cannot.
    pub fn blocker(&self) -> Option<&'static str> {
        if self.created || self.create.is_running() {
            Some("Creating…")
        } else if self.name.trim().is_empty() {
            Some("Enter a name for the mirror vault")
        } else if self.name_len() > MIRROR_NAME_UI_MAX {
            Some("At most 32 characters")
        } else if self.region.as_ref().is_none_or(|r| *r == self.source.vault_region_id) {
            Some("Choose the mirror's region")
        } else {
            None
        }
    }

    /// Sends CreateReplicationVault once; a second submit while one runs (or after success) does nothing.
    pub fn submit(&mut self, net: &Net, ctx: &egui::Context) {
        if self.blocker().is_some() {
            return;
        }
        let (Some(region), source) = (self.region.clone(), self.source.clone()) else { return };
        let name = self.name.trim().to_string();
        let description = self.description.trim().to_string();
        self.create.start(net, ctx, move |c| async move {
            c.create_replication_vault(&source.vault_id, &source.vault_region_id, &region, &name, &description).await
        });
    }

    /// Polls the request; returns `(vault_id, name, region)` on the frame a mirror was created.
    pub fn poll(&mut self) -> Option<(String, String, String)> {
        self.regions.poll();
        if self.region.is_none() {
            self.region = self.regions.value().and_then(|rs| rs.first().cloned());
        }
        if self.create.poll() {
            if let Some(Ok(r)) = &self.create.result {
                self.created = true;
                return Some((r.vault_id.clone(), self.name.trim().to_string(), self.region.clone().unwrap_or_default()));
            }
        }
        None
    }
}

pub fn ui(ctx: &egui::Context, state: &mut CreateMirrorState, data: &Data, commands: &mut Vec<UiCommand>) {
    let mut open = true;
    egui::Window::new(TITLE)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(460.0)
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, -40.0))
        .show(ctx, |ui| body_ui(ui, state, data, commands));
    if !open || ctx.input(|i| i.key_pressed(Key::Escape)) {
        commands.push(UiCommand::CloseCreateMirror);
    } else if ctx.input(|i| i.key_pressed(Key::Enter)) && state.blocker().is_none() {
        commands.push(UiCommand::SubmitCreateMirror);
    }
}

fn body_ui(ui: &mut Ui, state: &mut CreateMirrorState, data: &Data, commands: &mut Vec<UiCommand>) {
    ui.set_width(440.0);
    ui.label(super::muted(ui, "A mirror keeps a copy of this vault in another region for disaster recovery and cross-region restore. New backups sync at once; existing data syncs after the historical sync delay."));
    ui.add_space(8.0);
    let busy = state.create.is_running();
    egui::Grid::new("create-mirror-form").num_columns(2).spacing([12.0, 10.0]).min_col_width(90.0).show(ui, |ui| {
        let label = ui.label("Source vault");
        let source = format!("{} ({})", state.source.vault_name, state.source.vault_region_id);
        ui.add(egui::TextEdit::singleline(&mut source.as_str()).desired_width(300.0)).labelled_by(label.id);
        ui.end_row();

        let label = ui.label("Region");
        ui.vertical(|ui| {
            match (state.regions.value(), state.regions.error()) {
                (_, Some(e)) => super::error_label(ui, format!("Could not load regions: {e}")),
                (None, None) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Loading regions…");
                    });
                }
                (Some(regions), None) if regions.is_empty() => {
                    super::error_label(ui, "No other region is available for a mirror.");
                }
                (Some(regions), None) => {
                    let selected = state.region.as_deref().map(|r| data.region_label(r)).unwrap_or_else(|| "Choose a region".into());
                    ui.add_enabled_ui(!busy, |ui| {
                        egui::ComboBox::from_id_salt("create-mirror-region")
                            .selected_text(selected)
                            .width(300.0)
                            .show_ui(ui, |ui| {
                                for r in regions {
                                    ui.selectable_value(&mut state.region, Some(r.clone()), data.region_label(r));
                                }
                            })
                            .response
                            .labelled_by(label.id);
                    });
                }
            }
        });
        ui.end_row();

        let label = ui.label("Vault name");
        ui.vertical(|ui| {
            let over = state.name_len() > MIRROR_NAME_UI_MAX;
            ui.horizontal(|ui| {
                let edit = egui::TextEdit::singleline(&mut state.name).desired_width(240.0).hint_text("e.g. finance-dr").interactive(!busy);
                let r = ui.add(edit).labelled_by(label.id);
                if state.focus_name {
                    r.request_focus();
                    state.focus_name = false;
                }
                let counter = format!("{}/{}", state.name_len(), MIRROR_NAME_UI_MAX);
                let color = if over { palette::ERROR } else { ui.visuals().weak_text_color() };
                ui.label(RichText::new(counter).color(color).monospace());
            });
            if over {
                ui.label(RichText::new("At most 32 characters").color(palette::ERROR));
            }
        });
        ui.end_row();

        let label = ui.label("Description");
        let edit = egui::TextEdit::singleline(&mut state.description).desired_width(300.0).hint_text("Optional").interactive(!busy);
        ui.add(edit).labelled_by(label.id);
        ui.end_row();
    });

    if let Some(e) = state.create.error() {
        ui.add_space(6.0);
        egui::Frame::new().fill(palette::ERROR.gamma_multiply(0.12)).corner_radius(6.0).inner_margin(8.0).show(ui, |ui| {
            ui.set_width(ui.available_width());
            super::error_label(ui, e.to_string());
        });
    }

    ui.add_space(10.0);
    ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 30.0), egui::Layout::right_to_left(egui::Align::Center), |ui| {
        let blocker = state.blocker();
        let create = ui.add_enabled(blocker.is_none(), egui::Button::new(RichText::new("Create").strong()).min_size(egui::vec2(90.0, 28.0)));
        let create = match blocker {
            Some(reason) if !busy => create.on_disabled_hover_text(reason),
            _ => create,
        };
        if create.clicked() {
            commands.push(UiCommand::SubmitCreateMirror);
        }
        if ui.add_enabled(!busy, egui::Button::new("Cancel").min_size(egui::vec2(80.0, 28.0))).clicked() {
            commands.push(UiCommand::CloseCreateMirror);
        }
        if busy {
            ui.spinner();
            ui.label(super::muted(ui, "Creating mirror vault…"));
        }
    });
}
