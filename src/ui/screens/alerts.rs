//! The Alerts screen: the active alerts (newest first) with an Acknowledge button each, and the
//! recently resolved ones. The active list is the app's shared `Data::alerts` (it also feeds the
//! navigation badge and the Overview's count); the resolved list is fetched while the screen is
//! open.
use std::time::Duration;

use egui::{RichText, Ui};

use crate::api::alert::{Alert, ALERT_RESOLVED, SEVERITY_CRITICAL};
use crate::ui::app::Data;
use crate::ui::request::{Action, Net, Requested};
use crate::ui::widgets::{error_label, format, muted, palette, screen_header};

#[derive(Default)]
pub struct AlertsState {
    resolved: Requested<Vec<Alert>>,
    ack: Action<String>,
    /// Set when an acknowledgement settles: the app refreshes the active list.
    pub changed: bool,
}

impl AlertsState {
    pub fn refresh_due(&mut self, net: &Net, ctx: &egui::Context, interval: Duration) {
        if self.resolved.is_stale(interval.max(Duration::from_secs(5))) {
            self.resolved.request(net, ctx, |c| async move {
                Ok(c.describe_alerts(Some(ALERT_RESOLVED), 1, 50)
                    .await?
                    .alerts
                    .alert)
            });
        }
    }

    pub fn poll(&mut self) {
        self.resolved.poll();
        if self.ack.poll() {
            self.changed = true;
        }
    }

    pub fn acknowledge(&mut self, net: &Net, ctx: &egui::Context, alert_id: String) {
        self.ack.start(net, ctx, move |c| async move {
            Ok(c.acknowledge_alert(&alert_id).await?.alert_id)
        });
    }
}

/// Vaults with an active alert, or in a region under an outage (the Overview's count).
pub fn vaults_with_alerts(data: &Data) -> usize {
    let mut ids: Vec<&str> = data
        .alerts
        .value()
        .map(|a| {
            a.iter()
                .map(|a| a.vault_id.as_str())
                .filter(|v| !v.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let down: Vec<&str> = data
        .regions
        .value()
        .map(|rs| {
            rs.iter()
                .filter(|r| r.outage)
                .map(|r| r.region_id.as_str())
                .collect()
        })
        .unwrap_or_default();
    let outage_alert = data.alerts.value().is_some_and(|a| {
        a.iter()
            .any(|a| a.kind == crate::api::alert::KIND_REGION_OUTAGE)
    });
    if outage_alert {
        ids.extend(
            data.vaults
                .value()
                .into_iter()
                .flatten()
                .filter(|v| down.contains(&v.vault_region_id.as_str()))
                .map(|v| v.vault_id.as_str()),
        );
    }
    ids.sort_unstable();
    ids.dedup();
    ids.len()
}

/// What the UI asks of the app.
pub enum AlertsCommand {
    Acknowledge(String),
}

pub fn ui(ui: &mut Ui, state: &mut AlertsState, data: &Data, out: &mut Vec<AlertsCommand>) {
    let active: &[Alert] = data.alerts.value().map(Vec::as_slice).unwrap_or(&[]);
    let subtitle = if data.alerts.value().is_some() {
        format!("{} active", format::plural(active.len() as i64, "alert"))
    } else {
        "Raised and cleared by the backend".into()
    };
    screen_header(ui, "Alerts", &subtitle);
    if let Some(e) = data.alerts.error() {
        error_label(ui, format!("Could not load alerts: {e}"));
    }
    if let Some(e) = state.ack.error() {
        error_label(ui, format!("Could not acknowledge: {e}"));
    }
    let now = format::now_unix();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if data.alerts.value().is_some() && active.is_empty() {
                ui.label(
                    RichText::new("No active alerts.")
                        .color(palette::OK)
                        .size(16.0),
                );
            }
            for a in active {
                alert_row(ui, data, a, now, Some(out));
            }
            ui.add_space(16.0);
            ui.label(RichText::new("Recently resolved").strong().size(16.0));
            match state.resolved.value() {
                Some(list) if list.is_empty() => {
                    ui.label(muted(ui, "None."));
                }
                Some(list) => {
                    for a in list {
                        alert_row(ui, data, a, now, None);
                    }
                }
                None => {
                    ui.spinner();
                }
            }
        });
}

fn alert_row(ui: &mut Ui, data: &Data, a: &Alert, now: i64, out: Option<&mut Vec<AlertsCommand>>) {
    let color = if a.status == ALERT_RESOLVED {
        ui.visuals().weak_text_color()
    } else if a.severity == SEVERITY_CRITICAL {
        palette::ERROR
    } else {
        palette::WARN
    };
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, color))
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(&a.severity).color(color).strong());
                ui.label(RichText::new(&a.kind).strong());
                if !a.vault_id.is_empty() {
                    let name = data
                        .vault(&a.vault_id)
                        .map(|v| v.vault_name.clone())
                        .unwrap_or_else(|| a.vault_id.clone());
                    ui.label(muted(ui, format!("vault {name}")));
                }
                let when = if a.resolved_time > 0 {
                    format!(
                        "raised {}, resolved {}",
                        format::ago(a.raised_time, now),
                        format::ago(a.resolved_time, now)
                    )
                } else {
                    format!("raised {}", format::ago(a.raised_time, now))
                };
                ui.label(muted(ui, when));
                ui.with_layout(
                    egui::Layout::right_to_left(egui::Align::Center),
                    |ui| match out {
                        Some(out) if !a.acknowledged => {
                            if ui
                                .button("Acknowledge")
                                .on_hover_text(format!(
                                    "Mark alert {} as seen; it stays until its condition clears",
                                    a.alert_id
                                ))
                                .clicked()
                            {
                                out.push(AlertsCommand::Acknowledge(a.alert_id.clone()));
                            }
                        }
                        _ if a.acknowledged => {
                            ui.label(muted(ui, "acknowledged"));
                        }
                        _ => {}
                    },
                );
            });
            ui.add(egui::Label::new(&a.message).wrap());
        });
    ui.add_space(4.0);
}
