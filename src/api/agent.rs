//! The remote agent's protocol (product actions; the real API has none): `mirrorvault agent` on a
//! protected host calls these on `POST /agent` (`AGENT_PATH`), signed like every request, with a
//! raw request body where an action takes one (an object's bytes, a snapshot manifest) and a raw
//! response body for `AgentGetObject`. `CreateAgentAccessKey` is an ordinary account action.
//! The order of a job and what the backend checks: docs/design.md, "Remote agents".
use serde::{Deserialize, Serialize};

/// The path agent actions are posted to.
pub const AGENT_PATH: &str = "/agent";

/// What the agent's `JobType` says.
pub const JOB_BACKUP: &str = "BACKUP";
pub const JOB_RESTORE: &str = "RESTORE";
pub const JOB_SQL_BACKUP: &str = "SQL_BACKUP";
pub const JOB_SQL_RESTORE: &str = "SQL_RESTORE";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateAgentAccessKeyResponse {
    pub client_id: String,
    /// The scoped key: it can do only this client's agent work.
    pub access_key_id: String,
    /// Returned once, here; the backend keeps it only to verify signatures.
    pub access_key_secret: String,
}

/// A job waiting for the agent.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentJobRef {
    pub job_id: String,
    pub job_type: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentHeartbeatResponse {
    /// Jobs for this client that no agent has claimed yet, oldest first.
    pub jobs: Vec<AgentJobRef>,
    /// Seconds until the next heartbeat is expected.
    pub heartbeat_interval: u64,
}

/// Everything an agent needs to run a job. `DataKey` is the job's vault's data key (hex): the
/// agent encrypts and decrypts there, and forgets it when the job ends.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentJob {
    pub job_id: String,
    pub job_type: String,
    pub vault_id: String,
    pub client_id: String,
    pub snapshot_id: String,
    pub source_type: String,
    /// Backup: the paths to read (absolute, on the agent's host).
    pub paths: Vec<String>,
    pub exclude: Vec<String>,
    pub parent_snapshot_id: String,
    /// The manifest's `meta` (plan, trigger, retention), as JSON.
    pub meta: String,
    /// The backup's `SpeedLimit`, in its wire form (empty: none).
    pub speed_limit: String,
    /// Restore: where, what, and whether existing entries may be replaced.
    pub target_path: String,
    pub include: Vec<String>,
    pub overwrite: bool,
    /// SQL Server jobs: the instance (`InstanceSpec` as JSON: engine, host, credentials), the
    /// databases and the restore's options, as JSON.
    pub sql: String,
    pub data_key: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentClaimJobResponse {
    pub job: AgentJob,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentReportProgressResponse {
    /// The administrator canceled the job: stop, and finish it as CANCELED.
    pub canceled: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentFinishJobResponse {
    /// The job's status as recorded.
    pub status: String,
    pub snapshot_id: String,
}

/// One object of `AgentListObjects`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentObject {
    /// Relative to the vault (`index/…`, `data/ab/…`, `snapshots/…`, `config`).
    pub key: String,
    pub size: u64,
    pub modified_ms: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentListObjectsResponse {
    pub objects: Vec<AgentObject>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentEmptyResponse {}

// Requests.

crate::action! {
    /// Mints the client-scoped key of an agent (account key only). Each call makes a new key;
    /// the older ones stay valid until the client is deleted.
    pub struct CreateAgentAccessKeyRequest: "CreateAgentAccessKey" -> CreateAgentAccessKeyResponse {
        client_id: String = "ClientId" required,
    }
}

crate::action! {
    /// The agent is alive; answers the jobs waiting for it.
    pub struct AgentHeartbeatRequest: "AgentHeartbeat" -> AgentHeartbeatResponse {
        client_id: String = "ClientId" required,
        hostname: Option<String> = "Hostname" bounded(0, 255),
        client_version: Option<String> = "ClientVersion" bounded(0, 64),
        os_type: Option<String> = "OsType" bounded(0, 64),
        arch_type: Option<String> = "ArchType" bounded(0, 64),
    }
}

crate::action! {
    /// Takes a waiting job: it is RUNNING from now on, and must report at least every lease.
    pub struct AgentClaimJobRequest: "AgentClaimJob" -> AgentClaimJobResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
    }
}

crate::action! {
    /// The job's counters; the answer says whether it was canceled.
    pub struct AgentReportProgressRequest: "AgentReportProgress" -> AgentReportProgressResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        bytes_total: Option<i64> = "BytesTotal" int_range(0, i64::MAX),
        bytes_done: Option<i64> = "BytesDone" int_range(0, i64::MAX),
        items_total: Option<i64> = "ItemsTotal" int_range(0, i64::MAX),
        items_done: Option<i64> = "ItemsDone" int_range(0, i64::MAX),
        message: Option<String> = "Message" bounded(0, 1024),
    }
}

crate::action! {
    /// Ends a claimed job. A COMPLETE backup sends its encoded manifest as the body: the backend
    /// checks it and commits the snapshot. `Result` is JSON: a backup's `SkippedEntries` and
    /// `ChangedEntries`, a restore's stats.
    pub struct AgentFinishJobRequest: "AgentFinishJob" -> AgentFinishJobResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        /// COMPLETE, FAILED or CANCELED.
        status: String = "Status" required,
        error_message: Option<String> = "ErrorMessage" bounded(0, 65536),
        result: Option<String> = "Result" bounded(0, 4_194_304),
    }
}

crate::action! {
    /// One object of the job's vault (raw bytes), or `Length` bytes from `Offset`.
    pub struct AgentGetObjectRequest: "AgentGetObject" -> AgentEmptyResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        key: String = "Key" required,
        offset: Option<i64> = "Offset" int_range(0, i64::MAX),
        length: Option<i64> = "Length" int_range(0, i64::MAX),
    }
}

crate::action! {
    /// Stores the body as a pack or index file of the job's vault, after checking it.
    pub struct AgentPutObjectRequest: "AgentPutObject" -> AgentEmptyResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        key: String = "Key" required,
    }
}

crate::action! {
    /// Deletes an index file the job itself wrote.
    pub struct AgentDeleteObjectRequest: "AgentDeleteObject" -> AgentEmptyResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        key: String = "Key" required,
    }
}

crate::action! {
    /// Objects of the job's vault under `Prefix` (`index/`, `snapshots/`, …).
    pub struct AgentListObjectsRequest: "AgentListObjects" -> AgentListObjectsResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        prefix: String = "Prefix" text,
    }
}

/// The actions of `POST /agent`, in the README's order.
pub const AGENT_ACTIONS: &[&str] = &[
    <AgentHeartbeatRequest as crate::api::Action>::NAME,
    <AgentClaimJobRequest as crate::api::Action>::NAME,
    <AgentReportProgressRequest as crate::api::Action>::NAME,
    <AgentFinishJobRequest as crate::api::Action>::NAME,
    <AgentGetObjectRequest as crate::api::Action>::NAME,
    <AgentPutObjectRequest as crate::api::Action>::NAME,
    <AgentDeleteObjectRequest as crate::api::Action>::NAME,
    <AgentListObjectsRequest as crate::api::Action>::NAME,
];
