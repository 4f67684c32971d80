//! The periodic check: every `CHECK_EVERY` it compares the regions, vaults and mirrors with the
//! thresholds and raises or resolves their alerts (a condition still true raises nothing new).
use std::collections::HashSet;
use std::time::Duration;

use super::{raise, resolve, Condition};
use crate::api::alert::*;
use crate::api::vault::{REPL_ERROR, REPL_PAUSED, STATUS_ERROR};
use crate::backend::catalog::now;
use crate::backend::state::AppState;

/// How often the conditions are checked.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Runs the check forever.
pub async fn run(state: AppState) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        check(&state);
    }
}

/// One pass over the regions, vaults and mirrors.
pub fn check(state: &AppState) {
    // Resolving is asked only of keys that are active: an idle pass reads and writes nothing else.
    let active: HashSet<String> = match state.catalog.active_alert_keys() {
        Ok(keys) => keys.into_iter().map(|(k, _)| k).collect(),
        Err(e) => {
            tracing::warn!(%e, "alert check: cannot list the active alerts");
            return;
        }
    };
    let clear = |key: &str| {
        if active.contains(key) {
            resolve(state, key);
        }
    };
    for r in state.hub.regions() {
        if r.location.is_offline() && !active.contains(&format!("region:{}", r.region_id)) {
            super::region_outage(state, &r.region_id, true);
        } else if !r.location.is_offline() {
            clear(&format!("region:{}", r.region_id));
        }
    }
    // Each vault's own row only (no snapshot counts, clients or mirror joined per vault): this
    // runs every 2 s over every vault.
    let vaults = match state.catalog.vault_states() {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(%e, "alert check: cannot list the vaults");
            return;
        }
    };
    let t = now();
    let settings = &state.alerts.settings;
    let mut present = HashSet::new();
    for v in &vaults {
        present.insert(v.vault_id.clone());
        let key = format!("vault:{}", v.vault_id);
        if v.status == STATUS_ERROR && !active.contains(&key) {
            let message = format!(
                "The vault {} ({}) is in ERROR: {}",
                v.vault_name, v.vault_id, v.status_message
            );
            raise(
                state,
                Condition {
                    key,
                    kind: KIND_VAULT_ERROR,
                    severity: SEVERITY_CRITICAL,
                    vault_id: &v.vault_id,
                    job_id: "",
                    client_id: "",
                    message,
                },
            );
        } else if v.status != STATUS_ERROR {
            clear(&key);
        }
        if !v.is_mirror {
            continue;
        }
        let key = format!("stalled:{}", v.vault_id);
        if v.repl_status == REPL_ERROR || v.repl_status == REPL_PAUSED {
            let since = *state
                .alerts
                .stalled_since()
                .entry(v.vault_id.clone())
                .or_insert(t);
            if t - since >= settings.stalled_threshold.as_secs() as i64 && !active.contains(&key) {
                let why = if v.repl_message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", v.repl_message)
                };
                let message = format!(
                    "Replication into the mirror {} ({}) has been {} for {} s{why}",
                    v.vault_name,
                    v.vault_id,
                    v.repl_status,
                    t - since
                );
                raise(
                    state,
                    Condition {
                        key,
                        kind: KIND_REPLICATION_STALLED,
                        severity: SEVERITY_CRITICAL,
                        vault_id: &v.vault_id,
                        job_id: "",
                        client_id: "",
                        message,
                    },
                );
            }
        } else {
            state.alerts.stalled_since().remove(&v.vault_id);
            clear(&key);
        }
        let key = format!("lag:{}", v.vault_id);
        let lagging = v.repl_lag_seconds > settings.lag_threshold.as_secs() as i64;
        if lagging && !active.contains(&key) {
            let message = format!(
                "The mirror {} ({}) lags its source by {} s (threshold {} s)",
                v.vault_name,
                v.vault_id,
                v.repl_lag_seconds,
                settings.lag_threshold.as_secs()
            );
            raise(
                state,
                Condition {
                    key,
                    kind: KIND_REPLICATION_LAG,
                    severity: SEVERITY_WARNING,
                    vault_id: &v.vault_id,
                    job_id: "",
                    client_id: "",
                    message,
                },
            );
        } else if !lagging {
            clear(&key);
        }
    }
    // Agents: offline while their client is DEACTIVATED; a deleted client takes its alert along.
    let mut clients = HashSet::new();
    match state.catalog.list_clients(None) {
        Ok(rows) => {
            for c in rows {
                let Some(a) = &c.agent else { continue };
                clients.insert(c.client_id.clone());
                let key = format!("agent:{}", c.client_id);
                let offline = a.heartbeat > 0 && crate::backend::agents::agent_status(state, a) != "ACTIVATED";
                if offline && !active.contains(&key) {
                    let message = format!(
                        "The agent of the client {} ({}) on {} has not been heard from for {} s; its jobs wait until it is back",
                        c.client_name,
                        c.client_id,
                        a.hostname,
                        t - a.heartbeat
                    );
                    raise(state, Condition { key, kind: KIND_AGENT_OFFLINE, severity: SEVERITY_WARNING, vault_id: &c.vault_id, job_id: "", client_id: &c.client_id, message });
                } else if !offline {
                    clear(&key);
                }
            }
            for key in active.iter().filter(|k| k.starts_with("agent:")) {
                if !clients.contains(&key["agent:".len()..]) {
                    resolve(state, key);
                }
            }
        }
        Err(e) => tracing::warn!(%e, "alert check: cannot list the clients"),
    }
    // A deleted vault takes its alerts with it.
    if let Ok(keys) = state.catalog.active_alert_keys() {
        for (key, vault_id) in keys {
            if !vault_id.is_empty() && !present.contains(&vault_id) {
                resolve(state, &key);
            }
        }
    }
    state
        .alerts
        .stalled_since()
        .retain(|id, _| present.contains(id));
}
