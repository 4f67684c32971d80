//! The Create vault dialog (Overview): name, region, description, encryption and WORM; one
//! `CreateVault` per click, the backend's refusal shown inline with its code.
use egui::{Key, RichText, Ui, UiBuilder};

use super::palette;
use crate::api::vault::{CreateVaultRequest, CreateVaultResponse, Encryption, ENCRYPT_HBR_PRIVATE, ENCRYPT_KMS};
use crate::api::{DESCRIPTION_MAX, VAULT_NAME_MAX};
use crate::client::ClientError;
use crate::ui::app::Data;
use crate::ui::command::UiCommand;
use crate::ui::request::{Action, Net};

pub const TITLE: &str = "Create vault";
/// The Overview's button that opens the dialog.
pub const OPEN_BUTTON: &str = "Create vault…";

/// What the dialog asks the app to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateVaultCommand {
    Open,
    /// Send `CreateVault` with the current fields (after checking them).
    Submit,
    Close,
}

/// The encryption types `CreateVault` accepts, with their labels.
pub const ENCRYPT_TYPES: &[(&str, &str)] = &[(ENCRYPT_HBR_PRIVATE, "Vault key kept by the backend (HBR_PRIVATE)"), (ENCRYPT_KMS, "KMS key from the backend's key store (KMS)")];

/// A vault the dialog created: its id, name and region.
pub struct Created {
    pub vault_id: String,
    pub name: String,
    pub region_id: String,
}

pub struct CreateVaultState {
    pub name: String,
    /// `None` until the regions arrived (then the Overview's region filter, or the first region).
    pub region: Option<String>,
    pub description: String,
    pub encrypt_type: String,
    pub kms_key_id: String,
    pub worm: bool,
    pub create: Action<CreateVaultResponse>,
    /// Set by a submit: from then on the fields' problems show inline.
    pub submitted: bool,
    /// Set when a Create succeeded: the dialog never sends a second one.
    created: bool,
    focus_name: bool,
}

impl CreateVaultState {
    /// A blank form; `region` preselects a region (the Overview's filter).
    pub fn new(region: Option<String>) -> CreateVaultState {
        CreateVaultState {
            name: String::new(),
            region,
            description: String::new(),
            encrypt_type: ENCRYPT_HBR_PRIVATE.into(),
            kms_key_id: String::new(),
            worm: false,
            create: Action::default(),
            submitted: false,
            created: false,
            focus_name: true,
        }
    }

    pub fn name_len(&self) -> usize {
        self.name.chars().count()
    }

    /// What keeps the fields from being sent, in words, if anything.
    pub fn problem(&self) -> Option<String> {
        if self.name.trim().is_empty() {
            Some("Enter a name for the vault.".into())
        } else if self.name_len() > VAULT_NAME_MAX {
            Some(format!("The name has at most {VAULT_NAME_MAX} characters."))
        } else if self.region.is_none() {
            Some("Choose the vault's region.".into())
        } else if self.description.chars().count() > DESCRIPTION_MAX {
            Some(format!("The description has at most {DESCRIPTION_MAX} characters."))
        } else if self.encrypt_type == ENCRYPT_KMS && self.kms_key_id.trim().is_empty() {
            Some("Enter the KMS key ID.".into())
        } else {
            None
        }
    }

    pub fn is_busy(&self) -> bool {
        self.created || self.create.is_running()
    }

    /// Sends CreateVault once the fields are fine; a submit while one runs (or after success)
    /// does nothing.
    pub fn submit(&mut self, net: &Net, ctx: &egui::Context) {
        if self.is_busy() {
            return;
        }
        self.submitted = true;
        if self.problem().is_some() {
            self.create.result = None;
            return;
        }
        let kms = self.encrypt_type == ENCRYPT_KMS;
        let request = CreateVaultRequest {
            vault_name: self.name.trim().to_string(),
            description: self.description.trim().to_string(),
            vault_region_id: self.region.clone().unwrap_or_default(),
            vault_type: "STANDARD".into(),
            encryption: Encryption { encrypt_type: self.encrypt_type.clone(), kms_key_id: kms.then(|| self.kms_key_id.trim().to_string()) },
            worm_enabled: self.worm.then_some(true),
            ..Default::default()
        };
        self.create.start(net, ctx, move |c| async move { c.send(&request).await });
    }

    /// Polls the request; returns the vault on the frame it was created.
    pub fn poll(&mut self) -> Option<Created> {
        if self.create.poll() {
            if let Some(Ok(r)) = &self.create.result {
                self.created = true;
                return Some(Created { vault_id: r.vault_id.clone(), name: self.name.trim().to_string(), region_id: self.region.clone().unwrap_or_default() });
            }
        }
        None
    }
}

pub fn ui(ctx: &egui::Context, state: &mut CreateVaultState, data: &Data, commands: &mut Vec<UiCommand>) {
    if state.region.is_none() {
        state.region = data.regions.value().and_then(|rs| rs.first()).map(|r| r.region_id.clone());
    }
    // Anchored at the top, so an error appearing below the fields does not move them.
    let area = egui::Modal::default_area(egui::Id::unique("create-vault-dialog")).anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 110.0));
    let frame = egui::Frame::popup(&ctx.global_style()).inner_margin(16.0).corner_radius(10.0);
    let modal = egui::Modal::new(egui::Id::unique("create-vault-dialog")).area(area).frame(frame).show(ctx, |ui| {
        // One named dialog in the accessibility tree.
        ui.scope_builder(UiBuilder::new().accessibility_label(TITLE).accessibility_role(egui::accesskit::Role::Dialog), |ui| body_ui(ui, state, data, commands));
    });
    let busy = state.is_busy();
    let escape = modal.is_top_modal && !modal.any_popup_open && ctx.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Escape));
    if escape && !busy {
        commands.push(UiCommand::CreateVault(CreateVaultCommand::Close));
    } else if !busy && !modal.any_popup_open && ctx.input(|i| i.key_pressed(Key::Enter)) {
        commands.push(UiCommand::CreateVault(CreateVaultCommand::Submit));
    }
}

fn body_ui(ui: &mut Ui, state: &mut CreateVaultState, data: &Data, commands: &mut Vec<UiCommand>) {
    ui.set_width(480.0);
    ui.heading(RichText::new(TITLE).strong());
    ui.label(super::muted(ui, "A vault holds the backups of its clients in one region. Protect it with a mirror in another region afterwards, from its card."));
    ui.add_space(8.0);
    let busy = state.is_busy();
    egui::Grid::new("create-vault-form").num_columns(2).spacing([12.0, 10.0]).min_col_width(100.0).show(ui, |ui| {
        let label = ui.label("Name");
        ui.vertical(|ui| {
            let over = state.name_len() > VAULT_NAME_MAX;
            ui.horizontal(|ui| {
                let edit = egui::TextEdit::singleline(&mut state.name).desired_width(270.0).hint_text("Required, e.g. finance-backups").interactive(!busy);
                let r = ui.add(edit).labelled_by(label.id);
                // Asked for until it has it: the modal's first frame only measures its contents.
                if state.focus_name {
                    if r.has_focus() {
                        state.focus_name = false;
                    } else {
                        r.request_focus();
                    }
                }
                let color = if over { palette::ERROR } else { ui.visuals().weak_text_color() };
                ui.label(RichText::new(format!("{}/{VAULT_NAME_MAX}", state.name_len())).color(color).monospace());
            });
        });
        ui.end_row();

        let label = ui.label("Region");
        match (data.regions.value(), data.regions.error()) {
            (None, Some(e)) => super::error_label(ui, format!("Could not load regions: {e}")),
            (None, None) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading regions…");
                });
            }
            (Some(regions), _) => {
                let selected = state.region.as_deref().map(|r| data.region_label(r)).unwrap_or_else(|| "Choose a region".into());
                ui.add_enabled_ui(!busy, |ui| {
                    egui::ComboBox::from_id_salt("create-vault-region")
                        .selected_text(selected)
                        .width(320.0)
                        .show_ui(ui, |ui| {
                            for r in regions {
                                let text = if r.outage { format!("{} (outage)", data.region_label(&r.region_id)) } else { data.region_label(&r.region_id) };
                                ui.selectable_value(&mut state.region, Some(r.region_id.clone()), text);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                });
            }
        }
        ui.end_row();

        let label = ui.label("Description");
        let edit = egui::TextEdit::singleline(&mut state.description).desired_width(320.0).hint_text("Optional").interactive(!busy);
        ui.add(edit).labelled_by(label.id);
        ui.end_row();

        let label = ui.label("Encryption");
        ui.vertical(|ui| {
            let selected = ENCRYPT_TYPES.iter().find(|(t, _)| *t == state.encrypt_type).map_or_else(|| state.encrypt_type.clone(), |(_, text)| text.to_string());
            ui.add_enabled_ui(!busy, |ui| {
                egui::ComboBox::from_id_salt("create-vault-encryption")
                    .selected_text(selected)
                    .width(320.0)
                    .show_ui(ui, |ui| {
                        for (value, text) in ENCRYPT_TYPES {
                            ui.selectable_value(&mut state.encrypt_type, value.to_string(), *text);
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            if state.encrypt_type == ENCRYPT_KMS {
                ui.horizontal(|ui| {
                    let label = ui.label("KMS key ID");
                    let edit = egui::TextEdit::singleline(&mut state.kms_key_id).desired_width(230.0).hint_text("from mirrorvault key import-kms").interactive(!busy);
                    ui.add(edit).labelled_by(label.id);
                });
            }
        });
        ui.end_row();

        ui.label("Protection");
        ui.add_enabled(!busy, egui::Checkbox::new(&mut state.worm, "WORM (write once, read many)"));
        ui.end_row();
        ui.allocate_space(egui::Vec2::ZERO);
        let warning = "WORM can never be turned off: no snapshot of this vault can be deleted before it expires, and the vault cannot be deleted while it holds one.";
        let color = if state.worm { palette::ERROR } else { ui.visuals().weak_text_color() };
        ui.add(egui::Label::new(RichText::new(warning).color(color)).wrap());
        ui.end_row();
    });

    let problem = state.submitted.then(|| state.problem()).flatten();
    if problem.is_some() || state.create.error().is_some() {
        ui.add_space(6.0);
        egui::Frame::new().fill(palette::ERROR.gamma_multiply(0.12)).corner_radius(6.0).inner_margin(8.0).show(ui, |ui| {
            ui.set_width(ui.available_width());
            match (&problem, state.create.error()) {
                (Some(problem), _) => super::error_label(ui, problem),
                (None, Some(ClientError::Api { code, message, .. })) => {
                    ui.add(egui::Label::new(RichText::new(format!("{code}: {message}")).color(palette::ERROR)).wrap());
                }
                (None, Some(e)) => super::error_label(ui, format!("Could not create the vault: {e}")),
                (None, None) => {}
            }
        });
    }

    ui.add_space(10.0);
    ui.allocate_ui_with_layout(egui::vec2(ui.available_width(), 30.0), egui::Layout::right_to_left(egui::Align::Center), |ui| {
        let create = ui.add_enabled(!busy, egui::Button::new(RichText::new("Create").strong()).min_size(egui::vec2(90.0, 28.0)));
        if create.clicked() {
            commands.push(UiCommand::CreateVault(CreateVaultCommand::Submit));
        }
        if ui.add_enabled(!busy, egui::Button::new("Cancel").min_size(egui::vec2(80.0, 28.0))).clicked() {
            commands.push(UiCommand::CreateVault(CreateVaultCommand::Close));
        }
        if busy {
            ui.spinner();
            ui.label(super::muted(ui, "Creating vault…"));
        }
    });
}
