//! File backup, restore and verify jobs, and snapshots.
use serde::{Deserialize, Serialize};

use super::Page;

pub const JOB_CREATED: &str = "CREATED";
pub const JOB_RUNNING: &str = "RUNNING";
pub const JOB_COMPLETE: &str = "COMPLETE";
pub const JOB_FAILED: &str = "FAILED";
pub const JOB_CANCELED: &str = "CANCELED";
/// HBR's status for a backup that ended but left entries out (`SkippedEntries`) or stored
/// files that changed while read (`ChangedEntries`).
pub const JOB_PARTIAL_COMPLETE: &str = "PARTIAL_COMPLETE";

/// Progress fields shared by backup, restore, verify and SQL Server jobs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct JobProgress {
    pub status: String,
    pub progress: i64,
    pub bytes_total: i64,
    pub bytes_done: i64,
    pub items_total: i64,
    pub items_done: i64,
    /// bytes/s
    pub speed: i64,
    pub error_message: String,
    pub created_time: i64,
    pub start_time: i64,
    pub complete_time: i64,
    pub updated_time: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct BackupJob {
    pub job_id: String,
    pub vault_id: String,
    pub client_id: String,
    /// FILE or SQLSERVER.
    pub source_type: String,
    pub snapshot_id: String,
    /// FILE jobs: the `Include` paths; SQL Server jobs: the database names.
    pub include: Vec<String>,
    /// FILE jobs: entries the backup could not read and left out ("path: reason").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_entries: Vec<String>,
    /// FILE jobs: files stored although they changed while read ("path: changed during backup").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_entries: Vec<String>,
    /// The Tea model's name for `ClientId`.
    pub instance_id: String,
    /// The backup plan that started the job; empty for a job started by `CreateBackupJob`.
    pub plan_id: String,
    /// `AUTO` (a plan's schedule) or `MANUAL` (`ExecuteBackupPlan`, `CreateBackupJob`).
    pub trigger_mode: String,
    #[serde(flatten)]
    pub job: JobProgress,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupJobs {
    #[serde(default)]
    pub backup_job: Vec<BackupJob>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupJobsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub backup_jobs: BackupJobs,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobIdResponse {
    pub job_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Snapshot {
    pub snapshot_id: String,
    pub vault_id: String,
    pub client_id: String,
    pub source_type: String,
    pub paths: Vec<String>,
    pub bytes_total: i64,
    pub bytes_added: i64,
    pub items_total: i64,
    pub parent_snapshot_id: String,
    pub start_time: i64,
    pub complete_time: i64,
    pub status: String,
    /// SQL Server snapshots: the database and backup type.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub database_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub backup_type: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster_id: String,
    /// Days the snapshot is kept from its completion (0 = until deleted).
    pub retention: i64,
    /// When expiry removes it, UNIX seconds (0 = never).
    pub expire_time: i64,
    /// The backup plan that made it (empty for a job started by hand).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub plan_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Snapshots {
    #[serde(default)]
    pub snapshot: Vec<Snapshot>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeSnapshotsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub snapshots: Snapshots,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestoreJob {
    pub restore_id: String,
    pub vault_id: String,
    pub snapshot_id: String,
    pub restore_type: String,
    pub target_path: String,
    /// The backup client named by `CreateRestoreJob`'s `TargetInstanceId` (empty without one).
    #[serde(default)]
    pub target_instance_id: String,
    pub failed_files: Vec<String>,
    /// Entries restored without all their metadata, or skipped (sockets; devices when not
    /// privileged): "path: what was not applied and why".
    pub metadata_not_applied: Vec<String>,
    #[serde(flatten)]
    pub job: JobProgress,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreJobs {
    #[serde(default)]
    pub restore_job: Vec<RestoreJob>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeRestoreJobsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub restore_jobs: RestoreJobs,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateRestoreJobResponse {
    pub restore_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct VerifyJob {
    pub job_id: String,
    pub vault_id: String,
    pub snapshot_id: String,
    pub read_data: bool,
    pub damaged_objects: Vec<String>,
    pub damaged_snapshots: Vec<String>,
    pub damaged_files: Vec<String>,
    #[serde(flatten)]
    pub job: JobProgress,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyJobs {
    #[serde(default)]
    pub verify_job: Vec<VerifyJob>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeVerifyJobsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub verify_jobs: VerifyJobs,
}

/// Whether a `SourceType` / `RestoreType` / `ClientType` value means a file backup, matched
/// case-insensitively: ours (`FILE`) and the SDKs' (`File`, `ECS_FILE`). Stored as `FILE`.
pub fn is_file_source(s: &str) -> bool {
    let s = s.trim();
    s.eq_ignore_ascii_case("FILE") || s.eq_ignore_ascii_case("ECS_FILE")
}

/// The stored spelling of a source type a request names: the file aliases become `FILE`,
/// `SQLSERVER` any case; anything else as sent.
pub fn stored_source_type(s: &str) -> String {
    if is_file_source(s) {
        "FILE".into()
    } else if s.trim().eq_ignore_ascii_case("SQLSERVER") {
        "SQLSERVER".into()
    } else {
        s.trim().to_string()
    }
}

// Requests.

crate::param_group! {
    /// The filters of the job lists (`DescribeBackupJobs2`, `DescribeRestoreJobs2`,
    /// `DescribeVerifyJobs`); `restore_id` is `job_id`'s other name.
    pub struct JobQuery {
        paging: crate::api::Paging = "paging" group,
        job_id: Option<String> = "JobId" optional,
        restore_id: Option<String> = "RestoreId" optional,
        vault_id: Option<String> = "VaultId" optional,
        client_id: Option<String> = "ClientId" optional,
        status: Option<String> = "Status" optional,
        /// Keys `JobId`, `PlanId`, `VaultId`, `InstanceId` (the client), `Status`,
        /// `CreatedTime`, `CompleteTime`; operators `EQUAL`, `NOT_EQUAL`, `GREATER_THAN`,
        /// `GREATER_THAN_OR_EQUAL`, `LESS_THAN`, `LESS_THAN_OR_EQUAL`, `BETWEEN`, `IN` (default).
        filters: Vec<crate::api::Filter> = "Filters" filters,
        /// By `CreatedTime`: `DESC`/`DESCEND` (default) or `ASC`/`ASCEND`.
        sort_direction: Option<String> = "SortDirection" optional,
    }
}

crate::action! {
    pub struct CreateBackupJobRequest: "CreateBackupJob" -> JobIdResponse {
        vault_id: String = "VaultId" required,
        /// The backup client; the Tea model names it `InstanceId` (one of the two is required).
        client_id: String = "ClientId" text,
        /// Empty, FILE (any case), File or ECS_FILE.
        source_type: String = "SourceType" text,
        /// Absolute paths on the backend host; at least one.
        include: Vec<String> = "Include" list,
        /// Glob patterns.
        exclude: Vec<String> = "Exclude" list,
        /// The Tea model's name for `ClientId`.
        instance_id: String = "InstanceId" text,
        /// Days the snapshot is kept (1..=36500); absent = kept until deleted. Goes into the
        /// manifest's meta (`RetentionPolicy::put_into`).
        retention: Option<String> = "Retention" optional,
        /// `{startHour}|{endHour}|{KiB/s}` windows (see `storage::rate`): the backup reads no
        /// faster than that in those hours of the backend host's local time.
        speed_limit: Option<String> = "SpeedLimit" optional,
    }
}

crate::action! {
    pub struct DescribeBackupJobsRequest: "DescribeBackupJobs2" -> DescribeBackupJobsResponse {
        query: JobQuery = "query" group,
        /// FILE (any case), File, ECS_FILE or SQLSERVER.
        source_type: Option<String> = "SourceType" optional,
    }
}

crate::action! {
    pub struct CancelBackupJobRequest: "CancelBackupJob" -> serde_json::Value {
        job_id: String = "JobId" required,
    }
}

crate::action! {
    pub struct DescribeSnapshotsRequest: "DescribeSnapshots" -> DescribeSnapshotsResponse {
        vault_id: String = "VaultId" required,
        paging: crate::api::Paging = "paging" group,
        client_id: Option<String> = "ClientId" optional,
        source_type: Option<String> = "SourceType" optional,
    }
}

crate::action! {
    pub struct CreateRestoreJobRequest: "CreateRestoreJob" -> CreateRestoreJobResponse {
        vault_id: String = "VaultId" required,
        snapshot_id: String = "SnapshotId" required,
        /// Empty or FILE.
        restore_type: String = "RestoreType" text,
        /// An absolute directory the snapshot's paths are re-rooted under.
        target_path: String = "TargetPath" required,
        /// Absolute paths inside the snapshot; empty = all.
        include: Vec<String> = "Include" list,
        overwrite: bool = "Overwrite" flag_or(false),
        /// The Tea model's other name for `RestoreType`.
        source_type: String = "SourceType" text,
        /// The backup client (host) to restore on (must exist): a client with an agent restores
        /// on its host; without an agent the job runs in the backend.
        target_instance_id: Option<String> = "TargetInstanceId" optional,
        /// The same as `TargetInstanceId` (this product's name); both given must agree.
        client_id: Option<String> = "ClientId" optional,
        /// Not supported yet: a non-empty list is refused (400), never ignored.
        exclude: Vec<String> = "Exclude" list,
    }
}

crate::action! {
    pub struct DescribeRestoreJobsRequest: "DescribeRestoreJobs2" -> DescribeRestoreJobsResponse {
        query: JobQuery = "query" group,
        /// FILE (any case), File or ECS_FILE.
        restore_type: Option<String> = "RestoreType" optional,
    }
}

crate::action! {
    pub struct CreateVerifyJobRequest: "CreateVerifyJob" -> JobIdResponse {
        vault_id: String = "VaultId" required,
        /// One snapshot, or all of them.
        snapshot_id: Option<String> = "SnapshotId" optional,
        read_data: bool = "ReadData" flag_or(false),
    }
}

crate::action! {
    pub struct DescribeVerifyJobsRequest: "DescribeVerifyJobs" -> DescribeVerifyJobsResponse {
        query: JobQuery = "query" group,
    }
}
