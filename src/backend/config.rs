//! `DATA/config.toml`: regions and their storage locations.
//!
//! ```toml
//! # Optional. When present, this list replaces the built-in regions (so it can add and remove).
//! [[regions]]
//! region_id = "cn-hangzhou"
//! local_name = "China (Hangzhou)"
//! # Optional; default: a directory DATA/regions/<region_id>/
//! location = { type = "s3", endpoint = "http://127.0.0.1:9000", bucket = "backups", prefix = "hz", access_key_id = "…", secret_access_key = "…", allow_http = true }
//!
//! # Optional: how many jobs run at once (the rest wait as CREATED, saying so).
//! [jobs]
//! backup_workers = 4    # backups and prunes; default: the core count, at least 2
//! restore_workers = 2   # restores and verifies (their own share); default: half the cores, at least 2
//! history_days = 90     # finished jobs older than this are removed from the catalog; 0 keeps all
//!
//! # Optional: alert thresholds and the webhook (`backend::alerts`).
//! [alerts]
//! webhook_url = "https://hooks.example.com/mirrorvault"
//! webhook_secret = "…"                      # then each POST carries X-Mirrorvault-Signature
//! replication_lag_threshold = "15m"         # default 15m
//! replication_stalled_threshold = "5m"      # replication ERROR/PAUSED this long; default 5m
//!
//! # Optional. Automatic prune: a vault is pruned after snapshots were removed from it, at
//! # most once per `interval`; unreferenced packs younger than `grace` are left alone.
//! [prune]
//! interval = "24h"
//! grace = "1h"
//! ```
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::storage::LocationConfig;

pub const DEFAULT_REGIONS: &[(&str, &str)] = &[
    ("cn-hangzhou", "China (Hangzhou)"),
    ("cn-shanghai", "China (Shanghai)"),
    ("cn-beijing", "China (Beijing)"),
    ("ap-southeast-1", "Singapore"),
];

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ConfigFile {
    #[serde(default)]
    pub regions: Option<Vec<RegionConfig>>,
    #[serde(default)]
    pub jobs: JobsConfig,
    #[serde(default)]
    pub alerts: AlertsConfig,
    #[serde(default)]
    pub prune: Option<PruneConfig>,
    #[serde(default)]
    pub agents: Option<AgentsConfig>,
}

/// `[agents]` of `config.toml` (humantime durations).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsConfig {
    #[serde(default)]
    pub offline_after: Option<String>,
    #[serde(default)]
    pub job_lease: Option<String>,
    #[serde(default)]
    pub job_wait: Option<String>,
}

/// Remote agents' timeouts, defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AgentSettings {
    /// A client whose agent has not sent a heartbeat for this long is DEACTIVATED (default 60 s).
    pub offline_after: std::time::Duration,
    /// A job an agent runs fails when the agent has not reported on it for this long (default 60 s).
    pub job_lease: std::time::Duration,
    /// A job no agent has taken fails after this long (default 1 h).
    pub job_wait: std::time::Duration,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings { offline_after: std::time::Duration::from_secs(60), job_lease: std::time::Duration::from_secs(60), job_wait: std::time::Duration::from_secs(3600) }
    }
}

/// `[jobs]`: the sizes of the job worker pools (`None` = the default for this machine).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsConfig {
    #[serde(default)]
    pub backup_workers: Option<usize>,
    #[serde(default)]
    pub restore_workers: Option<usize>,
    /// Days a finished job stays in the catalog (default 90; 0 = forever). Snapshots are not
    /// affected: they follow their retention.
    #[serde(default)]
    pub history_days: Option<u64>,
}

/// `[alerts]`. The secret is never printed (`Debug` shows whether one is set).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    #[serde(default)]
    pub webhook_url: Option<String>,
    #[serde(default)]
    pub webhook_secret: Option<String>,
    /// A humantime duration ("15m", "90s").
    #[serde(default)]
    pub replication_lag_threshold: Option<String>,
    #[serde(default)]
    pub replication_stalled_threshold: Option<String>,
}

impl std::fmt::Debug for AlertsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlertsConfig")
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "<set>"))
            .field("replication_lag_threshold", &self.replication_lag_threshold)
            .field("replication_stalled_threshold", &self.replication_stalled_threshold)
            .finish()
    }
}

/// `[prune]` of `config.toml` (humantime durations: "24h", "90m", "0s").
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PruneConfig {
    #[serde(default)]
    pub interval: Option<String>,
    #[serde(default)]
    pub grace: Option<String>,
}

/// Automatic prune's settings, defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PruneSettings {
    /// At most one automatic prune of a vault per interval (default 24 h).
    pub interval: std::time::Duration,
    /// See `storage::DEFAULT_GRACE` (default 1 h).
    pub grace: std::time::Duration,
}

impl Default for PruneSettings {
    fn default() -> Self {
        PruneSettings { interval: std::time::Duration::from_secs(24 * 3600), grace: super::storage::DEFAULT_GRACE }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegionConfig {
    pub region_id: String,
    #[serde(default)]
    pub local_name: String,
    #[serde(default)]
    pub location: Option<LocationConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid {path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("invalid region id {0:?}: use lower-case letters, digits and '-'")]
    RegionId(String),
    #[error("invalid [alerts] in config.toml: {0}")]
    Alerts(String),
    #[error("invalid [{section}] {key} = {value:?} in config.toml: {why} (write a duration such as \"24h\" or \"30m\")")]
    Duration { section: &'static str, key: &'static str, value: String, why: String },
}

impl ConfigFile {
    pub fn load(data_dir: &Path) -> Result<ConfigFile, ConfigError> {
        let path = data_dir.join("config.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|source| ConfigError::Parse { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// `[prune]`, defaults filled in.
    pub fn prune(&self) -> Result<PruneSettings, ConfigError> {
        let mut out = PruneSettings::default();
        let Some(p) = &self.prune else { return Ok(out) };
        let parse = |key: &'static str, v: &str| humantime::parse_duration(v.trim()).map_err(|e| ConfigError::Duration { section: "prune", key, value: v.to_string(), why: e.to_string() });
        if let Some(v) = &p.interval {
            out.interval = parse("interval", v)?;
        }
        if let Some(v) = &p.grace {
            out.grace = parse("grace", v)?;
        }
        Ok(out)
    }

    /// `[agents]`, defaults filled in; a zero duration is refused.
    pub fn agents(&self) -> Result<AgentSettings, ConfigError> {
        let mut out = AgentSettings::default();
        let Some(a) = &self.agents else { return Ok(out) };
        let parse = |key: &'static str, v: &str| {
            let d = humantime::parse_duration(v.trim()).map_err(|e| ConfigError::Duration { section: "agents", key, value: v.to_string(), why: e.to_string() })?;
            if d.is_zero() {
                return Err(ConfigError::Duration { section: "agents", key, value: v.to_string(), why: "must be longer than zero".into() });
            }
            Ok(d)
        };
        for (key, v, slot) in [("offline_after", &a.offline_after, &mut out.offline_after), ("job_lease", &a.job_lease, &mut out.job_lease), ("job_wait", &a.job_wait, &mut out.job_wait)] {
            if let Some(v) = v {
                *slot = parse(key, v)?;
            }
        }
        Ok(out)
    }

    /// The effective regions, each with its location (defaults filled in).
    pub fn regions(&self, data_dir: &Path) -> Result<Vec<RegionConfig>, ConfigError> {
        let list: Vec<RegionConfig> = match &self.regions {
            Some(list) => list.clone(),
            None => DEFAULT_REGIONS
                .iter()
                .map(|(id, name)| RegionConfig { region_id: id.to_string(), local_name: name.to_string(), location: None })
                .collect(),
        };
        list.into_iter()
            .map(|mut r| {
                let valid = !r.region_id.is_empty()
                    && r.region_id.len() <= 64
                    && r.region_id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !valid {
                    return Err(ConfigError::RegionId(r.region_id));
                }
                if r.local_name.is_empty() {
                    r.local_name = r.region_id.clone();
                }
                if r.location.is_none() {
                    r.location = Some(LocationConfig::Local { path: data_dir.join("regions").join(&r.region_id) });
                }
                Ok(r)
            })
            .collect()
    }
}
