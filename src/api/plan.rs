//! Backup plans: a backup (file paths of a client, or SQL Server databases) run on a schedule
//! `I|{startUnixSeconds}|{ISO 8601 duration}`, with the retention its snapshots get. The wire
//! names are the official SDKs' (`CreateBackupPlan` ... `ExecuteBackupPlan`); `NextRunTime`,
//! `RetentionRules`, `ClusterId` and `DatabaseNames` are the product's.
use serde::{Deserialize, Serialize};

use super::Page;

/// The longest `PlanName`.
pub const PLAN_NAME_MAX: usize = 64;

/// `TriggerMode` of a job a plan's schedule started.
pub const TRIGGER_AUTO: &str = "AUTO";
/// `TriggerMode` of a job started by hand (`ExecuteBackupPlan`, `CreateBackupJob`).
pub const TRIGGER_MANUAL: &str = "MANUAL";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct PlanPaths {
    pub path: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct BackupPlan {
    pub plan_id: String,
    pub plan_name: String,
    pub vault_id: String,
    /// `ECS_FILE` (file plans, the SDKs' spelling) or `SQLSERVER`.
    pub source_type: String,
    /// The backup client (file plans) or the SQL Server instance (`ClusterId`).
    pub client_id: String,
    /// The Tea model's name for `ClientId`.
    pub instance_id: String,
    pub schedule: String,
    /// Days; absent = snapshots are kept until deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<i64>,
    /// 0 or 1.
    pub keep_latest_snapshots: i64,
    /// The long-term rules as JSON (`[{"AdvancedRetentionType","Retention","WhichSnapshot"}]`), `[]` without.
    pub retention_rules: String,
    pub disabled: bool,
    /// File plans: the paths backed up.
    pub paths: PlanPaths,
    /// File plans: the same paths as a JSON list (the Tea model's `Include` string).
    pub include: String,
    /// File plans: the exclude globs as a JSON list.
    pub exclude: String,
    /// `{startHour}|{endHour}|{KiB/s}` windows as given (normalised to `|` between fields, `,` between windows).
    pub speed_limit: String,
    /// SQL Server plans: the instance and the databases.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub database_names: Vec<String>,
    /// The job of the latest run (scheduled or by hand); empty before the first.
    pub latest_execute_job_id: String,
    /// The status of that job (`RUNNING`, `COMPLETE`, `FAILED`, ...); empty before the first.
    pub latest_execute_job_status: String,
    /// When the schedule next starts a run (UNIX seconds); 0 while the plan is disabled.
    pub next_run_time: i64,
    pub created_time: i64,
    pub updated_time: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BackupPlans {
    pub backup_plan: Vec<BackupPlan>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupPlansResponse {
    #[serde(flatten)]
    pub page: Page,
    pub backup_plans: BackupPlans,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupPlanResponse {
    pub plan_id: String,
}

// Requests.

crate::action! {
    pub struct CreateBackupPlanRequest: "CreateBackupPlan" -> CreateBackupPlanResponse {
        vault_id: String = "VaultId" required,
        /// `FILE`, `File`, `ECS_FILE` (any case) or `SQLSERVER`.
        source_type: String = "SourceType" required,
        /// 1..=64 characters, unique per vault and source type.
        plan_name: String = "PlanName" bounded_required(1, PLAN_NAME_MAX),
        /// `I|{startUnixSeconds}|{ISO 8601 duration}`.
        schedule: String = "Schedule" required,
        /// Days, at least 1; absent = kept until deleted.
        retention: Option<i64> = "Retention" int,
        /// 0 or 1.
        keep_latest_snapshots: Option<i64> = "KeepLatestSnapshots" int_range(0, 1),
        /// JSON `[{"AdvancedRetentionType":"DAILY|WEEKLY|MONTHLY|YEARLY","Retention":days,"WhichSnapshot":1}]`.
        retention_rules: String = "RetentionRules" text,
        disabled: bool = "Disabled" flag_or(false),
        /// File plans: the paths (the SDKs flatten the list as `Path.N`).
        path: Vec<String> = "Path" list,
        /// File plans: the paths as a JSON list (used when `Path` is absent).
        include: Vec<String> = "Include" list,
        exclude: Vec<String> = "Exclude" list,
        /// `{startHour}|{endHour}|{KiB/s}` (or `:`-separated), several windows separated by `,` or `|`.
        speed_limit: String = "SpeedLimit" text,
        /// The backup client; also read as `ClientId` or `DataSourceId`.
        instance_id: String = "InstanceId" text,
        client_id: String = "ClientId" text,
        data_source_id: String = "DataSourceId" text,
        /// SQL Server plans: the registered instance and its databases.
        cluster_id: String = "ClusterId" text,
        database_names: Vec<String> = "DatabaseNames" list,
        /// The SDKs' per-rule schedules and retention (`Rule.N.Schedule`, `Rule.N.Retention`, ...):
        /// not supported, so refused (400) rather than ignored.
        rule: bool = "Rule" present,
    }
}

crate::param_group! {
    /// The plan an action names, and the optional checks the SDKs send with it.
    pub struct PlanRef {
        plan_id: String = "PlanId" required,
        /// When given, must be the plan's vault.
        vault_id: Option<String> = "VaultId" optional,
        /// When given, must be the plan's source type (file spellings are one type).
        source_type: Option<String> = "SourceType" optional,
    }
}

crate::action! {
    pub struct DescribeBackupPlansRequest: "DescribeBackupPlans" -> DescribeBackupPlansResponse {
        /// 1..=99 per page, 10 by default.
        paging: crate::api::Paging = "paging" group,
        source_type: Option<String> = "SourceType" optional,
        /// Keys `planId`, `vaultId`, `sourceType`, `planName`, `instanceId` (any case); a plan
        /// matches a filter when its value is one of `Values`.
        filters: Vec<crate::api::Filter> = "Filters" filters,
    }
}

crate::action! {
    pub struct UpdateBackupPlanRequest: "UpdateBackupPlan" -> serde_json::Value {
        plan: PlanRef = "plan" group,
        plan_name: Option<String> = "PlanName" bounded(1, PLAN_NAME_MAX),
        schedule: Option<String> = "Schedule" optional,
        retention: Option<i64> = "Retention" int,
        keep_latest_snapshots: Option<i64> = "KeepLatestSnapshots" int_range(0, 1),
        /// `[]` removes the rules.
        retention_rules: Option<String> = "RetentionRules" optional,
        path: Vec<String> = "Path" list,
        include: Vec<String> = "Include" list,
        /// `[]` removes the excludes.
        exclude: Option<String> = "Exclude" optional,
        /// `0|24|0` (a zero rate) or `NONE` removes the limit.
        speed_limit: Option<String> = "SpeedLimit" optional,
        /// With no `Path`/`Include`: `true` sets the paths to none, which is refused for file plans.
        update_paths: Option<bool> = "UpdatePaths" flag,
        database_names: Vec<String> = "DatabaseNames" list,
        /// Refused (400), as on `CreateBackupPlan`.
        rule: bool = "Rule" present,
    }
}

crate::action! {
    pub struct DeleteBackupPlanRequest: "DeleteBackupPlan" -> serde_json::Value {
        plan: PlanRef = "plan" group,
        /// Refuse (409) while a run of the plan is in progress.
        require_no_running_jobs: bool = "RequireNoRunningJobs" flag_or(false),
    }
}

crate::action! {
    pub struct EnableBackupPlanRequest: "EnableBackupPlan" -> serde_json::Value {
        plan: PlanRef = "plan" group,
    }
}

crate::action! {
    pub struct DisableBackupPlanRequest: "DisableBackupPlan" -> serde_json::Value {
        plan: PlanRef = "plan" group,
    }
}

crate::action! {
    pub struct ExecuteBackupPlanRequest: "ExecuteBackupPlan" -> crate::api::backup::JobIdResponse {
        plan: PlanRef = "plan" group,
    }
}
