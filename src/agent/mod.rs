//! `mirrorvault agent`: the backup agent on a protected host. It heartbeats to the backend,
//! claims the jobs of its client, and runs them here: a backup reads this host's paths, chunks,
//! compresses and encrypts them with the job's vault key, and uploads only what the vault lacks;
//! a restore downloads the blobs it needs and writes the files here, verifying every byte. The
//! storage engine is the backend's own (`backend::storage`) over `remote::RemoteVault`.
//!
//! - `mod.rs`: configuration (`agent.toml` in the agent's data dir), `register`, the main loop
//!   (heartbeats with backoff while the backend is away);
//! - `job.rs`: one job, from claim to finish, with its progress reports;
//! - `remote.rs`: the job's vault through the backend's agent actions.
//!
//! Imports: agent → client, api, backend::storage (the engine), platform; never the backend's
//! server, catalog or jobs.
mod job;
pub mod remote;
mod sql;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::api::agent::{AgentHeartbeatRequest, CreateAgentAccessKeyRequest};
use crate::client::{Client, ClientError, Credentials};

/// The agent's saved configuration: `DIR/agent.toml`, mode 0600 (it holds the scoped key).
pub const CONFIG_FILE: &str = "agent.toml";
/// Jobs one agent runs at once.
const MAX_JOBS: usize = 2;
/// How long a heartbeat waits for work at the backend (a long poll: a job published meanwhile is
/// answered at once); the backend caps it at a quarter of its offline timeout.
const LONG_POLL_SECONDS: i64 = 10;
/// The pause between heartbeats while jobs run here (the long poll would only return at once).
const BUSY_POLL: Duration = Duration::from_secs(2);
/// The longest pause between attempts while the backend is unreachable.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Clone, Serialize, Deserialize)]
pub struct AgentConfig {
    pub endpoint: String,
    pub client_id: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The backend certificate's SHA-256 fingerprint, pinned at registration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

impl std::fmt::Debug for AgentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConfig").field("endpoint", &self.endpoint).field("client_id", &self.client_id).field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    Config(String),
    #[error("the backend refused the agent: {0}")]
    Refused(String),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// What `mirrorvault agent` and `agent register` are given.
#[derive(Clone, Debug, Default)]
pub struct AgentOptions {
    pub endpoint: Option<String>,
    pub client_id: Option<String>,
    pub data_dir: PathBuf,
    pub fingerprint: Option<String>,
    /// The account key from the environment, if set.
    pub account: Option<Credentials>,
}

fn required(v: &Option<String>, flag: &str) -> Result<String, AgentError> {
    v.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| AgentError::Config(format!("{flag} is required")))
}

/// Refuses plain HTTP to a host that is not this machine (vault keys and data cross the link),
/// and builds the client: pinned to `fingerprint` when given.
fn client_for(endpoint: &str, creds: Credentials, fingerprint: Option<&str>) -> Result<Client, AgentError> {
    crate::client::check_transport(endpoint)?;
    let trust = crate::client::Trust { fingerprint: fingerprint.map(str::to_string), ca_file: None };
    Ok(Client::with_trust(endpoint, creds, &trust)?)
}

/// `mirrorvault agent register`: mints the client's scoped key with the account key (once) and
/// saves it, with the endpoint and the pinned fingerprint, in `DIR/agent.toml` (0600).
pub async fn register(opts: &AgentOptions) -> Result<PathBuf, AgentError> {
    let endpoint = required(&opts.endpoint, "--endpoint")?;
    let client_id = required(&opts.client_id, "--client-id")?;
    let account = opts.account.clone().ok_or_else(|| {
        AgentError::Config("registering needs the account key once: set MIRRORVAULT_ACCESS_KEY_ID and MIRRORVAULT_ACCESS_KEY_SECRET".into())
    })?;
    let client = client_for(&endpoint, account, opts.fingerprint.as_deref())?;
    let key = client.send(&CreateAgentAccessKeyRequest { client_id: client_id.clone() }).await.map_err(refused)?;
    let cfg = AgentConfig { endpoint, client_id, access_key_id: key.access_key_id, access_key_secret: key.access_key_secret, fingerprint: opts.fingerprint.clone() };
    let path = save(&opts.data_dir, &cfg)?;
    Ok(path)
}

fn refused(e: ClientError) -> AgentError {
    match e {
        ClientError::Api { .. } => AgentError::Refused(e.to_string()),
        other => AgentError::Client(other),
    }
}

fn save(dir: &Path, cfg: &AgentConfig) -> Result<PathBuf, AgentError> {
    std::fs::create_dir_all(dir).map_err(|source| AgentError::Io { path: dir.to_path_buf(), source })?;
    let path = dir.join(CONFIG_FILE);
    let text = toml::to_string(cfg).map_err(|e| AgentError::Config(e.to_string()))?;
    crate::platform::write_private(&path, text.as_bytes()).map_err(|source| AgentError::Io { path: path.clone(), source })?;
    Ok(path)
}

/// The saved configuration, if any.
pub fn load(dir: &Path) -> Result<Option<AgentConfig>, AgentError> {
    let path = dir.join(CONFIG_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map(Some).map_err(|e| AgentError::Config(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(AgentError::Io { path, source }),
    }
}

/// The endpoint, client, credentials and pin the agent runs with: the flags and the account
/// key from the environment win over `agent.toml`.
fn resolve(opts: &AgentOptions) -> Result<(String, String, Credentials, Option<String>), AgentError> {
    let saved = load(&opts.data_dir)?;
    let endpoint = opts.endpoint.clone().or_else(|| saved.as_ref().map(|c| c.endpoint.clone()));
    let endpoint = required(&endpoint, "--endpoint")?;
    let client_id = opts.client_id.clone().or_else(|| saved.as_ref().map(|c| c.client_id.clone()));
    let client_id = required(&client_id, "--client-id")?;
    let fingerprint = opts.fingerprint.clone().or_else(|| saved.as_ref().and_then(|c| c.fingerprint.clone()));
    let creds = match (&opts.account, &saved) {
        (Some(a), _) => a.clone(),
        (None, Some(c)) if c.client_id == client_id => Credentials { access_key_id: c.access_key_id.clone(), access_key_secret: c.access_key_secret.clone() },
        (None, Some(c)) => {
            return Err(AgentError::Config(format!(
                "{} holds the key of the client {}, not {client_id}: run `mirrorvault agent register` for {client_id}",
                opts.data_dir.join(CONFIG_FILE).display(),
                c.client_id
            )))
        }
        (None, None) => {
            return Err(AgentError::Config(format!(
                "no key: run `mirrorvault agent register --endpoint {endpoint} --client-id {client_id} --data-dir {}` first, or set MIRRORVAULT_ACCESS_KEY_ID and MIRRORVAULT_ACCESS_KEY_SECRET",
                opts.data_dir.display()
            )))
        }
    };
    Ok((endpoint, client_id, creds, fingerprint))
}

/// What the agent says of itself in each heartbeat.
fn heartbeat_request(client_id: &str) -> AgentHeartbeatRequest {
    AgentHeartbeatRequest {
        client_id: client_id.to_string(),
        hostname: Some(crate::platform::host_name()),
        client_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        os_type: Some(std::env::consts::OS.to_string()),
        arch_type: Some(std::env::consts::ARCH.to_string()),
        wait_seconds: Some(LONG_POLL_SECONDS),
    }
}

/// `mirrorvault agent`: runs until `stop` resolves. Configuration errors and a backend that
/// refuses the key or does not know the client end it with an error (systemd then reports the
/// unit failed, with the message); an unreachable backend is retried with backoff.
pub async fn run(opts: AgentOptions, stop: impl std::future::Future<Output = ()>) -> Result<(), AgentError> {
    let (endpoint, client_id, creds, fingerprint) = resolve(&opts)?;
    let client = client_for(&endpoint, creds, fingerprint.as_deref())?;
    std::fs::create_dir_all(&opts.data_dir).map_err(|source| AgentError::Io { path: opts.data_dir.clone(), source })?;
    // The sorted runs of the chunk index a backup reads (unlinked files), as the backend's.
    let spill = opts.data_dir.join("tmp");
    std::fs::create_dir_all(&spill).map_err(|source| AgentError::Io { path: spill.clone(), source })?;
    crate::backend::storage::set_spill_dir(spill);
    tracing::info!(%endpoint, %client_id, host = %crate::platform::host_name(), "agent started");
    let running: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut backoff = Duration::from_secs(1);
    let mut connected = false;
    tokio::pin!(stop);
    loop {
        let pause = match client.agent(&heartbeat_request(&client_id), bytes::Bytes::new()).await {
            Ok(hb) => {
                if !connected {
                    tracing::info!(%endpoint, "connected to the backend");
                    connected = true;
                }
                backoff = Duration::from_secs(1);
                let mut busy = false;
                for j in hb.jobs {
                    let mut r = running.lock().unwrap_or_else(|p| p.into_inner());
                    // A SQL_CALL is short and a request waits for it: it never queues behind jobs.
                    let call = j.job_type == crate::api::agent::JOB_SQL_CALL;
                    if (r.len() >= MAX_JOBS && !call) || r.contains(&j.job_id) {
                        busy = true;
                        continue;
                    }
                    r.insert(j.job_id.clone());
                    let (client, client_id, running, data_dir) = (client.clone(), client_id.clone(), running.clone(), opts.data_dir.clone());
                    tokio::spawn(async move {
                        job::run(&client, &client_id, &j, &data_dir).await;
                        running.lock().unwrap_or_else(|p| p.into_inner()).remove(&j.job_id);
                    });
                }
                // A job it could not take yet answers every long poll at once: pause instead.
                if busy {
                    BUSY_POLL
                } else {
                    Duration::ZERO
                }
            }
            Err(ClientError::Api { status, code, message, .. }) if status == 403 || status == 404 => {
                return Err(AgentError::Refused(format!("{code}: {message}")));
            }
            Err(e) => {
                if connected {
                    tracing::warn!(error = %e, "lost the backend; retrying with backoff");
                    connected = false;
                } else {
                    tracing::warn!(error = %e, retry_in = ?backoff, "backend unreachable");
                }
                let b = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                b
            }
        };
        tokio::select! {
            _ = &mut stop => {
                tracing::info!("agent stopping");
                stop_jobs(&client, &client_id, &running).await;
                return Ok(());
            }
            _ = tokio::time::sleep(pause) => {}
        }
    }
}

/// Ends the jobs still running as FAILED at once (rather than when their lease runs out).
async fn stop_jobs(client: &Client, client_id: &str, running: &Mutex<HashSet<String>>) {
    let ids: Vec<String> = running.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
    for job_id in ids {
        let req = crate::api::agent::AgentFinishJobRequest {
            client_id: client_id.to_string(),
            job_id: job_id.clone(),
            status: "FAILED".into(),
            error_message: Some(format!("The agent on {} was stopped during the job; nothing of it was committed. Run it again.", crate::platform::host_name())),
            result: None,
        };
        if let Err(e) = client.agent(&req, bytes::Bytes::new()).await {
            tracing::warn!(%job_id, error = %e, "cannot report the stopped job");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_key_must_be_the_clients() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = AgentConfig { endpoint: "http://127.0.0.1:1".into(), client_id: "c-1".into(), access_key_id: "AGENTX".into(), access_key_secret: "s".into(), fingerprint: None };
        save(dir.path(), &cfg).unwrap();
        let opts = AgentOptions { client_id: Some("c-2".into()), data_dir: dir.path().to_path_buf(), ..Default::default() };
        assert!(resolve(&opts).unwrap_err().to_string().contains("not c-2"));
        let opts = AgentOptions { data_dir: dir.path().to_path_buf(), ..Default::default() };
        let (endpoint, client_id, creds, _) = resolve(&opts).unwrap();
        assert_eq!((endpoint.as_str(), client_id.as_str(), creds.access_key_id.as_str()), ("http://127.0.0.1:1", "c-1", "AGENTX"));
        let empty = tempfile::tempdir().unwrap();
        let opts = AgentOptions { endpoint: Some("http://127.0.0.1:1".into()), client_id: Some("c-1".into()), data_dir: empty.path().to_path_buf(), ..Default::default() };
        assert!(resolve(&opts).unwrap_err().to_string().contains("agent register"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(dir.path().join(CONFIG_FILE)).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
