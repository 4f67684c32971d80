//! Alerts the backend raises and clears itself, stored in the catalog (`catalog/alerts.rs`, one
//! ACTIVE row per condition) and sent to the webhook (`webhook.rs`) when raised and resolved.
//!
//! Conditions, each with its key (so it is raised once while it lasts):
//! - `REGION_OUTAGE` (`region:<id>`): raised at once by `SetRegionOutage`, resolved when it ends;
//!   the periodic check (`conditions.rs`) also reconciles it with the locations.
//! - `VAULT_ERROR` (`vault:<id>`): a vault in `ERROR`.
//! - `REPLICATION_STALLED` (`stalled:<mirror>`): replication `ERROR` or `PAUSED` for longer than
//!   `replication_stalled_threshold`.
//! - `REPLICATION_LAG` (`lag:<mirror>`): lag above `replication_lag_threshold`.
//! - `JOB_FAILED` (`job:<kind>:<vault>:<client>`): a job ended `FAILED` (`job_ended`, called at
//!   the end of `JobRunner::spawn`); resolved by the next job of the same kind, vault and client
//!   that completes.
mod conditions;
mod webhook;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::api::alert::*;
use crate::api::backup::{JOB_COMPLETE, JOB_FAILED, JOB_PARTIAL_COMPLETE};
use crate::backend::catalog::{AlertRow, JobRow, NewAlert};
use crate::backend::config::{AlertsConfig, ConfigError};
use crate::backend::state::AppState;

pub use conditions::run;

/// Defaults of the `[alerts]` thresholds.
pub const DEFAULT_LAG_THRESHOLD: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_STALLED_THRESHOLD: Duration = Duration::from_secs(5 * 60);

/// The effective `[alerts]` settings.
#[derive(Clone)]
pub struct AlertSettings {
    pub lag_threshold: Duration,
    pub stalled_threshold: Duration,
    webhook: Option<webhook::Target>,
}

impl AlertSettings {
    pub fn from_config(c: &AlertsConfig) -> Result<AlertSettings, ConfigError> {
        let duration = |name: &str, v: &Option<String>, default: Duration| match v {
            None => Ok(default),
            Some(text) => humantime::parse_duration(text)
                .map_err(|e| ConfigError::Alerts(format!("{name} = {text:?}: {e}"))),
        };
        let webhook = match &c.webhook_url {
            None => {
                if c.webhook_secret.is_some() {
                    return Err(ConfigError::Alerts(
                        "webhook_secret is set without webhook_url".into(),
                    ));
                }
                None
            }
            Some(url) => {
                let parsed = reqwest::Url::parse(url)
                    .map_err(|e| ConfigError::Alerts(format!("webhook_url: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::Alerts(
                        "webhook_url must be an http or https URL".into(),
                    ));
                }
                Some(webhook::Target {
                    url: parsed,
                    secret: c.webhook_secret.clone().filter(|s| !s.is_empty()),
                })
            }
        };
        Ok(AlertSettings {
            lag_threshold: duration(
                "replication_lag_threshold",
                &c.replication_lag_threshold,
                DEFAULT_LAG_THRESHOLD,
            )?,
            stalled_threshold: duration(
                "replication_stalled_threshold",
                &c.replication_stalled_threshold,
                DEFAULT_STALLED_THRESHOLD,
            )?,
            webhook,
        })
    }
}

/// The alerts' part of the server state.
pub struct Alerts {
    pub settings: AlertSettings,
    webhook: webhook::Webhook,
    /// When each mirror was first seen `ERROR`/`PAUSED` (unix seconds), by mirror id.
    stalled_since: Mutex<HashMap<String, i64>>,
}

impl Alerts {
    /// Starts the webhook's sender when one is configured (needs the tokio runtime).
    pub fn new(settings: AlertSettings) -> Alerts {
        let webhook = webhook::Webhook::start(settings.webhook.clone());
        Alerts {
            settings,
            webhook,
            stalled_since: Mutex::default(),
        }
    }

    fn stalled_since(&self) -> std::sync::MutexGuard<'_, HashMap<String, i64>> {
        self.stalled_since.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A condition to raise.
pub(crate) struct Condition<'a> {
    pub key: String,
    pub kind: &'a str,
    pub severity: &'a str,
    pub vault_id: &'a str,
    pub job_id: &'a str,
    pub client_id: &'a str,
    pub message: String,
}

/// Raises the condition unless it is active already; a new alert goes to the webhook.
pub(crate) fn raise(state: &AppState, c: Condition<'_>) {
    let alert_id = crate::backend::server::new_id("al");
    let new = NewAlert {
        alert_id: &alert_id,
        condition_key: &c.key,
        kind: c.kind,
        severity: c.severity,
        vault_id: c.vault_id,
        job_id: c.job_id,
        client_id: c.client_id,
        message: &c.message,
    };
    match state.catalog.raise_alert(&new) {
        Ok(Some(row)) => {
            tracing::warn!(alert_id = %row.alert_id, kind = %row.kind, message = %row.message, "alert raised");
            state.alerts.webhook.send(&row);
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(key = %c.key, %e, "catalog write failed: raise alert"),
    }
}

/// Resolves the condition's active alert, if any; the resolution goes to the webhook.
pub(crate) fn resolve(state: &AppState, key: &str) {
    match state.catalog.resolve_alert(key) {
        Ok(Some(row)) => {
            tracing::info!(alert_id = %row.alert_id, kind = %row.kind, "alert resolved");
            state.alerts.webhook.send(&row);
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(%key, %e, "catalog write failed: resolve alert"),
    }
}

fn job_key(j: &JobRow) -> String {
    format!("job:{}:{}:{}", j.kind, j.vault_id, j.client_id)
}

/// Called once when a job ends: a FAILED job raises `JOB_FAILED`, a completed one resolves the
/// failure of the same kind of job on the same vault and client.
pub fn job_ended(state: &AppState, job: &JobRow) {
    if job.status == JOB_FAILED {
        let what = job.kind.to_lowercase();
        raise(
            state,
            Condition {
                key: job_key(job),
                kind: KIND_JOB_FAILED,
                severity: SEVERITY_CRITICAL,
                vault_id: &job.vault_id,
                job_id: &job.job_id,
                client_id: &job.client_id,
                message: format!(
                    "The {what} job {} on the vault {} failed: {}",
                    job.job_id, job.vault_id, job.error_message
                ),
            },
        );
    } else if job.status == JOB_COMPLETE || job.status == JOB_PARTIAL_COMPLETE {
        resolve(state, &job_key(job));
    }
}

/// `SetRegionOutage`: the outage alert is raised (or resolved) at once.
pub fn region_outage(state: &AppState, region_id: &str, outage: bool) {
    let key = format!("region:{region_id}");
    if outage {
        raise(
            state,
            Condition {
                key,
                kind: KIND_REGION_OUTAGE,
                severity: SEVERITY_CRITICAL,
                vault_id: "",
                job_id: "",
                client_id: "",
                message: format!("Region {region_id} is unavailable: its vaults cannot be read or written, and replication to and from it waits."),
            },
        );
    } else {
        resolve(state, &key);
    }
}

/// The wire form of an alert row.
pub fn wire(r: AlertRow) -> Alert {
    Alert {
        alert_id: r.alert_id,
        kind: r.kind,
        severity: r.severity,
        vault_id: r.vault_id,
        job_id: r.job_id,
        client_id: r.client_id,
        message: r.message,
        raised_time: r.raised_time,
        resolved_time: r.resolved_time,
        status: r.status,
        acknowledged: r.acknowledged,
    }
}
