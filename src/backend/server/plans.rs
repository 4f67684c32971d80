//! Backup plans: `CreateBackupPlan`, `DescribeBackupPlans`, `UpdateBackupPlan`,
//! `DeleteBackupPlan`, `EnableBackupPlan`, `DisableBackupPlan`, `ExecuteBackupPlan`, and
//! `run_plan`, which starts one run (for the scheduler in `backend/plans/` and for
//! `ExecuteBackupPlan`) through the same functions as `CreateBackupJob` and
//! `CreateSqlServerBackupJob`.
use crate::api::backup::{is_file_source, JobIdResponse, JOB_CREATED, JOB_FAILED, JOB_RUNNING};
use crate::api::error as codes;
use crate::api::plan::*;
use crate::api::{Filter, Page};
use crate::backend::catalog::{now, JobKind, LogFailure, PlanRow};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::params::Params;
use crate::backend::plans::Schedule;
use crate::backend::retention::policy::{check_days, parse_rules};
use crate::backend::retention::RetentionPolicy;
use crate::backend::state::AppState;
use crate::backend::storage::SpeedLimit;

use super::backup::{check_client_paths, check_excludes, check_include, file_client, start_file_backup, FileBackup};
use super::clients::mirror_refusal;
use super::new_id;
use super::sqlserver::{check_sql_backup, start_sql_backup, SqlBackup};
use super::vaults::settled_vault;

const FILE: &str = "FILE";
const SQLSERVER: &str = "SQLSERVER";

/// Held while a run is checked against the plan's previous run and started, so that the
/// scheduler and `ExecuteBackupPlan` never start two runs of a plan at once.
static STARTING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `FILE` (from `FILE`, `File`, `ECS_FILE`, any case) or `SQLSERVER`; anything else is 400.
fn plan_source_type(s: &str) -> ServerResult<&'static str> {
    if is_file_source(s) {
        Ok(FILE)
    } else if s.trim().eq_ignore_ascii_case(SQLSERVER) {
        Ok(SQLSERVER)
    } else {
        Err(ServerError::invalid(CreateBackupPlanRequest::source_type, format!("{s:?}: plans back up FILE (File, ECS_FILE) or SQLSERVER")))
    }
}

fn parse_schedule(s: &str) -> ServerResult<Schedule> {
    Schedule::parse(s).map_err(|e| ServerError::invalid(CreateBackupPlanRequest::schedule, e))
}

fn parse_speed_limit(s: &str) -> ServerResult<String> {
    if s.trim().is_empty() || s.trim().eq_ignore_ascii_case("NONE") {
        return Ok(String::new());
    }
    let l = SpeedLimit::parse(s).map_err(|e| ServerError::invalid(CreateBackupPlanRequest::speed_limit, e))?;
    Ok(if l.is_unlimited() { String::new() } else { l.to_wire() })
}

fn check_rules(json: &str) -> ServerResult<String> {
    let rules = parse_rules(json).map_err(|e| ServerError::invalid(CreateBackupPlanRequest::retention_rules, e))?;
    serde_json::to_string(&rules).map_err(ServerError::internal)
}

fn check_retention(days: Option<i64>) -> ServerResult<Option<i64>> {
    days.map(|d| check_days(d).map_err(|e| ServerError::invalid(CreateBackupPlanRequest::retention, e))).transpose()
}

/// The retention a plan's snapshots carry.
fn policy_of(p: &PlanRow) -> RetentionPolicy {
    RetentionPolicy { days: p.retention_days, keep_latest: p.keep_latest, rules: parse_rules(&p.retention_rules).unwrap_or_default() }
}

/// `Rule.N.*` would give a plan several schedules and retentions; one of each is supported.
fn refuse_rules(sent: bool) -> ServerResult<()> {
    if sent {
        return Err(ServerError::invalid("Rule", "per-rule schedules and retention (Rule.N.*) are not supported; use Schedule, Retention and RetentionRules"));
    }
    Ok(())
}

fn plan_not_found(plan_id: &str) -> ServerError {
    ServerError::not_found(codes::PLAN_NOT_FOUND, format!("The backup plan {plan_id} does not exist."))
}

/// The plan a request names; 404 when it does not exist or is not in the `VaultId` /
/// `SourceType` the request also names.
fn plan_of(state: &AppState, r: &PlanRef) -> ServerResult<PlanRow> {
    let p = state.catalog.plan(&r.plan_id)?.ok_or_else(|| plan_not_found(&r.plan_id))?;
    if r.vault_id.as_deref().is_some_and(|v| v != p.vault_id) {
        return Err(ServerError::not_found(codes::PLAN_NOT_FOUND, format!("The backup plan {} is not in the vault {}.", r.plan_id, r.vault_id.as_deref().unwrap_or_default())));
    }
    if let Some(st) = &r.source_type {
        if plan_source_type(st)? != p.source_type {
            return Err(ServerError::not_found(codes::PLAN_NOT_FOUND, format!("The backup plan {} backs up {}, not {st}.", r.plan_id, p.source_type)));
        }
    }
    Ok(p)
}

fn name_taken(p: &PlanRow) -> ServerError {
    ServerError::conflict(codes::PLAN_NAME_EXISTS, format!("The vault {} already has a {} plan named {:?}.", p.vault_id, p.source_type, p.plan_name))
}

pub async fn create_plan(state: &AppState, r: CreateBackupPlanRequest) -> ServerResult<CreateBackupPlanResponse> {
    type R = CreateBackupPlanRequest;
    refuse_rules(r.rule)?;
    let source_type = plan_source_type(&r.source_type)?;
    let schedule = parse_schedule(&r.schedule)?;
    let retention_days = check_retention(r.retention)?;
    let retention_rules = check_rules(&r.retention_rules)?;
    let speed_limit = parse_speed_limit(&r.speed_limit)?;
    let vault = settled_vault(state, &r.vault_id).await?;
    if vault.is_mirror {
        return Err(mirror_refusal(&vault.vault_id));
    }
    let (client_id, paths, excludes) = if source_type == FILE {
        if !r.cluster_id.is_empty() || !r.database_names.is_empty() {
            return Err(ServerError::invalid(R::database_names, "ClusterId and DatabaseNames belong to SQLSERVER plans"));
        }
        let client_id = [r.instance_id, r.client_id, r.data_source_id].into_iter().find(|c| !c.is_empty()).ok_or_else(|| ServerError::missing(R::instance_id))?;
        let client = file_client(state, &vault.vault_id, &client_id, R::instance_id)?;
        let paths = if r.path.is_empty() { r.include } else { r.path };
        if paths.is_empty() {
            return Err(ServerError::missing(R::path));
        }
        check_client_paths(&client, R::path, &paths)?;
        check_excludes(R::exclude, &r.exclude)?;
        (client_id, paths, r.exclude)
    } else {
        if !r.path.is_empty() || !r.include.is_empty() || !r.exclude.is_empty() {
            return Err(ServerError::invalid(R::path, "SQLSERVER plans back up DatabaseNames, not paths"));
        }
        if !speed_limit.is_empty() {
            return Err(ServerError::invalid(R::speed_limit, "SpeedLimit applies to file plans only"));
        }
        let cluster_id = [r.cluster_id, r.instance_id, r.client_id, r.data_source_id].into_iter().find(|c| !c.is_empty()).ok_or_else(|| ServerError::missing(R::cluster_id))?;
        let i = check_sql_backup(state, &cluster_id, &r.database_names)?;
        if i.vault_id != vault.vault_id {
            return Err(ServerError::invalid(R::cluster_id, format!("the instance {cluster_id} backs up into {}, not {}", i.vault_id, vault.vault_id)));
        }
        (cluster_id, r.database_names, Vec::new())
    };
    let row = PlanRow {
        plan_id: new_id("plan"),
        plan_name: r.plan_name,
        vault_id: vault.vault_id,
        source_type: source_type.into(),
        client_id,
        paths,
        excludes,
        schedule: r.schedule.trim().to_string(),
        start_time: schedule.start,
        interval_secs: schedule.interval_secs,
        retention_days,
        keep_latest: r.keep_latest_snapshots == Some(1),
        retention_rules,
        speed_limit,
        disabled: r.disabled,
        next_run_time: schedule.next_at_or_after(now()),
        ..PlanRow::default()
    };
    match state.catalog.insert_plan(&row) {
        Err(e) if e.is_constraint() => Err(name_taken(&row)),
        other => other.map_err(ServerError::from),
    }?;
    tracing::info!(plan_id = %row.plan_id, vault_id = %row.vault_id, next_run = row.next_run_time, "backup plan created");
    Ok(CreateBackupPlanResponse { plan_id: row.plan_id })
}

/// A filter's plan field, by its key (any case).
fn filter_field<'a>(p: &'a PlanRow, f: &Filter) -> ServerResult<&'a str> {
    Ok(match f.key.to_ascii_lowercase().as_str() {
        "planid" => &p.plan_id,
        "vaultid" => &p.vault_id,
        "sourcetype" => &p.source_type,
        "planname" => &p.plan_name,
        "instanceid" | "clientid" | "clusterid" => &p.client_id,
        _ => return Err(ServerError::invalid("Filters.N.Key", format!("unknown key {:?}; expected planId, vaultId, sourceType, planName or instanceId", f.key))),
    })
}

fn matches(p: &PlanRow, f: &Filter) -> ServerResult<bool> {
    let field = filter_field(p, f)?;
    let is_source = f.key.eq_ignore_ascii_case("sourcetype");
    Ok(f.values.is_empty() || f.values.iter().any(|v| if is_source { plan_source_type(v).map(|s| s == field).unwrap_or(false) } else { v.trim() == field }))
}

fn plan_wire(state: &AppState, p: PlanRow) -> BackupPlan {
    let latest_status = match p.latest_execute_job_id.as_str() {
        "" => String::new(),
        id => state.catalog.job(id).ok().flatten().map(|j| j.status).unwrap_or_default(),
    };
    let is_sql = p.source_type == SQLSERVER;
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
    BackupPlan {
        instance_id: p.client_id.clone(),
        cluster_id: if is_sql { p.client_id.clone() } else { String::new() },
        database_names: if is_sql { p.paths.clone() } else { Vec::new() },
        paths: PlanPaths { path: if is_sql { Vec::new() } else { p.paths.clone() } },
        include: if is_sql { String::new() } else { json(&p.paths) },
        exclude: json(&p.excludes),
        retention: p.retention_days,
        keep_latest_snapshots: p.keep_latest as i64,
        next_run_time: if p.disabled { 0 } else { p.next_run_time },
        latest_execute_job_status: latest_status,
        plan_id: p.plan_id,
        plan_name: p.plan_name,
        vault_id: p.vault_id,
        source_type: p.source_type,
        client_id: p.client_id,
        schedule: p.schedule,
        retention_rules: p.retention_rules,
        disabled: p.disabled,
        speed_limit: p.speed_limit,
        latest_execute_job_id: p.latest_execute_job_id,
        created_time: p.created_time,
        updated_time: p.updated_time,
    }
}

pub fn describe_plans(state: &AppState, r: DescribeBackupPlansRequest) -> ServerResult<DescribeBackupPlansResponse> {
    let (page_number, page_size) = r.paging.resolve(10);
    let source_type = r.source_type.as_deref().map(plan_source_type).transpose()?;
    let mut rows = Vec::new();
    for p in state.catalog.list_plans()? {
        if source_type.is_some_and(|s| s != p.source_type) {
            continue;
        }
        let mut keep = true;
        for f in &r.filters {
            keep &= matches(&p, f)?;
        }
        if keep {
            rows.push(p);
        }
    }
    let total = rows.len() as i64;
    let backup_plan = rows.into_iter().skip(Params::offset(page_number, page_size)).take(page_size as usize).map(|p| plan_wire(state, p)).collect();
    Ok(DescribeBackupPlansResponse { page: Page { total_count: total, page_number, page_size }, backup_plans: BackupPlans { backup_plan } })
}

pub fn update_plan(state: &AppState, r: UpdateBackupPlanRequest) -> ServerResult<serde_json::Value> {
    type R = UpdateBackupPlanRequest;
    refuse_rules(r.rule)?;
    let mut p = plan_of(state, &r.plan)?;
    if let Some(name) = r.plan_name {
        p.plan_name = name;
    }
    if let Some(s) = &r.schedule {
        let schedule = parse_schedule(s)?;
        p.schedule = s.trim().to_string();
        p.start_time = schedule.start;
        p.interval_secs = schedule.interval_secs;
        p.next_run_time = schedule.next_at_or_after(now());
    }
    if r.retention.is_some() {
        p.retention_days = check_retention(r.retention)?;
    }
    if let Some(k) = r.keep_latest_snapshots {
        p.keep_latest = k == 1;
    }
    if let Some(rules) = &r.retention_rules {
        p.retention_rules = check_rules(rules)?;
    }
    let is_file = p.source_type == FILE;
    let paths = if r.path.is_empty() { r.include } else { r.path };
    if !paths.is_empty() || r.update_paths == Some(true) {
        if !is_file {
            return Err(ServerError::invalid(R::path, "SQLSERVER plans back up DatabaseNames, not paths"));
        }
        if paths.is_empty() {
            return Err(ServerError::invalid(R::path, "a file plan needs at least one path"));
        }
        match state.catalog.client(&p.client_id)? {
            Some(client) => check_client_paths(&client, R::path, &paths)?,
            None => check_include(R::path, &paths)?,
        };
        p.paths = paths;
    }
    if let Some(x) = &r.exclude {
        let excludes = Params::from_pairs([(R::exclude.to_string(), x.clone())]).list(R::exclude)?;
        if !is_file && !excludes.is_empty() {
            return Err(ServerError::invalid(R::exclude, "SQLSERVER plans have no excludes"));
        }
        check_excludes(R::exclude, &excludes)?;
        p.excludes = excludes;
    }
    if let Some(s) = &r.speed_limit {
        let limit = parse_speed_limit(s)?;
        if !is_file && !limit.is_empty() {
            return Err(ServerError::invalid(R::speed_limit, "SpeedLimit applies to file plans only"));
        }
        p.speed_limit = limit;
    }
    if !r.database_names.is_empty() {
        if is_file {
            return Err(ServerError::invalid(R::database_names, "DatabaseNames belong to SQLSERVER plans"));
        }
        check_sql_backup(state, &p.client_id, &r.database_names)?;
        p.paths = r.database_names;
    }
    match state.catalog.update_plan(&p) {
        Err(e) if e.is_constraint() => return Err(name_taken(&p)),
        Ok(false) => return Err(plan_not_found(&p.plan_id)),
        other => other?,
    };
    Ok(serde_json::json!({}))
}

pub fn delete_plan(state: &AppState, r: DeleteBackupPlanRequest) -> ServerResult<serde_json::Value> {
    let p = plan_of(state, &r.plan)?;
    if r.require_no_running_jobs {
        if let Some(job_id) = previous_run_active(state, &p)? {
            return Err(ServerError::conflict(codes::PLAN_JOB_RUNNING, format!("The run {job_id} of the plan {} is still running.", p.plan_id)));
        }
    }
    // Its jobs and snapshots stay: they are history, and the snapshots keep their retention.
    if !state.catalog.delete_plan(&p.plan_id)? {
        return Err(plan_not_found(&p.plan_id));
    }
    tracing::info!(plan_id = %p.plan_id, "backup plan deleted");
    Ok(serde_json::json!({}))
}

fn set_disabled(state: &AppState, r: &PlanRef, disabled: bool) -> ServerResult<serde_json::Value> {
    let p = plan_of(state, r)?;
    // Enabling counts from now: the slots that passed while disabled are not made up.
    let next = Schedule { start: p.start_time, interval_secs: p.interval_secs }.next_at_or_after(now());
    if !state.catalog.set_plan_disabled(&p.plan_id, disabled, next)? {
        return Err(plan_not_found(&p.plan_id));
    }
    Ok(serde_json::json!({}))
}

pub fn enable_plan(state: &AppState, r: EnableBackupPlanRequest) -> ServerResult<serde_json::Value> {
    set_disabled(state, &r.plan, false)
}

pub fn disable_plan(state: &AppState, r: DisableBackupPlanRequest) -> ServerResult<serde_json::Value> {
    set_disabled(state, &r.plan, true)
}

pub async fn execute_plan(state: &AppState, r: ExecuteBackupPlanRequest) -> ServerResult<JobIdResponse> {
    let p = plan_of(state, &r.plan)?;
    let job_id = run_plan(state, &p, TRIGGER_MANUAL).await?;
    Ok(JobIdResponse { job_id })
}

/// The plan's latest run when it has not ended yet.
pub(crate) fn previous_run_active(state: &AppState, p: &PlanRow) -> ServerResult<Option<String>> {
    if p.latest_execute_job_id.is_empty() {
        return Ok(None);
    }
    let job = state.catalog.job(&p.latest_execute_job_id)?;
    Ok(job.filter(|j| j.status == JOB_CREATED || j.status == JOB_RUNNING).map(|j| j.job_id))
}

/// Starts one run of a plan (`AUTO` from the scheduler, `MANUAL` from `ExecuteBackupPlan`):
/// the same backup as `CreateBackupJob` (or `CreateSqlServerBackupJob`), carrying the plan's id,
/// trigger and retention. 409 `PlanJobRunning` while its previous run runs.
pub(crate) async fn run_plan(state: &AppState, p: &PlanRow, trigger: &'static str) -> ServerResult<String> {
    let _one_at_a_time = STARTING.lock().await;
    // Re-read: the latest run may have changed since the caller read the plan.
    let p = state.catalog.plan(&p.plan_id)?.ok_or_else(|| plan_not_found(&p.plan_id))?;
    if let Some(job_id) = previous_run_active(state, &p)? {
        return Err(ServerError::conflict(codes::PLAN_JOB_RUNNING, format!("The previous run {job_id} of the plan {} is still running.", p.plan_id)));
    }
    let job_id = if p.source_type == SQLSERVER {
        let spec = SqlBackup { cluster_id: p.client_id.clone(), database_names: p.paths.clone(), plan_id: p.plan_id.clone(), trigger, retention: policy_of(&p) };
        start_sql_backup(state, spec).await?
    } else {
        let speed_limit = match p.speed_limit.as_str() {
            "" => None,
            s => Some(SpeedLimit::parse(s).map_err(ServerError::internal)?),
        };
        let spec = FileBackup {
            client_id: p.client_id.clone(),
            include: p.paths.clone(),
            excludes: p.excludes.clone(),
            plan_id: p.plan_id.clone(),
            trigger,
            retention: policy_of(&p),
            speed_limit,
        };
        start_file_backup(state, &p.vault_id, spec).await?
    };
    state.catalog.set_plan_latest_job(&p.plan_id, &job_id).or_log_job(&job_id, "plan latest job");
    Ok(job_id)
}

/// A scheduled run that could not start (its client or instance deleted, the region down...)
/// is recorded as a FAILED job of the plan, so the failure shows where its runs are listed.
pub(crate) fn record_failed_run(state: &AppState, p: &PlanRow, trigger: &str, message: &str) {
    let job_id = new_id("job");
    let key = if p.source_type == SQLSERVER { "DatabaseNames" } else { "Include" };
    let params = serde_json::Value::Object([(key.to_string(), serde_json::json!(p.paths))].into_iter().collect()).to_string();
    let recorded = state
        .catalog
        .insert_job(JobKind::Backup, &job_id, &p.vault_id, &p.client_id, &p.source_type, "", &params, &p.plan_id, trigger)
        .and_then(|_| state.catalog.finish_job(&job_id, JOB_FAILED, &format!("The plan's run could not start: {message}"), None, "{}"))
        .and_then(|_| state.catalog.set_plan_latest_job(&p.plan_id, &job_id));
    recorded.or_log_job(&job_id, "failed plan run");
}
