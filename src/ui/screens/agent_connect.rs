//! The Backup clients screen's "Connect an agent" panel: the exact `mirrorvault agent register`
//! and `mirrorvault agent` commands for the selected client, each with a Copy button. The
//! account key never appears: the register command names the environment variables with
//! placeholders. Shown beside it: what the client's agent said last (host, online or offline).
use egui::{RichText, Ui};

use crate::api::client::{BackupClient, ClientInfo};
use crate::ui::app::Connection;
use crate::ui::command::UiCommand;
use crate::ui::widgets::client_host::{self, Liveness};
use crate::ui::widgets::{format, muted, palette, section};

/// Where the shown commands keep the agent's key (`agent.toml`, 0600): the same in both, so the
/// second finds what the first saved.
pub const AGENT_DATA_DIR: &str = "/var/lib/mirrorvault-agent";

/// The register and run commands for `client_id` against `endpoint`; an `https://` endpoint's
/// register pins `fingerprint` (the console's own pin) or says where to find it.
pub fn agent_commands(endpoint: &str, client_id: &str, fingerprint: Option<&str>) -> (String, String) {
    let mut register = format!(
        "MIRRORVAULT_ACCESS_KEY_ID=<account key id> MIRRORVAULT_ACCESS_KEY_SECRET=<account key secret> \
         mirrorvault agent register --endpoint {endpoint} --client-id {client_id} --data-dir {AGENT_DATA_DIR}"
    );
    if is_https(endpoint) {
        match fingerprint {
            Some(f) => register.push_str(&format!(" --fingerprint {f}")),
            None => register.push_str(" --fingerprint <fingerprint printed by mirrorvault serve>"),
        }
    }
    (register, format!("mirrorvault agent --data-dir {AGENT_DATA_DIR}"))
}

fn is_https(endpoint: &str) -> bool {
    endpoint.trim().get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"))
}

/// True when the endpoint's host is this machine only (127.0.0.0/8, ::1, localhost).
pub fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint.trim().split_once("://").map_or(endpoint.trim(), |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub fn ui(ui: &mut Ui, client: &BackupClient, info: Option<&ClientInfo>, connection: &Connection, commands: &mut Vec<UiCommand>) {
    section(ui, &format!("Connect an agent: {}", client.client_name), |ui| {
        ui.add(egui::Label::new(
            "The agent runs this client's backups and restores on its own host: it reads and writes the files there, and deduplicates before it sends (only chunks the vault does not hold yet cross the network).",
        ).wrap());
        ui.add_space(4.0);
        state_ui(ui, client, info);
        ui.add_space(8.0);
        let (register, run) = agent_commands(&connection.endpoint, &client.client_id, connection.trust.fingerprint.as_deref());
        ui.label(RichText::new("1. On the protected host, register the agent").strong());
        ui.label(muted(ui, format!("Uses the account key once, to get a key that can only do this client's work; saves it in {AGENT_DATA_DIR}/agent.toml (mode 0600).")));
        command_ui(ui, &register, "Register command", commands);
        ui.add_space(6.0);
        ui.label(RichText::new("2. Run it (as a service: it reconnects by itself)").strong());
        command_ui(ui, &run, "Agent command", commands);
        if connection.embedded || is_loopback(&connection.endpoint) {
            let note = if connection.embedded {
                "This console's embedded backend listens on 127.0.0.1, on a new port each start: only an agent on this machine reaches it, until the console restarts. For an agent on another machine, run mirrorvault serve on a reachable address (with TLS) and point the console at it with --endpoint."
            } else {
                "This backend listens on 127.0.0.1: only an agent on this machine reaches it. For an agent on another machine, run mirrorvault serve on a reachable address (with TLS) and point the console at it with --endpoint."
            };
            ui.add_space(6.0);
            ui.add(egui::Label::new(RichText::new(note).color(palette::WARN)).wrap());
        }
    });
}

/// What the client's agent said last.
fn state_ui(ui: &mut Ui, client: &BackupClient, info: Option<&ClientInfo>) {
    let liveness = Liveness::of(info);
    let now = format::now_unix();
    let text = match (liveness, info) {
        (Liveness::Online, Some(i)) => format!("The agent on {} is online (last heartbeat {}).", client_host::host_label(info), format::ago(i.last_heart_beat_time, now)),
        (Liveness::Offline, Some(i)) => format!(
            "The agent on {} is offline (last heartbeat {}): this client's jobs wait until it is back.",
            client_host::host_label(info),
            format::ago(i.last_heart_beat_time, now)
        ),
        (Liveness::Backend, _) => format!("No agent has connected for {} yet: its jobs run in the backend, on the backend's host.", client.client_name),
        _ => return,
    };
    ui.horizontal(|ui| {
        if matches!(liveness, Liveness::Online | Liveness::Offline) {
            client_host::liveness_ui(ui, liveness);
        }
        ui.add(egui::Label::new(text).wrap());
    });
}

/// One command in a monospace box, with its Copy button.
fn command_ui(ui: &mut Ui, command: &str, what: &str, commands: &mut Vec<UiCommand>) {
    ui.horizontal_top(|ui| {
        let box_width = (ui.available_width() - 80.0).max(200.0);
        egui::Frame::new().fill(ui.visuals().extreme_bg_color).corner_radius(4.0).inner_margin(8.0).show(ui, |ui| {
            ui.set_width(box_width - 16.0);
            ui.add(egui::Label::new(RichText::new(command).monospace()).wrap());
        });
        if ui.button("Copy").on_hover_text(format!("Copy the {} to the clipboard", what.to_lowercase())).clicked() {
            commands.push(UiCommand::CopyText { text: command.to_string(), what: what.into() });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_name_the_client_and_endpoint_and_never_a_key() {
        let (register, run) = agent_commands("http://127.0.0.1:8765", "c-123", Some("ab12"));
        assert_eq!(
            register,
            "MIRRORVAULT_ACCESS_KEY_ID=<account key id> MIRRORVAULT_ACCESS_KEY_SECRET=<account key secret> mirrorvault agent register --endpoint http://127.0.0.1:8765 --client-id c-123 --data-dir /var/lib/mirrorvault-agent"
        );
        assert_eq!(run, "mirrorvault agent --data-dir /var/lib/mirrorvault-agent");
        let (register, _) = agent_commands("https://backup.example.com:8765", "c-1", None);
        assert!(register.ends_with(" --fingerprint <fingerprint printed by mirrorvault serve>"), "{register}");
        let (register, _) = agent_commands("https://backup.example.com:8765", "c-1", Some("ab12"));
        assert!(register.ends_with(" --fingerprint ab12"), "the console's pin: {register}");
    }

    #[test]
    fn loopback_endpoints() {
        for e in ["http://127.0.0.1:8765", "http://localhost:1", "https://[::1]:8765/", "127.0.0.2:80"] {
            assert!(is_loopback(e), "{e}");
        }
        for e in ["http://10.0.0.5:8765", "https://backup.example.com", "https://[2001:db8::1]:8765"] {
            assert!(!is_loopback(e), "{e}");
        }
    }
}
