//! The console's look: spacing, text sizes and accent colours for both themes.
use egui::{FontFamily, FontId, TextStyle};

use super::widgets::palette;

pub fn apply(ctx: &egui::Context) {
    for theme in [egui::Theme::Dark, egui::Theme::Light] {
        ctx.style_mut_of(theme, |style| {
            style.text_styles = [
                (TextStyle::Heading, FontId::new(19.0, FontFamily::Proportional)),
                (TextStyle::Body, FontId::new(14.0, FontFamily::Proportional)),
                (TextStyle::Button, FontId::new(14.0, FontFamily::Proportional)),
                (TextStyle::Small, FontId::new(11.5, FontFamily::Proportional)),
                (TextStyle::Monospace, FontId::new(13.0, FontFamily::Monospace)),
            ]
            .into();
            style.spacing.item_spacing = egui::vec2(8.0, 6.0);
            style.spacing.button_padding = egui::vec2(10.0, 5.0);
            style.spacing.interact_size.y = 26.0;
            style.visuals.selection.bg_fill = palette::ACCENT;
            style.visuals.hyperlink_color = palette::ACCENT;
            style.visuals.widgets.noninteractive.corner_radius = 6.into();
            style.visuals.widgets.inactive.corner_radius = 6.into();
            style.visuals.widgets.hovered.corner_radius = 6.into();
            style.visuals.widgets.active.corner_radius = 6.into();
            style.visuals.window_corner_radius = 10.into();
        });
    }
}
