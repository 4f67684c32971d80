//! The app's frame around the screens: the navigation with its status line, and the notices.
use egui::{RichText, Ui};

use super::{ConsoleApp, Screen, NOTICE_TTL};
use crate::ui::command::UiCommand;
use crate::ui::widgets::palette;

impl ConsoleApp {
    pub(super) fn navigation_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.add(egui::Image::new(egui::include_image!("../../../assets/mirror-vault.png")).fit_to_exact_size(egui::vec2(28.0, 28.0)));
            ui.label(RichText::new("mirrorvault").size(20.0).strong());
        });
        ui.add_space(18.0);
        let items = [
            (Screen::Overview, "Overview"),
            (Screen::Clients, "Backup clients"),
            (Screen::Plans, "Backup plans"),
            (Screen::SqlServer, "SQL Server"),
            (Screen::Jobs, "Jobs"),
            (Screen::Alerts, "Alerts"),
            (Screen::Settings, "Settings"),
        ];
        let active_alerts = self.data.alerts.value().map(Vec::len).unwrap_or(0);
        for (screen, label) in items {
            let selected = self.screen == screen || (screen == Screen::Overview && matches!(self.screen, Screen::Vault(_)));
            let button = egui::Button::selectable(selected, RichText::new(label).size(15.0)).min_size(egui::vec2(ui.available_width(), 34.0));
            let response = ui.add(button);
            if screen == Screen::Alerts && active_alerts > 0 {
                // The badge: the active-alert count in a red pill at the button's right end.
                let galley = ui.painter().layout_no_wrap(active_alerts.to_string(), egui::FontId::proportional(12.0), egui::Color32::WHITE);
                let size = egui::vec2((galley.size().x + 12.0).max(22.0), 20.0);
                let rect = egui::Rect::from_center_size(egui::pos2(response.rect.right() - size.x / 2.0 - 8.0, response.rect.center().y), size);
                ui.painter().rect_filled(rect, 10.0, palette::ERROR);
                ui.painter().galley(rect.center() - galley.size() / 2.0, galley, egui::Color32::WHITE);
                response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, format!("Alerts, {active_alerts} active")));
            }
            if response.clicked() {
                self.commands.push(UiCommand::Navigate(screen));
            }
            ui.add_space(2.0);
        }
        ui.with_layout(egui::Layout::bottom_up(egui::Align::Min), |ui| {
            ui.add(egui::Label::new(crate::ui::widgets::muted(ui, &self.connection.endpoint).size(12.0)).truncate());
            crate::ui::connection::status_line_ui(ui, &self.data, self.connection.embedded);
            ui.separator();
        });
    }

    pub(super) fn notices_ui(&mut self, ctx: &egui::Context) {
        self.notices.retain(|n| n.at.elapsed() < NOTICE_TTL);
        if self.notices.is_empty() {
            return;
        }
        if let Some(oldest) = self.notices.iter().map(|n| n.at).min() {
            ctx.request_repaint_after(NOTICE_TTL.saturating_sub(oldest.elapsed()));
        }
        egui::Area::new(egui::Id::unique("notices"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -16.0))
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                for n in &self.notices {
                    let color = if n.is_error { palette::ERROR } else { palette::OK };
                    egui::Frame::popup(ui.style()).stroke(egui::Stroke::new(1.0, color)).inner_margin(10.0).show(ui, |ui| {
                        ui.set_max_width(380.0);
                        ui.add(egui::Label::new(RichText::new(&n.text).color(if n.is_error { palette::ERROR } else { ui.visuals().text_color() })).wrap());
                    });
                    ui.add_space(6.0);
                }
            });
    }
}
