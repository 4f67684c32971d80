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
/// A short call on a SQL Server instance the agent reaches (`AgentSql::call`): the answer is the
/// finish call's `Result`. No catalog job; the backend waits for it in the request.
pub const JOB_SQL_CALL: &str = "SQL_CALL";

/// `AgentSql::call` values: a `Precheck`, a list of `DatabaseInfo`, `{"Exists": bool}`.
pub const SQL_CALL_PRECHECK: &str = "PRECHECK";
pub const SQL_CALL_LIST_DATABASES: &str = "LIST_DATABASES";
pub const SQL_CALL_DATABASE_EXISTS: &str = "DATABASE_EXISTS";

/// How the agent reaches a SQL Server instance (the instance's registration; the password is
/// handed over with the claim, as the vault key is, and never stored on the agent).
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentSqlInstance {
    /// TDS or DEMO.
    pub engine: String,
    /// TDS: host,port or host\instance. DEMO: a name (in the agent's data dir) or a directory.
    pub server_name: String,
    pub sql_login: String,
    pub sql_password: String,
    pub use_windows_auth: bool,
    pub trust_server_certificate: bool,
    /// Where `BACKUP DATABASE … TO DISK` writes and a restore stages (empty: the agent's own).
    pub staging_dir: String,
}

impl std::fmt::Debug for AgentSqlInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentSqlInstance").field("engine", &self.engine).field("server_name", &self.server_name).field("sql_login", &self.sql_login).finish_non_exhaustive()
    }
}

/// One database of a SQL Server backup on an agent, and the snapshot id it is committed as.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentSqlDatabase {
    pub name: String,
    pub snapshot_id: String,
}

/// `AgentJob::sql` of the SQL Server jobs (SQL_CALL, SQL_BACKUP, SQL_RESTORE), as JSON.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentSql {
    pub instance: AgentSqlInstance,
    /// The registered instance (a backup's snapshots carry it as their client).
    pub cluster_id: String,
    /// SQL_CALL: PRECHECK, LIST_DATABASES or DATABASE_EXISTS (of `database_name`).
    pub call: String,
    pub database_name: String,
    /// SQL_BACKUP: each database with its snapshot id, in order; one `AgentCommitSnapshot` each.
    pub databases: Vec<AgentSqlDatabase>,
    /// SQL_RESTORE: the snapshot's backup file (its path in the snapshot), the database it
    /// holds, the target, and the row counts recorded at backup for the verification.
    pub artifact_path: String,
    pub source_database_name: String,
    pub target_database_name: String,
    pub replace: bool,
    pub file_destination: String,
    pub expected_row_counts: std::collections::BTreeMap<String, u64>,
}

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
        /// Long poll: with no job waiting, hold the answer up to this many seconds until one is
        /// published (0–25; absent = answer at once).
        wait_seconds: Option<i64> = "WaitSeconds" int_range(0, 25),
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
    /// Commits one database's snapshot of a running SQL_BACKUP: the body is its encoded
    /// manifest, checked as `AgentFinishJob` checks a file backup's (and its `SnapshotId` must
    /// be one the job named for that database).
    pub struct AgentCommitSnapshotRequest: "AgentCommitSnapshot" -> AgentFinishJobResponse {
        client_id: String = "ClientId" required,
        job_id: String = "JobId" required,
        snapshot_id: String = "SnapshotId" required,
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
    <AgentCommitSnapshotRequest as crate::api::Action>::NAME,
    <AgentGetObjectRequest as crate::api::Action>::NAME,
    <AgentPutObjectRequest as crate::api::Action>::NAME,
    <AgentDeleteObjectRequest as crate::api::Action>::NAME,
    <AgentListObjectsRequest as crate::api::Action>::NAME,
];
