//! Where a backup client's jobs run, in words and colour: on its agent's host (online or
//! offline, from `DescribeBackupClients`' `Status`) or in the backend. Shared by the Backup
//! clients screen and the Restore dialog's "Restore on" choice.
use egui::{Color32, Ui};

use super::{palette, status_dot};
use crate::api::client::ClientInfo;

/// `Status` while the agent heartbeats.
pub const STATUS_ONLINE: &str = "ACTIVATED";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liveness {
    /// An agent runs the client's jobs and heartbeats.
    Online,
    /// An agent ran the client's jobs but stopped heartbeating: its jobs wait for it.
    Offline,
    /// No agent: the jobs run inside the backend, on the backend's host.
    Backend,
    /// Not known yet (the hosts have not arrived).
    Unknown,
}

impl Liveness {
    pub fn of(info: Option<&ClientInfo>) -> Liveness {
        match info {
            None => Liveness::Unknown,
            Some(i) if !i.agent_installed => Liveness::Backend,
            Some(i) if i.status == STATUS_ONLINE => Liveness::Online,
            Some(_) => Liveness::Offline,
        }
    }

    /// `online`, `offline`, `runs in the backend`.
    pub fn word(self) -> &'static str {
        match self {
            Liveness::Online => "online",
            Liveness::Offline => "offline",
            Liveness::Backend => "runs in the backend",
            Liveness::Unknown => "…",
        }
    }

    pub fn color(self, ui: &Ui) -> Color32 {
        match self {
            Liveness::Online => palette::OK,
            Liveness::Offline => palette::ERROR,
            Liveness::Backend | Liveness::Unknown => ui.visuals().weak_text_color(),
        }
    }
}

/// A coloured dot and the word.
pub fn liveness_ui(ui: &mut Ui, liveness: Liveness) {
    status_dot(ui, liveness.color(ui), liveness.word());
}

/// The agent's host name, or "the backend host" for a client without an agent.
pub fn host_label(info: Option<&ClientInfo>) -> String {
    match info {
        Some(i) if i.agent_installed && !i.hostname.is_empty() => i.hostname.clone(),
        Some(i) if i.agent_installed => "an unnamed host".into(),
        _ => "the backend host".into(),
    }
}

/// `9.9.9 · linux/x86_64`, leaving out what the agent did not say.
pub fn version_label(info: &ClientInfo) -> String {
    let platform = match (info.os_type.as_str(), info.arch_type.as_str()) {
        ("", "") => String::new(),
        (os, "") => os.to_string(),
        ("", arch) => arch.to_string(),
        (os, arch) => format!("{os}/{arch}"),
    };
    match (info.client_version.as_str(), platform.as_str()) {
        ("", "") => "—".into(),
        (v, "") => v.to_string(),
        ("", p) => p.to_string(),
        (v, p) => format!("{v} · {p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(agent: bool, status: &str) -> ClientInfo {
        ClientInfo { agent_installed: agent, status: status.into(), hostname: "db-host-7".into(), ..Default::default() }
    }

    #[test]
    fn liveness_follows_the_agent_and_its_status() {
        assert_eq!(Liveness::of(None), Liveness::Unknown);
        assert_eq!(Liveness::of(Some(&info(false, "ACTIVATED"))), Liveness::Backend);
        assert_eq!(Liveness::of(Some(&info(true, "ACTIVATED"))), Liveness::Online);
        assert_eq!(Liveness::of(Some(&info(true, "DEACTIVATED"))), Liveness::Offline);
        assert_eq!(host_label(Some(&info(false, "ACTIVATED"))), "the backend host", "a client without an agent names no host of its own");
        assert_eq!(host_label(Some(&info(true, "ACTIVATED"))), "db-host-7");
    }

    #[test]
    fn version_leaves_out_what_is_unknown() {
        let mut i = info(true, "ACTIVATED");
        assert_eq!(version_label(&i), "—");
        i.client_version = "9.9.9".into();
        assert_eq!(version_label(&i), "9.9.9");
        i.os_type = "linux".into();
        i.arch_type = "x86_64".into();
        assert_eq!(version_label(&i), "9.9.9 · linux/x86_64");
    }
}
