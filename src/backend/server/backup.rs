//! File backup, restore and verify jobs, and snapshots.
use std::path::{Component, Path, PathBuf};

use crate::api::backup::*;
use crate::api::error as codes;
use crate::api::vault::STATUS_CREATED;
use crate::api::Page;
use crate::backend::catalog::{JobColumn, JobCondition, JobFilter, JobKind, JobOp, JobRow, SnapshotRow, VaultRow};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::jobs::{catalog_snapshot, percent, Outcome};
use crate::backend::state::AppState;
use crate::api::plan::TRIGGER_MANUAL;
use crate::backend::retention::RetentionPolicy;
use crate::api::agent::{AgentJob, JOB_BACKUP, JOB_RESTORE};
use crate::backend::agents;
use crate::backend::storage::{BackupRequest, RestoreRequest, SpeedLimit, StorageError};

use super::clients::mirror_refusal;
use super::vaults::settled_vault;
use super::{new_id, vault_row};

/// The one place that decides whether a vault may receive a backup.
pub(crate) fn check_backup_target(state: &AppState, v: &VaultRow) -> ServerResult<()> {
    if v.is_mirror {
        return Err(mirror_refusal(&v.vault_id));
    }
    check_usable(state, v)
}

/// The vault is initialised and its region reachable.
pub(crate) fn check_usable(state: &AppState, v: &VaultRow) -> ServerResult<()> {
    if v.status != STATUS_CREATED {
        return Err(ServerError::conflict(codes::VAULT_NOT_READY, format!("The vault {} is {}, not CREATED. {}", v.vault_id, v.status, v.status_message)));
    }
    if state.hub.region(&v.region_id).map(|r| r.location.is_offline()).unwrap_or(true) {
        return Err(ServerError::conflict(codes::REGION_UNAVAILABLE, format!("Region {} is unavailable; its vaults cannot be read or written.", v.region_id)));
    }
    Ok(())
}

/// An absolute path without `..`, `.` or NUL.
pub(crate) fn clean_absolute(param: &str, s: &str) -> ServerResult<PathBuf> {
    if s.contains('\0') {
        return Err(ServerError::invalid(param, "NUL characters are not allowed"));
    }
    let p = Path::new(s);
    if !p.is_absolute() {
        return Err(ServerError::invalid(param, format!("{s:?} is not an absolute path")));
    }
    // `components()` drops inner `.` segments, so look at the raw segments too.
    if s.split('/').any(|seg| seg == "." || seg == "..") || p.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Err(ServerError::invalid(param, format!("{s:?} must not contain '.' or '..' components")));
    }
    Ok(p.to_path_buf())
}

pub(crate) fn storage_error(e: StorageError) -> ServerError {
    match e {
        StorageError::Unavailable(m) => ServerError::conflict(codes::REGION_UNAVAILABLE, m),
        StorageError::InvalidPath(m) => ServerError::invalid(CreateRestoreJobRequest::target_path, m),
        StorageError::Exists(m) => ServerError::conflict(codes::TARGET_EXISTS, m),
        other => ServerError::internal(other),
    }
}

pub async fn create_backup_job(state: &AppState, r: CreateBackupJobRequest) -> ServerResult<JobIdResponse> {
    type R = CreateBackupJobRequest;
    let client_id = if r.client_id.is_empty() { r.instance_id } else { r.client_id };
    if client_id.is_empty() {
        return Err(ServerError::missing(R::client_id));
    }
    let retention = RetentionPolicy { days: r.retention.as_deref().map(retention_days).transpose()?, ..Default::default() };
    let speed_limit = r.speed_limit.as_deref().map(|s| SpeedLimit::parse(s).map_err(|e| ServerError::invalid(R::speed_limit, e))).transpose()?;
    // The checks in the order they always ran (start_file_backup repeats the first three).
    let vault = settled_vault(state, &r.vault_id).await?;
    check_backup_target(state, &vault)?;
    file_client(state, &vault.vault_id, &client_id, R::client_id)?;
    if !r.source_type.is_empty() && !is_file_source(&r.source_type) {
        return Err(ServerError::invalid(R::source_type, "only FILE here; SQL Server databases use CreateSqlServerBackupJob"));
    }
    if r.include.is_empty() {
        return Err(ServerError::missing(R::include));
    }
    let spec = FileBackup {
        client_id,
        include: r.include,
        excludes: r.exclude,
        plan_id: String::new(),
        trigger: TRIGGER_MANUAL,
        retention,
        speed_limit,
    };
    let job_id = start_file_backup(state, &r.vault_id, spec).await?;
    Ok(JobIdResponse { job_id })
}

/// A file backup to start: what it reads, who started it, and what its snapshot carries.
#[derive(Clone, Debug)]
pub(crate) struct FileBackup {
    pub client_id: String,
    /// Absolute paths on the backend host (checked by `start_file_backup`).
    pub include: Vec<String>,
    pub excludes: Vec<String>,
    /// The plan that starts it (empty for `CreateBackupJob`).
    pub plan_id: String,
    /// `AUTO` or `MANUAL`.
    pub trigger: &'static str,
    /// Put into the snapshot's manifest meta (`RetentionPolicy::put_into`).
    pub retention: RetentionPolicy,
    pub speed_limit: Option<SpeedLimit>,
}

/// Absolute, clean paths that exist on the backend host (`param` names them in errors).
pub(crate) fn check_include(param: &str, include: &[String]) -> ServerResult<Vec<PathBuf>> {
    include
        .iter()
        .map(|s| {
            let path = clean_absolute(param, s)?;
            if std::fs::symlink_metadata(&path).is_err() {
                return Err(ServerError::invalid(param, format!("{s:?} does not exist on the backend host")));
            }
            Ok(path)
        })
        .collect()
}

/// The paths a backup of `client` reads: on its agent's host (absolute and clean; the backend
/// does not look at them) or, without an agent, on the backend host (they must exist).
pub(crate) fn check_client_paths(client: &crate::backend::catalog::ClientRow, param: &str, include: &[String]) -> ServerResult<Vec<PathBuf>> {
    match agents::has_agent(client) {
        true => include.iter().map(|s| clean_absolute(param, s)).collect(),
        false => check_include(param, include),
    }
}

/// Valid glob patterns.
pub(crate) fn check_excludes(param: &str, excludes: &[String]) -> ServerResult<()> {
    for g in excludes {
        globset::Glob::new(g).map_err(|e| ServerError::invalid(param, e))?;
    }
    Ok(())
}

/// The backup client `client_id`, attached to `vault_id` (404 / 400 otherwise).
pub(crate) fn file_client(state: &AppState, vault_id: &str, client_id: &str, param: &str) -> ServerResult<crate::backend::catalog::ClientRow> {
    let client = state
        .catalog
        .client(client_id)?
        .ok_or_else(|| ServerError::not_found(codes::CLIENT_NOT_FOUND, format!("The backup client {client_id} does not exist.")))?;
    if client.vault_id != vault_id {
        return Err(ServerError::invalid(param, format!("the client {client_id} is attached to {}, not {vault_id}", client.vault_id)));
    }
    Ok(client)
}

/// Starts a file backup into `vault_id` as a job (what `CreateBackupJob` and a plan's runs do):
/// checks the vault, client, paths and excludes, records the job (with its plan and trigger)
/// and runs it. Returns the job id.
pub(crate) async fn start_file_backup(state: &AppState, vault_id: &str, spec: FileBackup) -> ServerResult<String> {
    type R = CreateBackupJobRequest;
    let vault = settled_vault(state, vault_id).await?;
    check_backup_target(state, &vault)?;
    let client_id = spec.client_id;
    let client = file_client(state, &vault.vault_id, &client_id, R::client_id)?;
    // A client with an agent backs up paths on its own host: the backend cannot look at them.
    let remote = agents::has_agent(&client);
    let paths = check_client_paths(&client, R::include, &spec.include)?;
    if paths.is_empty() {
        return Err(ServerError::missing(R::include));
    }
    let excludes = spec.excludes;
    check_excludes(R::exclude, &excludes)?;
    // The demo's own file clients (seeded by `backend::demo`, which records their speed; no
    // other client has one): a backup without a SpeedLimit of its own reads every file again
    // (no parent to skip unchanged ones) at the demo's speed, so that "Back up now" shows a
    // progress bar, a speed and an ETA instead of finishing at once.
    let demo_limit = match (&spec.speed_limit, remote) {
        (None, false) => state.catalog.demo_speed_limit(&client_id)?.map(|s| SpeedLimit::parse(&s).map_err(ServerError::internal)).transpose()?,
        _ => None,
    };
    let parent = match demo_limit {
        Some(_) => None,
        None => state.catalog.latest_snapshot_for_client(&vault.vault_id, &client_id, "FILE")?.map(|s| s.snapshot_id),
    };
    let speed_limit = spec.speed_limit.or(demo_limit);
    let job_id = new_id("job");
    let snapshot_id = new_id("s");
    let mut params = serde_json::json!({"Include": spec.include, "Exclude": excludes});
    if let Some(l) = &speed_limit {
        params["SpeedLimit"] = l.to_wire().into();
    }
    state.catalog.insert_job(JobKind::Backup, &job_id, &vault.vault_id, &client_id, "FILE", "", &params.to_string(), &spec.plan_id, spec.trigger)?;
    let meta = plan_meta(&spec.plan_id, spec.trigger, &spec.retention);
    let st = state.clone();
    let vault_id = vault.vault_id.clone();
    if remote {
        let job = AgentJob {
            job_id: job_id.clone(),
            job_type: JOB_BACKUP.into(),
            vault_id: vault_id.clone(),
            client_id,
            snapshot_id,
            source_type: "FILE".into(),
            paths: spec.include,
            exclude: excludes,
            parent_snapshot_id: parent.unwrap_or_default(),
            meta: meta.to_string(),
            speed_limit: speed_limit.map(|l| l.to_wire()).unwrap_or_default(),
            ..Default::default()
        };
        state.jobs.spawn_remote(state, job_id.clone(), vault_id.clone(), move |progress| async move {
            let repo = st.hub.repo(&vault.region_id, &vault_id).await?;
            let f = agents::run_remote(&st, job, repo.clone(), progress).await?;
            agent_outcome(&st, &vault_id, &repo, f).await
        });
        return Ok(job_id);
    }
    state.jobs.spawn(state, job_id.clone(), vault.vault_id.clone(), move |progress| async move {
        let repo = st.hub.repo(&vault.region_id, &vault_id).await?;
        let req = BackupRequest { snapshot_id, client_id, source_type: "FILE".into(), paths, excludes, parent_snapshot_id: parent, meta };
        let m = repo.backup_limited(req, speed_limit, progress).await?;
        committed(&st, &vault_id, &m, &repo).await;
        Ok(backup_outcome(&m))
    });
    Ok(job_id)
}

/// A committed backup's job outcome: PARTIAL_COMPLETE when entries were skipped or changed.
pub(crate) fn backup_outcome(m: &crate::backend::storage::SnapshotManifest) -> Outcome {
    let partial = !m.skipped.is_empty() || !m.changed.is_empty();
    let result = serde_json::json!({"BytesAdded": m.bytes_added, "SkippedEntries": m.skipped, "ChangedEntries": m.changed});
    Outcome { snapshot_id: Some(m.snapshot_id.clone()), result, error: None, partial }
}

/// How a job an agent ran ends: a committed backup is catalogued as a local one is; a failure
/// keeps the agent's message and results (a restore's failed files).
pub(crate) async fn agent_outcome(st: &AppState, vault_id: &str, repo: &crate::backend::storage::Repo, f: agents::Finished) -> Result<Outcome, StorageError> {
    match f.status.as_str() {
        "CANCELED" => Err(StorageError::Canceled),
        "COMPLETE" => match f.manifest {
            Some(m) => {
                committed(st, vault_id, &m, repo).await;
                Ok(backup_outcome(&m))
            }
            None => Ok(Outcome { snapshot_id: None, result: f.result, error: None, partial: false }),
        },
        _ => {
            Ok(Outcome { snapshot_id: None, error: Some(f.failure()), result: f.result, partial: false })
        }
    }
}

/// The manifest meta a backup starts with: for a plan's run `plan_id` and `trigger`, and the
/// retention policy (the contract with snapshot expiry, `retention::RetentionPolicy`).
pub(crate) fn plan_meta(plan_id: &str, trigger: &str, retention: &RetentionPolicy) -> serde_json::Value {
    let mut meta = serde_json::json!({});
    if !plan_id.is_empty() {
        meta["plan_id"] = plan_id.into();
        meta["trigger"] = trigger.into();
    }
    retention.put_into(&mut meta);
    meta
}

/// `Retention` in days (1..=36500).
fn retention_days(s: &str) -> ServerResult<i64> {
    let days = s.trim().parse::<i64>().map_err(|_| ServerError::invalid(CreateBackupJobRequest::retention, format!("{s:?} is not a number of days")))?;
    crate::backend::retention::policy::check_days(days).map_err(|e| ServerError::invalid(CreateBackupJobRequest::retention, e))
}

/// After a snapshot commits in a vault: catalogue it, refresh the vault's size and wake the
/// replicator, which copies it to the mirror at once (real-time sync); then expire what the
/// vault's retention says is due.
pub(crate) async fn committed(st: &AppState, vault_id: &str, m: &crate::backend::storage::SnapshotManifest, repo: &crate::backend::storage::Repo) {
    if let Err(e) = catalog_snapshot(st, vault_id, m) {
        tracing::error!(%vault_id, %e, "cannot catalogue snapshot");
    }
    st.replicator.wake();
    super::prune::refresh_sizes_of(st, vault_id, repo).await;
    crate::backend::retention::expire_vault(st, vault_id).await;
}

fn progress_of(j: &JobRow) -> JobProgress {
    JobProgress {
        progress: percent(&j.status, j.bytes_done, j.bytes_total),
        status: j.status.clone(),
        bytes_total: j.bytes_total,
        bytes_done: j.bytes_done,
        items_total: j.items_total,
        items_done: j.items_done,
        speed: j.speed,
        error_message: j.error_message.clone(),
        created_time: j.created_time,
        start_time: j.start_time,
        complete_time: j.complete_time,
        updated_time: j.updated_time,
    }
}

/// The keys `Filters` takes, matched case-insensitively.
const FILTER_KEYS: &str = "JobId, PlanId, VaultId, InstanceId, Status, CreatedTime, CompleteTime";
const FILTER_OPERATORS: &str = "EQUAL, NOT_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, BETWEEN, IN";

/// A wire filter as a catalog condition; `None` for a filter without values (no constraint).
/// An unknown key or operator, a value count the operator does not take, or a time that is not
/// an integer is 400 InvalidParameter.
pub(crate) fn job_condition(f: &crate::api::Filter) -> ServerResult<Option<JobCondition>> {
    use rusqlite::types::Value;
    let column = match f.key.to_ascii_lowercase().as_str() {
        "jobid" => JobColumn::JobId,
        "planid" => JobColumn::PlanId,
        "vaultid" => JobColumn::VaultId,
        "instanceid" | "clientid" => JobColumn::ClientId,
        "status" => JobColumn::Status,
        "createdtime" => JobColumn::CreatedTime,
        "completetime" => JobColumn::CompleteTime,
        _ => return Err(ServerError::invalid("Filters.N.Key", format!("unknown key {:?}; expected one of {FILTER_KEYS}", f.key))),
    };
    let op_name = if f.operator.is_empty() { "IN".to_string() } else { f.operator.to_ascii_uppercase() };
    let n = f.values.len();
    let op = match op_name.as_str() {
        "EQUAL" if n > 1 => JobOp::In,
        "NOT_EQUAL" if n > 1 => JobOp::NotIn,
        "EQUAL" => JobOp::Eq,
        "NOT_EQUAL" => JobOp::Ne,
        "GREATER_THAN" => JobOp::Gt,
        "GREATER_THAN_OR_EQUAL" => JobOp::Ge,
        "LESS_THAN" => JobOp::Lt,
        "LESS_THAN_OR_EQUAL" => JobOp::Le,
        "BETWEEN" => JobOp::Between,
        "IN" => JobOp::In,
        _ => return Err(ServerError::invalid("Filters.N.Operator", format!("unknown operator {:?}; expected one of {FILTER_OPERATORS}", f.operator))),
    };
    if n == 0 {
        return Ok(None);
    }
    let wanted = match op {
        JobOp::Between => Some(2),
        JobOp::Gt | JobOp::Ge | JobOp::Lt | JobOp::Le => Some(1),
        _ => None,
    };
    if let Some(w) = wanted {
        if n != w {
            return Err(ServerError::invalid("Filters.N.Values", format!("{op_name} on {} takes {w} value(s), got {n}", f.key)));
        }
    }
    let values = f
        .values
        .iter()
        .map(|v| match column {
            JobColumn::CreatedTime | JobColumn::CompleteTime => v
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .map_err(|_| ServerError::invalid("Filters.N.Values", format!("{} takes UNIX seconds, got {v:?}", f.key))),
            _ => Ok(Value::Text(v.trim().to_string())),
        })
        .collect::<ServerResult<Vec<_>>>()?;
    Ok(Some(JobCondition { column, op, values }))
}

/// `SortDirection`: true for oldest first.
fn ascending(sort: Option<&str>) -> ServerResult<bool> {
    match sort.map(str::to_ascii_uppercase).as_deref() {
        None | Some("DESC") | Some("DESCEND") | Some("DESCENDING") => Ok(false),
        Some("ASC") | Some("ASCEND") | Some("ASCENDING") => Ok(true),
        Some(_) => Err(ServerError::invalid(JobQuery::sort_direction, "expected ASC (ASCEND) or DESC (DESCEND)")),
    }
}

fn list_jobs(state: &AppState, kind: JobKind, q: JobQuery, source_type: Option<&str>) -> ServerResult<(Page, Vec<JobRow>)> {
    let (page_number, page_size) = q.paging.resolve(10);
    let job_id = q.job_id.or(q.restore_id);
    let conditions = q.filters.iter().map(job_condition).filter_map(Result::transpose).collect::<ServerResult<Vec<_>>>()?;
    let source_type = source_type.map(stored_source_type);
    let f = JobFilter {
        job_id: job_id.as_deref(),
        vault_id: q.vault_id.as_deref(),
        client_id: q.client_id.as_deref(),
        status: q.status.as_deref(),
        source_type: source_type.as_deref(),
        conditions,
        ascending: ascending(q.sort_direction.as_deref())?,
    };
    let (total, rows) = state.catalog.list_jobs(kind, &f, page_number, page_size)?;
    Ok((Page { total_count: total, page_number, page_size }, rows))
}

pub fn describe_backup_jobs(state: &AppState, r: DescribeBackupJobsRequest) -> ServerResult<DescribeBackupJobsResponse> {
    let (page, rows) = list_jobs(state, JobKind::Backup, r.query, r.source_type.as_deref())?;
    let backup_job = rows
        .iter()
        .map(|j| {
            let params: serde_json::Value = serde_json::from_str(&j.params).unwrap_or_default();
            let include = params.get("Include").or_else(|| params.get("DatabaseNames")).cloned().unwrap_or_default();
            let result: serde_json::Value = serde_json::from_str(&j.result).unwrap_or_default();
            BackupJob {
                job_id: j.job_id.clone(),
                vault_id: j.vault_id.clone(),
                client_id: j.client_id.clone(),
                instance_id: j.client_id.clone(),
                plan_id: j.plan_id.clone(),
                trigger_mode: j.trigger_mode.clone(),
                source_type: j.source_type.clone(),
                snapshot_id: j.snapshot_id.clone(),
                include: serde_json::from_value(include).unwrap_or_default(),
                skipped_entries: serde_json::from_value(result["SkippedEntries"].clone()).unwrap_or_default(),
                changed_entries: serde_json::from_value(result["ChangedEntries"].clone()).unwrap_or_default(),
                job: progress_of(j),
            }
        })
        .collect();
    Ok(DescribeBackupJobsResponse { page, backup_jobs: BackupJobs { backup_job } })
}

pub fn cancel_job(state: &AppState, r: CancelBackupJobRequest) -> ServerResult<serde_json::Value> {
    let job_id = r.job_id;
    let job = state.catalog.job(&job_id)?.ok_or_else(|| ServerError::not_found(codes::JOB_NOT_FOUND, format!("The job {job_id} does not exist.")))?;
    if !state.jobs.cancel(&job_id) {
        return Err(ServerError::conflict(codes::JOB_NOT_CANCELABLE, format!("The job {job_id} is {} and cannot be canceled.", job.status)));
    }
    Ok(serde_json::json!({}))
}

pub(crate) fn snapshot_wire(s: SnapshotRow) -> Snapshot {
    let meta_str = |k: &str| s.meta.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    Snapshot {
        database_name: meta_str("DatabaseName"),
        backup_type: meta_str("BackupType"),
        cluster_id: meta_str("ClusterId"),
        snapshot_id: s.snapshot_id,
        vault_id: s.vault_id,
        client_id: s.client_id,
        source_type: s.source_type,
        paths: s.paths,
        bytes_total: s.bytes_total,
        bytes_added: s.bytes_added,
        items_total: s.items_total,
        parent_snapshot_id: s.parent_snapshot_id,
        start_time: s.start_time,
        complete_time: s.complete_time,
        status: JOB_COMPLETE.into(),
        retention: s.retention_days,
        expire_time: s.expire_time,
        plan_id: s.plan_id,
    }
}

pub fn describe_snapshots(state: &AppState, r: DescribeSnapshotsRequest) -> ServerResult<DescribeSnapshotsResponse> {
    let vault = vault_row(state, &r.vault_id)?;
    let (page_number, page_size) = r.paging.resolve(50);
    let source_type = r.source_type.as_deref().map(stored_source_type);
    let (total, rows) = state.catalog.snapshot_page(&vault.vault_id, r.client_id.as_deref(), source_type.as_deref(), page_number, page_size)?;
    let snapshot = rows.into_iter().map(snapshot_wire).collect();
    Ok(DescribeSnapshotsResponse { page: Page { total_count: total, page_number, page_size }, snapshots: Snapshots { snapshot } })
}

/// The path a snapshot's absolute path takes under a restore target.
pub(crate) fn rerooted(target: &Path, original: &str) -> PathBuf {
    target.join(original.trim_start_matches('/'))
}

pub async fn create_restore_job(state: &AppState, r: CreateRestoreJobRequest) -> ServerResult<CreateRestoreJobResponse> {
    type R = CreateRestoreJobRequest;
    let vault = settled_vault(state, &r.vault_id).await?;
    check_usable(state, &vault)?;
    let snapshot_id = r.snapshot_id;
    let snap = state
        .catalog
        .snapshot(&vault.vault_id, &snapshot_id)?
        .ok_or_else(|| ServerError::not_found(codes::SNAPSHOT_NOT_FOUND, format!("The snapshot {snapshot_id} is not in the vault {}.", vault.vault_id)))?;
    for (wire, t) in [(R::restore_type, &r.restore_type), (R::source_type, &r.source_type)] {
        if (!t.is_empty() && !is_file_source(t)) || snap.source_type != "FILE" {
            return Err(ServerError::invalid(wire, "file restores take FILE snapshots; SQL Server databases use CreateSqlServerRestore"));
        }
    }
    if !r.exclude.is_empty() {
        return Err(ServerError::invalid(R::exclude, "excluding paths from a restore is not supported yet; name the paths to restore in Include"));
    }
    if let (Some(a), Some(b)) = (&r.client_id, &r.target_instance_id) {
        if a != b {
            return Err(ServerError::invalid(R::client_id, format!("ClientId {a} and TargetInstanceId {b} name different clients")));
        }
    }
    let (target_client, remote) = match r.client_id.as_ref().or(r.target_instance_id.as_ref()) {
        Some(id) => {
            let c = state.catalog.client(id)?.ok_or_else(|| ServerError::not_found(codes::CLIENT_NOT_FOUND, format!("The backup client {id} does not exist.")))?;
            (id.clone(), agents::has_agent(&c))
        }
        None => (String::new(), false),
    };
    let target = clean_absolute(R::target_path, &r.target_path)?;
    let include = r.include;
    for i in &include {
        clean_absolute(R::include, i)?;
    }
    let overwrite = r.overwrite;
    // On an agent's host the agent makes this check (before it writes anything).
    if !overwrite && !remote {
        let roots: Vec<&String> = if include.is_empty() { snap.paths.iter().collect() } else { include.iter().collect() };
        if let Some(existing) = roots.iter().map(|r| rerooted(&target, r)).find(|p| std::fs::symlink_metadata(p).is_ok()) {
            return Err(ServerError::conflict(
                codes::TARGET_EXISTS,
                format!("{} already exists; choose another TargetPath or set Overwrite=true.", existing.display()),
            ));
        }
    }
    let job_id = new_id("r");
    state.catalog.insert_job(JobKind::Restore, &job_id, &vault.vault_id, &target_client, "FILE", &snapshot_id, &serde_json::json!({"TargetPath": target, "Include": include, "Overwrite": overwrite}).to_string(), "", "")?;
    let st = state.clone();
    if remote {
        let job = AgentJob {
            job_id: job_id.clone(),
            job_type: JOB_RESTORE.into(),
            vault_id: vault.vault_id.clone(),
            client_id: target_client,
            snapshot_id,
            source_type: "FILE".into(),
            target_path: target.to_string_lossy().into_owned(),
            include,
            overwrite,
            ..Default::default()
        };
        state.jobs.spawn_remote(state, job_id.clone(), vault.vault_id.clone(), move |progress| async move {
            let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
            let f = agents::run_remote(&st, job, repo.clone(), progress).await?;
            agent_outcome(&st, &vault.vault_id, &repo, f).await
        });
        return Ok(CreateRestoreJobResponse { restore_id: job_id });
    }
    state.jobs.spawn(state, job_id.clone(), vault.vault_id.clone(), move |progress| async move {
        let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
        let stats = repo.restore(RestoreRequest { snapshot_id, target, include, overwrite }, progress).await?;
        let error = (!stats.failed_files.is_empty()).then(|| format!("{} file(s) could not be restored: {}", stats.failed_files.len(), stats.failed_files.join("; ")));
        Ok(Outcome { snapshot_id: None, result: serde_json::to_value(&stats).unwrap_or_default(), error, partial: false })
    });
    Ok(CreateRestoreJobResponse { restore_id: job_id })
}

pub fn describe_restore_jobs(state: &AppState, r: DescribeRestoreJobsRequest) -> ServerResult<DescribeRestoreJobsResponse> {
    let (page, rows) = list_jobs(state, JobKind::Restore, r.query, r.restore_type.as_deref())?;
    let restore_job = rows
        .iter()
        .map(|j| {
            let params: serde_json::Value = serde_json::from_str(&j.params).unwrap_or_default();
            let result: serde_json::Value = serde_json::from_str(&j.result).unwrap_or_default();
            RestoreJob {
                restore_id: j.job_id.clone(),
                vault_id: j.vault_id.clone(),
                snapshot_id: j.snapshot_id.clone(),
                restore_type: j.source_type.clone(),
                target_path: params["TargetPath"].as_str().unwrap_or_default().to_string(),
                target_instance_id: j.client_id.clone(),
                failed_files: serde_json::from_value(result["failed_files"].clone()).unwrap_or_default(),
                metadata_not_applied: serde_json::from_value(result["metadata_not_applied"].clone()).unwrap_or_default(),
                job: progress_of(j),
            }
        })
        .collect();
    Ok(DescribeRestoreJobsResponse { page, restore_jobs: RestoreJobs { restore_job } })
}

pub async fn create_verify_job(state: &AppState, r: CreateVerifyJobRequest) -> ServerResult<JobIdResponse> {
    let vault = settled_vault(state, &r.vault_id).await?;
    check_usable(state, &vault)?;
    let snapshot_id = r.snapshot_id;
    if let Some(s) = &snapshot_id {
        if state.catalog.snapshot(&vault.vault_id, s)?.is_none() {
            return Err(ServerError::not_found(codes::SNAPSHOT_NOT_FOUND, format!("The snapshot {s} is not in the vault {}.", vault.vault_id)));
        }
    }
    let read_data = r.read_data;
    let job_id = new_id("vj");
    state.catalog.insert_job(JobKind::Verify, &job_id, &vault.vault_id, "", "", snapshot_id.as_deref().unwrap_or(""), &serde_json::json!({"ReadData": read_data}).to_string(), "", "")?;
    let st = state.clone();
    state.jobs.spawn(state, job_id.clone(), vault.vault_id.clone(), move |progress| async move {
        st.hub.forget(&vault.vault_id); // re-read the index from the location
        let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
        let report = repo.verify(snapshot_id.as_deref(), read_data, progress).await?;
        Ok(Outcome { snapshot_id: None, result: serde_json::to_value(&report).unwrap_or_default(), error: None, partial: false })
    });
    Ok(JobIdResponse { job_id })
}

pub fn describe_verify_jobs(state: &AppState, r: DescribeVerifyJobsRequest) -> ServerResult<DescribeVerifyJobsResponse> {
    let (page, rows) = list_jobs(state, JobKind::Verify, r.query, None)?;
    let verify_job = rows
        .iter()
        .map(|j| {
            let params: serde_json::Value = serde_json::from_str(&j.params).unwrap_or_default();
            let result: serde_json::Value = serde_json::from_str(&j.result).unwrap_or_default();
            let list = |k: &str| serde_json::from_value::<Vec<String>>(result[k].clone()).unwrap_or_default();
            let mut job = progress_of(j);
            // Verify reports RUNNING or COMPLETE; a failure to run at all is FAILED with its message.
            if job.status == JOB_CREATED {
                job.status = JOB_RUNNING.into();
            }
            VerifyJob {
                job_id: j.job_id.clone(),
                vault_id: j.vault_id.clone(),
                snapshot_id: j.snapshot_id.clone(),
                read_data: params["ReadData"].as_bool().unwrap_or(false),
                damaged_objects: list("damaged_objects"),
                damaged_snapshots: list("damaged_snapshots"),
                damaged_files: list("damaged_files"),
                job,
            }
        })
        .collect();
    Ok(DescribeVerifyJobsResponse { page, verify_jobs: VerifyJobs { verify_job } })
}
