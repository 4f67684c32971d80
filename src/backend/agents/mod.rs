//! Jobs that run on a remote agent (`mirrorvault agent` on the protected host). A job for a
//! client served by an agent is a job of the `JobRunner` like any other (its row, progress,
//! cancel, alerts), whose work is `run_remote`: it publishes the job here, waits until the
//! client's agent claims it (`AgentClaimJob`), takes the agent's progress reports into the job's
//! `Progress`, and ends when the agent finishes it (`AgentFinishJob`) — or fails it when nobody
//! claims it within `[agents] job_wait`, or when the agent stops reporting for `job_lease`
//! (killed, or cut off): never RUNNING forever, and never a snapshot the backend did not check
//! and write itself (`storage::Ingest::commit`).
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::api::agent::{AgentJob, AgentJobRef};
use crate::backend::catalog::LogFailure;
use crate::backend::config::AgentSettings;
use crate::backend::state::AppState;
use crate::backend::storage::{Ingest, Progress, Repo, SnapshotManifest, StorageError};

/// How an agent ended a job.
#[derive(Debug)]
pub struct Finished {
    /// COMPLETE, FAILED or CANCELED.
    pub status: String,
    pub error: String,
    pub result: serde_json::Value,
    /// A committed backup's manifest.
    pub manifest: Option<SnapshotManifest>,
}

impl Finished {
    /// What a FAILED job's record says: the agent's message, marked as the agent's.
    pub fn failure(&self) -> String {
        if self.error.is_empty() {
            format!("The agent reported the job {} without a message.", self.status)
        } else {
            format!("On the agent: {}", self.error)
        }
    }
}

/// A job published for an agent.
struct RemoteJob {
    spec: AgentJob,
    /// The job's vault (none for a SQL_CALL, which reads and writes no vault).
    repo: Option<Repo>,
    progress: Arc<Progress>,
    claimed: bool,
    /// The last claim or report.
    last_seen: Instant,
    ingest: Option<Arc<Ingest>>,
    done: Option<oneshot::Sender<Finished>>,
}

/// The jobs agents may take and are running.
pub struct AgentHub {
    jobs: Mutex<HashMap<String, RemoteJob>>,
    /// Wakes long-polling heartbeats when a job is published.
    published: tokio::sync::Notify,
    pub settings: AgentSettings,
}

/// What a claimed job gives a handler: the job, its vault's repo and, for a backup, its uploads.
pub struct Claimed {
    pub spec: AgentJob,
    pub repo: Option<Repo>,
    pub progress: Arc<Progress>,
    pub ingest: Option<Arc<Ingest>>,
}

/// Why an agent's call on a job is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum JobRefusal {
    /// No such job for this client (another client's job looks the same).
    NotFound,
    /// Claimed already (by another agent process), or not claimed yet.
    NotClaimable,
    NotClaimed,
}

impl AgentHub {
    pub fn new(settings: AgentSettings) -> AgentHub {
        AgentHub { jobs: Mutex::new(HashMap::new()), published: tokio::sync::Notify::new(), settings }
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, RemoteJob>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Jobs of `client_id` no agent has claimed, oldest first.
    pub fn waiting(&self, client_id: &str) -> Vec<AgentJobRef> {
        let jobs = self.jobs();
        let mut out: Vec<(&Instant, AgentJobRef)> = jobs
            .values()
            .filter(|j| j.spec.client_id == client_id && !j.claimed && !j.progress.cancel.load(std::sync::atomic::Ordering::SeqCst))
            .map(|j| (&j.last_seen, AgentJobRef { job_id: j.spec.job_id.clone(), job_type: j.spec.job_type.clone() }))
            .collect();
        out.sort_by_key(|(t, _)| **t);
        out.into_iter().map(|(_, r)| r).collect()
    }

    /// `waiting`, or, when nothing waits, the jobs published within `wait` (a long poll).
    pub async fn wait_for_jobs(&self, client_id: &str, wait: Duration) -> Vec<AgentJobRef> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.published.notified();
            let jobs = self.waiting(client_id);
            if !jobs.is_empty() || tokio::time::Instant::now() >= deadline {
                return jobs;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.waiting(client_id);
            }
        }
    }

    /// Claims a waiting job for `client_id`: the job with its vault's data key.
    pub fn claim(&self, client_id: &str, job_id: &str) -> Result<Claimed, JobRefusal> {
        let mut jobs = self.jobs();
        let j = jobs.get_mut(job_id).filter(|j| j.spec.client_id == client_id).ok_or(JobRefusal::NotFound)?;
        if j.claimed || j.progress.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(JobRefusal::NotClaimable);
        }
        j.claimed = true;
        j.last_seen = Instant::now();
        let _ = j.progress.started.set(j.last_seen);
        let mut spec = j.spec.clone();
        if let Some(repo) = &j.repo {
            spec.data_key = hex::encode(repo.data_key().bytes());
        }
        Ok(Claimed { spec, repo: j.repo.clone(), progress: j.progress.clone(), ingest: j.ingest.clone() })
    }

    /// A claimed job of `client_id`; counts as a sign of life.
    pub fn claimed(&self, client_id: &str, job_id: &str) -> Result<Claimed, JobRefusal> {
        let mut jobs = self.jobs();
        let j = jobs.get_mut(job_id).filter(|j| j.spec.client_id == client_id).ok_or(JobRefusal::NotFound)?;
        if !j.claimed {
            return Err(JobRefusal::NotClaimed);
        }
        j.last_seen = Instant::now();
        Ok(Claimed { spec: j.spec.clone(), repo: j.repo.clone(), progress: j.progress.clone(), ingest: j.ingest.clone() })
    }

    /// Ends a claimed job: the waiting `run_remote` takes it from here.
    pub fn finish(&self, client_id: &str, job_id: &str, f: Finished) -> Result<(), JobRefusal> {
        let mut jobs = self.jobs();
        let j = jobs.get(job_id).filter(|j| j.spec.client_id == client_id).ok_or(JobRefusal::NotFound)?;
        if !j.claimed {
            return Err(JobRefusal::NotClaimed);
        }
        let mut j = jobs.remove(job_id).ok_or(JobRefusal::NotFound)?;
        if let Some(tx) = j.done.take() {
            let _ = tx.send(f);
        }
        Ok(())
    }

    /// Whether some job of the client is claimed or waiting (for `DeleteBackupClient`).
    pub fn has_jobs_of(&self, client_id: &str) -> bool {
        self.jobs().values().any(|j| j.spec.client_id == client_id)
    }
}

/// The work of a job that runs on `spec.client_id`'s agent (see the module doc). A backup's
/// uploads go through an `Ingest` of `repo`; while it runs, a prune of the vault waits (the
/// agent deduplicates against the index it read when it claimed the job). A restore holds a
/// reader, as a local restore does.
pub async fn run_remote(st: &AppState, spec: AgentJob, repo: Repo, progress: Arc<Progress>) -> Result<Finished, StorageError> {
    let job_id = spec.job_id.clone();
    let client_id = spec.client_id.clone();
    let backup = matches!(spec.job_type.as_str(), crate::api::agent::JOB_BACKUP | crate::api::agent::JOB_SQL_BACKUP);
    let _gate = match backup {
        true => Some(repo.writer_gate().await),
        false => None,
    };
    let _reading = (!backup).then(|| repo.reader());
    let (tx, mut rx) = oneshot::channel();
    let ingest = backup.then(|| Arc::new(Ingest::new(repo.clone())));
    st.agents.jobs().insert(
        job_id.clone(),
        RemoteJob { spec, repo: Some(repo.clone()), progress: progress.clone(), claimed: false, last_seen: Instant::now(), ingest, done: Some(tx) },
    );
    st.agents.published.notify_waiters();
    let _forget = Forget(st.clone(), job_id.clone());
    st.catalog.set_job_message(&job_id, &waiting_message(st, &client_id)).or_log_job(&job_id, "agent job waiting");
    let created = Instant::now();
    let settings = st.agents.settings;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            f = &mut rx => return f.map_err(|_| StorageError::Internal("the agent job was dropped".into())),
            _ = tick.tick() => {}
        }
        let (claimed, last_seen) = match st.agents.jobs().get(&job_id) {
            Some(j) => (j.claimed, j.last_seen),
            None => continue, // finished meanwhile: the channel has it
        };
        if !claimed {
            if progress.check_cancel().is_err() {
                return Err(StorageError::Canceled);
            }
            if created.elapsed() > settings.job_wait {
                return Err(StorageError::Unavailable(format!(
                    "No agent of the client {client_id} took the job within {} ([agents] job_wait); is `mirrorvault agent` running on its host?",
                    humantime::format_duration(settings.job_wait)
                )));
            }
        } else if last_seen.elapsed() > settings.job_lease {
            return Err(StorageError::Unavailable(format!(
                "The agent of the client {client_id} stopped reporting on the job for {} ([agents] job_lease): it was stopped or lost its connection. Nothing of this run was committed; run the job again.",
                humantime::format_duration(settings.job_lease)
            )));
        }
    }
}

/// Runs a short SQL_CALL on `spec.client_id`'s agent and returns its `Result`: an error when the
/// agent is offline, does not answer within `timeout`, or fails the call.
pub async fn call(st: &AppState, spec: AgentJob, timeout: Duration) -> Result<serde_json::Value, String> {
    let client_id = spec.client_id.clone();
    if !online(st, &client_id) {
        return Err(format!("the agent of the client {client_id} is offline; start `mirrorvault agent` on its host"));
    }
    let job_id = crate::backend::server::new_id("call");
    let (tx, rx) = oneshot::channel();
    st.agents.jobs().insert(
        job_id.clone(),
        RemoteJob { spec: AgentJob { job_id: job_id.clone(), ..spec }, repo: None, progress: Arc::new(Progress::default()), claimed: false, last_seen: Instant::now(), ingest: None, done: Some(tx) },
    );
    st.agents.published.notify_waiters();
    let _forget = Forget(st.clone(), job_id);
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(f)) if f.status == "COMPLETE" => Ok(f.result),
        Ok(Ok(f)) => Err(if f.error.is_empty() { "the agent failed the call".into() } else { f.error }),
        Ok(Err(_)) => Err("the call was dropped".into()),
        Err(_) => Err(format!("the agent of the client {client_id} did not answer within {}", humantime::format_duration(timeout))),
    }
}

/// Removes the job from the hub however `run_remote` ends.
struct Forget(AppState, String);

impl Drop for Forget {
    fn drop(&mut self) {
        self.0.agents.jobs().remove(&self.1);
    }
}

fn waiting_message(st: &AppState, client_id: &str) -> String {
    let agent = st.catalog.client(client_id).ok().flatten().and_then(|c| c.agent);
    match agent {
        Some(a) if a.heartbeat > 0 => {
            if agent_status(st, &a) == "ACTIVATED" {
                format!("Waiting for the agent on {} to take the job.", a.hostname)
            } else {
                let age = crate::backend::catalog::now() - a.heartbeat;
                format!("Waiting for the agent on {}: it is offline (last heartbeat {age} s ago); the job starts when it is back.", a.hostname)
            }
        }
        _ => format!("Waiting for an agent of the client {client_id}: none has connected yet (run `mirrorvault agent` on its host)."),
    }
}

/// Whether `client` is served by an agent (its jobs then run on the agent's host).
pub fn has_agent(client: &crate::backend::catalog::ClientRow) -> bool {
    client.agent.is_some()
}

/// Whether `client_id` has an agent that heartbeats (a call published now reaches it at once).
pub fn online(st: &AppState, client_id: &str) -> bool {
    st.catalog.client(client_id).ok().flatten().and_then(|c| c.agent).map(|a| agent_status(st, &a) == "ACTIVATED").unwrap_or(false)
}

/// `ACTIVATED` while the agent heartbeats, else `DEACTIVATED`.
pub fn agent_status(st: &AppState, a: &crate::backend::catalog::AgentInfo) -> &'static str {
    let age = crate::backend::catalog::now() - a.heartbeat;
    if a.heartbeat > 0 && age <= st.agents.settings.offline_after.as_secs() as i64 {
        "ACTIVATED"
    } else {
        "DEACTIVATED"
    }
}
