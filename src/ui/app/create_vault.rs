//! The Overview's Create vault dialog: opening it (with the Overview's region filter as its
//! region), its submit, and closing it with a notice once the vault exists.
use super::ConsoleApp;
use crate::ui::widgets::create_vault_dialog::{CreateVaultCommand, CreateVaultState};

impl ConsoleApp {
    pub(super) fn run_create_vault_command(&mut self, ctx: &egui::Context, command: CreateVaultCommand) {
        match command {
            CreateVaultCommand::Open => {
                if self.vault_dialog.is_none() {
                    self.vault_dialog = Some(CreateVaultState::new(self.overview.region.clone()));
                }
            }
            CreateVaultCommand::Submit => {
                if let Some(dialog) = &mut self.vault_dialog {
                    dialog.submit(&self.net, ctx);
                }
            }
            CreateVaultCommand::Close => self.vault_dialog = None,
        }
    }

    /// Polls the dialog's request; true on the frame a vault was created (the dialog closes and
    /// the vaults are to be refreshed).
    pub(super) fn poll_vault_dialog(&mut self) -> bool {
        let Some(created) = self.vault_dialog.as_mut().and_then(|d| d.poll()) else { return false };
        self.notify(format!("Vault {} created in {} ({}).", created.name, created.region_id, created.vault_id), false);
        self.vault_dialog = None;
        true
    }
}
