//! The SQL Server wizard's commands that need the app: precheck, register, restore, cancel,
//! and saving the drill report through the save picker.
use poll_promise::Promise;

use super::ConsoleApp;
use crate::ui::screens::sql_wizard::WizardCommand;

impl ConsoleApp {
    pub(super) fn run_wizard_command(&mut self, ctx: &egui::Context, command: WizardCommand) {
        let Some(wizard) = &mut self.sql_wizard else { return };
        match command {
            WizardCommand::Precheck => wizard.start_precheck(&self.net, ctx),
            WizardCommand::Register => wizard.start_register(&self.net, ctx),
            WizardCommand::StartRestore => wizard.start_restore(&self.net, ctx),
            WizardCommand::CancelRestore => wizard.start_cancel(&self.net, ctx),
            WizardCommand::SaveReport => {
                let Some(report) = wizard.report() else { return };
                if self.saving_report.is_none() {
                    let name = crate::ui::widgets::drill_report::suggested_name(report);
                    let picker = self.report_picker.clone();
                    let (tx, promise) = Promise::new();
                    let ctx2 = ctx.clone();
                    self.net.rt.spawn_blocking(move || {
                        tx.send(picker(name));
                        ctx2.request_repaint();
                    });
                    self.saving_report = Some(promise);
                }
            }
            WizardCommand::Close => {
                self.sql_wizard = None;
                self.refresh_now(ctx);
            }
        }
    }

    /// Writes the open wizard's drill report as `<name>.md` and `<name>.json` beside `path`.
    pub(super) fn save_report(&mut self, path: &std::path::Path) {
        let Some(wizard) = &mut self.sql_wizard else { return };
        let Some(report) = wizard.report().cloned() else { return };
        let saved = crate::ui::widgets::drill_report::save(&report, path).map_err(|e| format!("{}: {e}", path.display()));
        let notice = match &saved {
            Ok((md, json)) => (format!("Drill report saved: {} and {}", md.display(), json.display()), false),
            Err(e) => (format!("Could not save the drill report: {e}"), true),
        };
        wizard.saved = Some(saved);
        self.notify(notice.0, notice.1);
    }
}
