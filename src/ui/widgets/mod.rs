//! Reusable pieces: vault cards, the Create vault and Create Mirror Vault dialogs, formats and
//! colours.
pub mod client_host;
pub mod create_mirror_dialog;
pub mod create_vault_dialog;
pub mod drill_report;
pub mod format;
pub mod restore_dialog;
pub mod snapshot_tree;
pub mod vault_card;

use egui::{Color32, RichText, Ui};

/// The console's colours, the same on every screen.
pub mod palette {
    use egui::Color32;
    pub const ACCENT: Color32 = Color32::from_rgb(38, 132, 214);
    pub const OK: Color32 = Color32::from_rgb(46, 160, 67);
    pub const WARN: Color32 = Color32::from_rgb(212, 140, 20);
    pub const ERROR: Color32 = Color32::from_rgb(220, 53, 53);
    pub const MIRROR: Color32 = Color32::from_rgb(128, 90, 213);
}

/// A small filled circle followed by text, e.g. a status.
pub fn status_dot(ui: &mut Ui, color: Color32, text: impl Into<String>) {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        ui.painter().circle_filled(rect.center(), 4.5, color);
        ui.label(RichText::new(text.into()).color(color));
    });
}

/// Grey secondary text.
pub fn muted(ui: &Ui, text: impl Into<String>) -> RichText {
    RichText::new(text.into()).color(ui.visuals().weak_text_color())
}

/// A screen's title and an optional one-line subtitle.
pub fn screen_header(ui: &mut Ui, title: &str, subtitle: &str) {
    ui.add_space(4.0);
    ui.heading(RichText::new(title).size(24.0).strong());
    if !subtitle.is_empty() {
        ui.label(muted(ui, subtitle));
    }
    ui.add_space(10.0);
}

/// An error from the backend, in red, with its code.
pub fn error_label(ui: &mut Ui, text: impl Into<String>) {
    ui.add(egui::Label::new(RichText::new(text.into()).color(palette::ERROR)).wrap());
}

/// A titled section box used on detail screens.
pub fn section<R>(ui: &mut Ui, title: &str, add_contents: impl FnOnce(&mut Ui) -> R) -> R {
    egui::Frame::group(ui.style())
        .fill(ui.visuals().faint_bg_color)
        .corner_radius(8.0)
        .inner_margin(14.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(title).strong().size(16.0));
            ui.add_space(6.0);
            add_contents(ui)
        })
        .inner
}
