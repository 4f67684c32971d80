//! SQL Server actions: instances (on a source or a mirror vault), database backups into the
//! instance's vault, and restores — from a mirror into an instance in the mirror's region,
//! verified, with a disaster-recovery drill report.
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use crate::api::error as codes;
use crate::api::sqlserver::*;
use crate::api::Page;
use crate::backend::catalog::{now, InstanceRow, JobKind, JobRow, SnapshotRow};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::jobs::{percent, Outcome};
use crate::backend::params::{check_bounded, Params};
use crate::api::agent::*;
use crate::backend::agents;
use crate::backend::sqlserver::{drill, ConnectionSpec, Engine, EngineKind, SqlError, VerificationResult};
use crate::backend::state::AppState;
use crate::backend::storage::{BackupRequest, StorageError};

use super::backup::{check_backup_target, check_usable, clean_absolute, committed, plan_meta, snapshot_wire};
use crate::api::plan::TRIGGER_MANUAL;
use crate::backend::retention::RetentionPolicy;
use super::{new_id, vault_row};

const PASSWORD_PURPOSE: &str = "mirrorvault sql password";
pub const SOURCE_SQLSERVER: &str = "SQLSERVER";

fn sql_error(e: SqlError) -> ServerError {
    match e {
        SqlError::InvalidName(m) => ServerError::invalid("DatabaseName", m),
        SqlError::AlreadyExists(m) => ServerError::conflict(codes::DATABASE_EXISTS, m),
        SqlError::NotFound(m) => ServerError::not_found(codes::SQLSERVER_ERROR, m),
        other => ServerError::conflict(codes::SQLSERVER_ERROR, other.to_string()),
    }
}

fn sql_storage(e: SqlError) -> StorageError {
    StorageError::Invalid(e.to_string())
}

/// The connection fields of a request, validated. A DEMO instance lives under the data dir:
/// `ServerName` is a plain name (→ `DATA/sqlserver-demo/<name>`) or an absolute directory inside
/// the data dir (created there if missing; nothing is ever created outside the data dir).
///
/// With `ClientId` the instance is on the agent's host: the paths are the agent's, and nothing is
/// created or looked at here.
fn spec_from(state: &AppState, r: &CreateSqlServerInstanceRequest) -> ServerResult<ConnectionSpec> {
    type R = CreateSqlServerInstanceRequest;
    let engine = if r.engine.is_empty() { ENGINE_TDS } else { r.engine.as_str() };
    let engine: EngineKind = engine.parse().map_err(|_| ServerError::invalid(R::engine, "expected TDS or DEMO"))?;
    let server = r.server_name.clone();
    let data_dir = &state.settings.data_dir;
    let on_agent = !r.client_id.is_empty();
    let server_name = match engine {
        EngineKind::Demo if on_agent && server.starts_with('/') => clean_absolute(R::server_name, &server)?.display().to_string(),
        EngineKind::Demo if on_agent => {
            check_demo_name(&server)?;
            server
        }
        EngineKind::Demo if server.starts_with('/') => {
            let dir = clean_absolute(R::server_name, &server)?;
            if !dir.starts_with(data_dir) {
                return Err(ServerError::invalid(R::server_name, format!("a demo instance directory must be inside the backend's data dir {}", data_dir.display())));
            }
            dir.display().to_string()
        }
        EngineKind::Demo => {
            check_demo_name(&server)?;
            data_dir.join("sqlserver-demo").join(&server).display().to_string()
        }
        EngineKind::Tds => {
            crate::backend::sqlserver::tds::parse_server_name(&server).map_err(|e| ServerError::invalid("ServerName", e))?;
            server
        }
    };
    if engine == EngineKind::Demo && !on_agent {
        std::fs::create_dir_all(&server_name).map_err(|e| ServerError::invalid(R::server_name, format!("cannot create the demo instance directory: {e}")))?;
    }
    let staging_dir = match r.staging_dir.as_str() {
        "" => None,
        s => Some(clean_absolute(R::staging_dir, s)?),
    };
    Ok(ConnectionSpec {
        engine,
        server_name,
        sql_login: r.sql_login.clone(),
        sql_password: r.sql_password.clone(),
        use_windows_auth: r.use_windows_auth,
        trust_server_certificate: r.trust_server_certificate,
        staging_dir,
    })
}

fn check_demo_name(server: &str) -> ServerResult<()> {
    if !server.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ServerError::invalid(
            CreateSqlServerInstanceRequest::server_name,
            "a demo instance is a name of letters, digits, '-' and '_' (or a directory inside the data dir)",
        ));
    }
    Ok(())
}

/// How the agent reaches the instance `spec` describes.
fn agent_instance(spec: &ConnectionSpec) -> AgentSqlInstance {
    AgentSqlInstance {
        engine: spec.engine.as_str().into(),
        server_name: spec.server_name.clone(),
        sql_login: spec.sql_login.clone(),
        sql_password: spec.sql_password.clone(),
        use_windows_auth: spec.use_windows_auth,
        trust_server_certificate: spec.trust_server_certificate,
        staging_dir: spec.staging_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
    }
}

/// How long a request waits for an agent's answer to a call on its instance.
const AGENT_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs `call` on the instance through `client_id`'s agent.
async fn agent_call(state: &AppState, client_id: &str, spec: &ConnectionSpec, cluster_id: &str, call: &str, database: &str) -> Result<Value, String> {
    let sql = AgentSql { instance: agent_instance(spec), cluster_id: cluster_id.into(), call: call.into(), database_name: database.into(), ..Default::default() };
    let job = AgentJob { job_type: JOB_SQL_CALL.into(), client_id: client_id.into(), sql: serde_json::to_string(&sql).unwrap_or_default(), ..Default::default() };
    agents::call(state, job, AGENT_CALL_TIMEOUT).await
}

/// The client named to reach an instance: it exists and has an agent.
fn agent_client(state: &AppState, client_id: &str) -> ServerResult<()> {
    type R = CreateSqlServerInstanceRequest;
    let c = state.catalog.client(client_id)?.ok_or_else(|| ServerError::not_found(codes::CLIENT_NOT_FOUND, format!("The backup client {client_id} does not exist.")))?;
    if !agents::has_agent(&c) {
        return Err(ServerError::invalid(R::client_id, format!("the client {client_id} has no agent: run `mirrorvault agent register --client-id {client_id}` on the SQL Server host first")));
    }
    Ok(())
}

fn spec_of(state: &AppState, i: &InstanceRow) -> ServerResult<ConnectionSpec> {
    let password = if i.sql_password_sealed.is_empty() {
        String::new()
    } else {
        state.hub.open_secret(PASSWORD_PURPOSE, &i.sql_password_sealed).map_err(ServerError::internal)?
    };
    Ok(ConnectionSpec {
        engine: i.engine.parse().map_err(|_| ServerError::internal("bad engine in catalog"))?,
        server_name: i.server_name.clone(),
        sql_login: i.sql_login.clone(),
        sql_password: password,
        use_windows_auth: i.use_windows_auth,
        trust_server_certificate: i.trust_server_certificate,
        staging_dir: (!i.staging_dir.is_empty()).then(|| PathBuf::from(&i.staging_dir)),
    })
}

fn instance_row(state: &AppState, cluster_id: &str) -> ServerResult<InstanceRow> {
    state.catalog.instance(cluster_id)?.ok_or_else(|| ServerError::not_found(codes::INSTANCE_NOT_FOUND, format!("The SQL Server instance {cluster_id} does not exist.")))
}

/// Prechecks the instance where it is reached: by the backend, or by `client_id`'s agent.
async fn precheck_at(state: &AppState, spec: ConnectionSpec, client_id: &str) -> Precheck {
    if client_id.is_empty() {
        return crate::backend::sqlserver::run_precheck(spec).await;
    }
    let kind = spec.engine;
    let failed = |m: String| Precheck { passed: false, engine_label: kind.label().into(), checks: vec![PrecheckItem { name: "agent".into(), passed: false, message: m }], ..Default::default() };
    match agent_call(state, client_id, &spec, "", SQL_CALL_PRECHECK, "").await {
        Ok(v) => serde_json::from_value(v).unwrap_or_else(|e| failed(format!("the agent's precheck answer: {e}"))),
        Err(m) => failed(m),
    }
}

fn instance_wire(i: InstanceRow) -> Instance {
    let kind: EngineKind = i.engine.parse().unwrap_or(EngineKind::Tds);
    Instance {
        cluster_id: i.cluster_id,
        vault_id: i.vault_id,
        region_id: i.region_id,
        server_name: i.server_name,
        instance_name: i.instance_name,
        engine: i.engine,
        engine_label: kind.label().to_string(),
        sql_login: i.sql_login,
        use_windows_auth: i.use_windows_auth,
        status: i.status,
        status_message: i.status_message,
        vault_is_mirror: i.vault_is_mirror,
        created_time: i.created_time,
        client_id: i.client_id,
    }
}

pub async fn create_instance(state: &AppState, r: CreateSqlServerInstanceRequest) -> ServerResult<CreateInstanceResponse> {
    type R = CreateSqlServerInstanceRequest;
    if r.vault_id.is_empty() {
        return Err(ServerError::missing(R::vault_id));
    }
    let vault = vault_row(state, &r.vault_id)?;
    check_usable(state, &vault)?;
    if !r.client_id.is_empty() {
        agent_client(state, &r.client_id)?;
    }
    let spec = spec_from(state, &r)?;
    let check = precheck_at(state, spec.clone(), &r.client_id).await;
    let (status, message) = if check.passed {
        ("ONLINE", String::new())
    } else {
        ("UNREACHABLE", check.checks.iter().filter(|c| !c.passed).map(|c| format!("{}: {}", c.name, c.message)).collect::<Vec<_>>().join("; "))
    };
    check_bounded(R::instance_name, &r.instance_name, 0, 128)?;
    let instance_name = r.instance_name;
    let sealed = if spec.sql_password.is_empty() { String::new() } else { state.hub.seal_secret(PASSWORD_PURPOSE, &spec.sql_password).map_err(ServerError::internal)? };
    let cluster_id = new_id("cl");
    state.catalog.insert_instance(&InstanceRow {
        cluster_id: cluster_id.clone(),
        vault_id: vault.vault_id.clone(),
        server_name: spec.server_name.clone(),
        instance_name,
        engine: spec.engine.as_str().to_string(),
        sql_login: spec.sql_login.clone(),
        sql_password_sealed: sealed,
        use_windows_auth: spec.use_windows_auth,
        trust_server_certificate: spec.trust_server_certificate,
        staging_dir: spec.staging_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
        status: status.into(),
        status_message: message,
        client_id: r.client_id.clone(),
        ..Default::default()
    })?;
    tracing::info!(%cluster_id, vault = %vault.vault_id, engine = spec.engine.as_str(), client_id = %r.client_id, "SQL Server instance registered");
    Ok(CreateInstanceResponse { cluster_id, status: status.into(), precheck: check })
}

pub fn describe_instances(state: &AppState, r: DescribeSqlServerInstancesRequest) -> ServerResult<DescribeInstancesResponse> {
    let (page_number, page_size) = r.paging.resolve(50);
    let mut rows = state.catalog.list_instances(r.vault_id.as_deref())?;
    if let Some(c) = r.cluster_id {
        rows.retain(|i| i.cluster_id == c);
    }
    if let Some(region) = r.region_id {
        rows.retain(|i| i.region_id == region);
    }
    let total = rows.len() as i64;
    let instance = rows.into_iter().skip(Params::offset(page_number, page_size)).take(page_size as usize).map(instance_wire).collect();
    Ok(DescribeInstancesResponse { page: Page { total_count: total, page_number, page_size }, instances: Instances { instance } })
}

pub fn delete_instance(state: &AppState, r: DeleteSqlServerInstanceRequest) -> ServerResult<Value> {
    let cluster_id = r.cluster_id;
    if state.catalog.delete_instance(&cluster_id)? == 0 {
        return Err(ServerError::not_found(codes::INSTANCE_NOT_FOUND, format!("The SQL Server instance {cluster_id} does not exist.")));
    }
    Ok(serde_json::json!({}))
}

/// Prechecks a registered instance (`ClusterId`) or connection fields before registering.
pub async fn precheck(state: &AppState, r: PrecheckSqlServerInstanceRequest) -> ServerResult<PrecheckResponse> {
    let check = match (r.cluster_id, r.instance) {
        (Some(id), _) => {
            let i = instance_row(state, &id)?;
            let check = precheck_at(state, spec_of(state, &i)?, &i.client_id).await;
            let msg = check.checks.iter().filter(|c| !c.passed).map(|c| format!("{}: {}", c.name, c.message)).collect::<Vec<_>>().join("; ");
            state.catalog.set_instance_status(&id, if check.passed { "ONLINE" } else { "UNREACHABLE" }, &msg)?;
            check
        }
        (None, Some(instance)) => {
            if !instance.client_id.is_empty() {
                agent_client(state, &instance.client_id)?;
            }
            precheck_at(state, spec_from(state, &instance)?, &instance.client_id).await
        }
        // `instance` is read whenever `cluster_id` is absent.
        (None, None) => return Err(ServerError::internal("a precheck request without ClusterId has no connection fields")),
    };
    Ok(PrecheckResponse { precheck: check })
}

pub async fn describe_databases(state: &AppState, r: DescribeSqlServerDatabasesRequest) -> ServerResult<DescribeDatabasesResponse> {
    let i = instance_row(state, &r.cluster_id)?;
    let list = if i.client_id.is_empty() {
        let engine = Engine::connect(spec_of(state, &i)?).map_err(sql_error)?;
        engine.list_databases().await.map_err(sql_error)?
    } else {
        let v = agent_call(state, &i.client_id, &spec_of(state, &i)?, &i.cluster_id, SQL_CALL_LIST_DATABASES, "").await.map_err(|m| ServerError::conflict(codes::SQLSERVER_ERROR, format!("Through the agent: {m}")))?;
        serde_json::from_value::<Vec<crate::backend::sqlserver::DatabaseInfo>>(v).map_err(|e| ServerError::conflict(codes::SQLSERVER_ERROR, format!("the agent's database list: {e}")))?
    };
    let database: Vec<Database> = list
        .into_iter()
        .map(|d| Database { database_name: d.name, size_bytes: d.size_bytes as i64, status: d.status, ..Default::default() })
        .collect();
    let n = database.len() as i64;
    Ok(DescribeDatabasesResponse { page: Page { total_count: n, page_number: 1, page_size: n.max(1) }, databases: Databases { database } })
}

pub async fn create_backup_job(state: &AppState, r: CreateSqlServerBackupJobRequest) -> ServerResult<crate::api::backup::JobIdResponse> {
    let spec = SqlBackup { cluster_id: r.cluster_id, database_names: r.database_names, plan_id: String::new(), trigger: TRIGGER_MANUAL, retention: RetentionPolicy::default() };
    let job_id = start_sql_backup(state, spec).await?;
    Ok(crate::api::backup::JobIdResponse { job_id })
}

/// A SQL Server backup to start: the instance, its databases, who started it and the
/// retention its snapshots carry.
#[derive(Clone, Debug)]
pub(crate) struct SqlBackup {
    pub cluster_id: String,
    pub database_names: Vec<String>,
    /// The plan that starts it (empty for `CreateSqlServerBackupJob`).
    pub plan_id: String,
    pub trigger: &'static str,
    pub retention: RetentionPolicy,
}

/// The instance `cluster_id` and checked database names (what a SQL Server backup of them needs).
pub(crate) fn check_sql_backup(state: &AppState, cluster_id: &str, names: &[String]) -> ServerResult<InstanceRow> {
    let i = instance_row(state, cluster_id)?;
    if names.is_empty() {
        return Err(ServerError::missing(CreateSqlServerBackupJobRequest::database_names));
    }
    for n in names {
        crate::backend::sqlserver::validate_name(n, i.engine == ENGINE_DEMO).map_err(sql_error)?;
    }
    Ok(i)
}

/// Starts a SQL Server backup job (`CreateSqlServerBackupJob` and a SQL Server plan's runs):
/// one snapshot per database. Returns the job id.
pub(crate) async fn start_sql_backup(state: &AppState, b: SqlBackup) -> ServerResult<String> {
    let i = instance_row(state, &b.cluster_id)?;
    let vault = vault_row(state, &i.vault_id)?;
    check_backup_target(state, &vault)?;
    let names = b.database_names;
    if names.is_empty() {
        return Err(ServerError::missing(CreateSqlServerBackupJobRequest::database_names));
    }
    for n in &names {
        crate::backend::sqlserver::validate_name(n, i.engine == ENGINE_DEMO).map_err(sql_error)?;
    }
    let spec = spec_of(state, &i)?;
    let job_id = new_id("job");
    // The instance, vault and plan fields every database's snapshot carries.
    let fixed = with_meta(
        &plan_meta(&b.plan_id, b.trigger, &b.retention),
        serde_json::json!({
            "ClusterId": i.cluster_id,
            "ServerName": i.server_name,
            "Engine": i.engine,
            "SourceVaultId": vault.vault_id,
            "SourceRegionId": vault.region_id,
        }),
    );
    if !i.client_id.is_empty() {
        // On the agent: BACKUP DATABASE into its staging, chunks uploaded, one commit each.
        state.catalog.insert_job(JobKind::Backup, &job_id, &vault.vault_id, &i.cluster_id, SOURCE_SQLSERVER, "", &serde_json::json!({"DatabaseNames": names}).to_string(), &b.plan_id, b.trigger)?;
        let databases: Vec<AgentSqlDatabase> = names.iter().map(|n| AgentSqlDatabase { name: n.clone(), snapshot_id: new_id("s") }).collect();
        let sql = AgentSql { instance: agent_instance(&spec), cluster_id: i.cluster_id.clone(), databases: databases.clone(), ..Default::default() };
        let job = AgentJob {
            job_id: job_id.clone(),
            job_type: JOB_SQL_BACKUP.into(),
            vault_id: vault.vault_id.clone(),
            client_id: i.client_id.clone(),
            source_type: SOURCE_SQLSERVER.into(),
            meta: fixed.to_string(),
            sql: serde_json::to_string(&sql).map_err(ServerError::internal)?,
            ..Default::default()
        };
        let st = state.clone();
        state.jobs.spawn_remote(state, job_id.clone(), vault.vault_id.clone(), move |progress| async move {
            let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
            let f = agents::run_remote(&st, job, repo.clone(), progress).await?;
            sql_backup_outcome(&st, &vault.vault_id, &databases, f)
        });
        return Ok(job_id);
    }
    let staging_root = match &spec.staging_dir {
        Some(d) => d.clone(),
        None if spec.engine == EngineKind::Demo => state.settings.data_dir.join("staging"),
        None => return Err(ServerError::conflict(codes::SQLSERVER_ERROR, "The instance has no StagingDir shared with the backend; register it with one (or reach it through an agent, ClientId).")),
    };
    state.catalog.insert_job(JobKind::Backup, &job_id, &vault.vault_id, &i.cluster_id, SOURCE_SQLSERVER, "", &serde_json::json!({"DatabaseNames": names}).to_string(), &b.plan_id, b.trigger)?;
    let st = state.clone();
    let jid = job_id.clone();
    state.jobs.spawn(state, job_id.clone(), vault.vault_id.clone(), move |progress| async move {
        let engine = Engine::connect(spec).map_err(sql_storage)?;
        let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
        let staging = staging_root.join(&jid);
        std::fs::create_dir_all(&staging)?;
        let mut last = None;
        for name in &names {
            let artifact = engine.backup_database(name, &staging).await.map_err(sql_storage)?;
            let req = BackupRequest {
                snapshot_id: new_id("s"),
                client_id: i.cluster_id.clone(),
                source_type: SOURCE_SQLSERVER.into(),
                paths: vec![artifact.file.clone()],
                excludes: vec![],
                parent_snapshot_id: None,
                meta: drill::database_meta(&fixed, name, &artifact),
            };
            let m = repo.backup(req, progress.clone()).await;
            let _ = std::fs::remove_file(&artifact.file);
            let m = m?;
            progress.next_step();
            committed(&st, &vault.vault_id, &m, &repo).await;
            last = Some(m.snapshot_id);
        }
        let _ = std::fs::remove_dir_all(&staging);
        Ok(Outcome { snapshot_id: last, result: serde_json::json!({}), error: None, partial: false })
    });
    Ok(job_id)
}

/// How a SQL Server backup on an agent ends: COMPLETE only when every database's snapshot was
/// committed (`AgentCommitSnapshot` catalogued each as it came).
fn sql_backup_outcome(st: &AppState, vault_id: &str, databases: &[AgentSqlDatabase], f: agents::Finished) -> Result<Outcome, StorageError> {
    let mut last = None;
    let mut missing = vec![];
    for d in databases {
        match st.catalog.snapshot(vault_id, &d.snapshot_id).map_err(|e| StorageError::Internal(e.to_string()))? {
            Some(_) => last = Some(d.snapshot_id.clone()),
            None => missing.push(d.name.clone()),
        }
    }
    match f.status.as_str() {
        "CANCELED" => Err(StorageError::Canceled),
        "COMPLETE" if missing.is_empty() => Ok(Outcome { snapshot_id: last, result: f.result, error: None, partial: false }),
        "COMPLETE" => Ok(Outcome { snapshot_id: last, result: f.result, error: Some(format!("The agent finished without committing the backup of {}.", missing.join(", "))), partial: false }),
        _ => {
            Ok(Outcome { snapshot_id: last, error: Some(f.failure()), result: f.result, partial: false })
        }
    }
}

/// `fields` with the keys of `base` (a plan's meta) added.
fn with_meta(base: &Value, mut fields: Value) -> Value {
    if let (Some(b), Some(f)) = (base.as_object(), fields.as_object_mut()) {
        for (k, v) in b {
            f.insert(k.clone(), v.clone());
        }
    }
    fields
}

fn sql_snapshots(state: &AppState, vault_id: &str) -> ServerResult<Vec<SnapshotRow>> {
    Ok(state.catalog.list_snapshots(vault_id, None, Some(SOURCE_SQLSERVER))?)
}

fn meta_str(s: &SnapshotRow, k: &str) -> String {
    s.meta.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

pub fn describe_snapshots(state: &AppState, r: DescribeSqlServerSnapshotsRequest) -> ServerResult<crate::api::backup::DescribeSnapshotsResponse> {
    let vault = vault_row(state, &r.vault_id)?;
    let (cluster, db) = (r.cluster_id, r.database_name);
    let (start, end) = (r.start_time.unwrap_or(0), r.end_time.unwrap_or(i64::MAX));
    let (page_number, page_size) = r.paging.resolve(50);
    let mut rows: Vec<SnapshotRow> = sql_snapshots(state, &vault.vault_id)?
        .into_iter()
        .filter(|s| cluster.as_deref().map(|c| meta_str(s, "ClusterId") == c).unwrap_or(true))
        .filter(|s| db.as_deref().map(|d| meta_str(s, "DatabaseName") == d).unwrap_or(true))
        .filter(|s| s.complete_time >= start && s.complete_time <= end)
        .collect();
    rows.reverse();
    let total = rows.len() as i64;
    let snapshot = rows
        .into_iter()
        .skip(Params::offset(page_number, page_size))
        .take(page_size as usize)
        .map(snapshot_wire)
        .collect();
    Ok(crate::api::backup::DescribeSnapshotsResponse { page: Page { total_count: total, page_number, page_size }, snapshots: crate::api::backup::Snapshots { snapshot } })
}

/// The source instances that have backups in `VaultId` (for a mirror: the copies' sources).
pub fn servers_to_restore(state: &AppState, r: GetSqlServersToRestoreRequest) -> ServerResult<DescribeInstancesResponse> {
    let vault = vault_row(state, &r.vault_id)?;
    let mut seen = BTreeMap::new();
    for s in sql_snapshots(state, &vault.vault_id)? {
        let id = meta_str(&s, "ClusterId");
        let known = state.catalog.instance(&id)?.map(instance_wire);
        seen.entry(id.clone()).or_insert_with(|| {
            known.unwrap_or(Instance {
                cluster_id: id,
                server_name: meta_str(&s, "ServerName"),
                engine: meta_str(&s, "Engine"),
                engine_label: meta_str(&s, "Engine").parse::<EngineKind>().map(|k| k.label().to_string()).unwrap_or_default(),
                region_id: meta_str(&s, "SourceRegionId"),
                vault_id: meta_str(&s, "SourceVaultId"),
                status: "REMOTE".into(),
                ..Default::default()
            })
        });
    }
    let instance: Vec<Instance> = seen.into_values().collect();
    let n = instance.len() as i64;
    Ok(DescribeInstancesResponse { page: Page { total_count: n, page_number: 1, page_size: n.max(1) }, instances: Instances { instance } })
}

pub fn databases_to_restore(state: &AppState, r: GetSqlServerDatabasesToRestoreRequest) -> ServerResult<DescribeDatabasesResponse> {
    let vault = vault_row(state, &r.vault_id)?;
    let cluster = r.cluster_id;
    let mut by_db: BTreeMap<String, Database> = BTreeMap::new();
    for s in sql_snapshots(state, &vault.vault_id)?.into_iter().filter(|s| meta_str(s, "ClusterId") == cluster) {
        let d = by_db.entry(meta_str(&s, "DatabaseName")).or_insert_with(|| Database { database_name: meta_str(&s, "DatabaseName"), status: "BACKED_UP".into(), ..Default::default() });
        d.snapshot_count += 1;
        d.latest_backup_time = d.latest_backup_time.max(s.complete_time);
        d.size_bytes = s.bytes_total;
    }
    let database: Vec<Database> = by_db.into_values().collect();
    let n = database.len() as i64;
    Ok(DescribeDatabasesResponse { page: Page { total_count: n, page_number: 1, page_size: n.max(1) }, databases: Databases { database } })
}

pub async fn create_restore(state: &AppState, r: CreateSqlServerRestoreRequest) -> ServerResult<CreateRestoreResponse> {
    type R = CreateSqlServerRestoreRequest;
    let text = |s: String| (!s.is_empty()).then_some(s);
    let vault = vault_row(state, &r.vault_id)?;
    check_usable(state, &vault)?;
    let target = instance_row(state, &r.cluster_id)?;
    if vault.is_mirror && target.region_id != vault.region_id {
        return Err(ServerError::conflict(
            codes::WRONG_REGION,
            format!("Restoring from the mirror vault {} (in {}) needs an instance registered in {}; {} is in {}.", vault.vault_id, vault.region_id, vault.region_id, target.cluster_id, target.region_id),
        ));
    }
    let source_db = text(r.source_database_name);
    let source_cluster = text(r.source_cluster_id);
    let snaps = sql_snapshots(state, &vault.vault_id)?;
    let snap = match (text(r.snapshot_id), r.point_in_time) {
        (Some(id), _) => snaps.into_iter().find(|s| s.snapshot_id == id),
        // Full backups only: the newest backup point at or before the requested time.
        (None, Some(t)) => snaps
            .into_iter()
            .filter(|s| s.complete_time <= t)
            .filter(|s| source_db.as_deref().map(|d| meta_str(s, "DatabaseName") == d).unwrap_or(true))
            .filter(|s| source_cluster.as_deref().map(|c| meta_str(s, "ClusterId") == c).unwrap_or(true))
            .last(),
        (None, None) => return Err(ServerError::missing(R::snapshot_id)),
    }
    .ok_or_else(|| ServerError::not_found(codes::SNAPSHOT_NOT_FOUND, format!("No SQL Server backup point matches in the vault {}.", vault.vault_id)))?;
    let db = meta_str(&snap, "DatabaseName");
    if let Some(d) = &source_db {
        if *d != db {
            return Err(ServerError::invalid(R::source_database_name, format!("the snapshot {} holds {db}, not {d}", snap.snapshot_id)));
        }
    }
    let target_db = text(r.target_database_name).unwrap_or_else(|| db.clone());
    crate::backend::sqlserver::validate_name(&target_db, target.engine == ENGINE_DEMO).map_err(sql_error)?;
    let replace = r.replace_database;
    let file_destination = match text(r.file_destination) {
        Some(f) => Some(clean_absolute(R::file_destination, &f)?),
        None => None,
    };
    let spec = spec_of(state, &target)?;
    let on_agent = !target.client_id.is_empty();
    let engine = match on_agent {
        false => Some(Engine::connect(spec.clone()).map_err(sql_error)?),
        true => None,
    };
    let exists = match &engine {
        Some(e) if !replace => e.database_exists(&target_db).await.map_err(sql_error)?,
        // An offline agent checks when it runs the job (its restore refuses an existing database).
        None if !replace && agents::online(state, &target.client_id) => {
            let v = agent_call(state, &target.client_id, &spec, &target.cluster_id, SQL_CALL_DATABASE_EXISTS, &target_db)
                .await
                .map_err(|m| ServerError::conflict(codes::SQLSERVER_ERROR, format!("Through the agent: {m}")))?;
            v.get("Exists").and_then(Value::as_bool).unwrap_or(false)
        }
        _ => false,
    };
    if exists {
        return Err(ServerError::conflict(
            codes::DATABASE_EXISTS,
            format!("The database {target_db} already exists on {}; set ReplaceDatabase=true to overwrite it, or choose another name.", target.server_name),
        ));
    }
    let restore_id = new_id("rs");
    let lag_at_start = vault.repl.lag_seconds;
    let params = serde_json::json!({
        "SourceClusterId": meta_str(&snap, "ClusterId"), "SourceDatabaseName": db, "ClusterId": target.cluster_id,
        "TargetDatabaseName": target_db, "ReplaceDatabase": replace, "FileDestination": file_destination,
    });
    state.catalog.insert_job(JobKind::SqlRestore, &restore_id, &vault.vault_id, &target.cluster_id, SOURCE_SQLSERVER, &snap.snapshot_id, &params.to_string(), "", "")?;
    let drill = drill::DrillRestore {
        snapshot_id: snap.snapshot_id.clone(),
        artifact_path: snap.paths.first().cloned().unwrap_or_default(),
        source_database: db.clone(),
        target_database: target_db.clone(),
        replace,
        file_destination,
        expected_row_counts: serde_json::from_value(snap.meta.get("RowCounts").cloned().unwrap_or_default()).unwrap_or_default(),
    };
    let report = DrillReport {
        restore_id: restore_id.clone(),
        source_vault_id: meta_str(&snap, "SourceVaultId"),
        source_region_id: meta_str(&snap, "SourceRegionId"),
        restore_vault_id: vault.vault_id.clone(),
        restore_region_id: vault.region_id.clone(),
        restored_from_mirror: vault.is_mirror,
        source_cluster_id: meta_str(&snap, "ClusterId"),
        source_database_name: db.clone(),
        target_cluster_id: target.cluster_id.clone(),
        target_server_name: target.server_name.clone(),
        target_engine_label: spec.engine.label().to_string(),
        target_database_name: target_db.clone(),
        snapshot_id: snap.snapshot_id.clone(),
        backup_point_time: snap.complete_time,
        mirror_lag_seconds_at_start: lag_at_start,
        ..Default::default()
    };
    let st = state.clone();
    let rid = restore_id.clone();
    let Some(engine) = engine else {
        // On the agent's host: read back, RESTORE … WITH MOVE and the verification run there.
        let sql = AgentSql {
            instance: agent_instance(&spec),
            cluster_id: target.cluster_id.clone(),
            artifact_path: drill.artifact_path.clone(),
            source_database_name: drill.source_database.clone(),
            target_database_name: drill.target_database.clone(),
            replace,
            file_destination: drill.file_destination.as_ref().map(|d| d.display().to_string()).unwrap_or_default(),
            expected_row_counts: drill.expected_row_counts.clone(),
            ..Default::default()
        };
        let job = AgentJob {
            job_id: restore_id.clone(),
            job_type: JOB_SQL_RESTORE.into(),
            vault_id: vault.vault_id.clone(),
            client_id: target.client_id.clone(),
            snapshot_id: snap.snapshot_id.clone(),
            source_type: SOURCE_SQLSERVER.into(),
            sql: serde_json::to_string(&sql).map_err(ServerError::internal)?,
            ..Default::default()
        };
        state.jobs.spawn_remote(state, restore_id.clone(), vault.vault_id.clone(), move |progress| async move {
            let started = now();
            let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
            let f = agents::run_remote(&st, job, repo, progress).await?;
            let result = match f.status.as_str() {
                "CANCELED" => return Err(StorageError::Canceled),
                "COMPLETE" => agent_drill_result(&f.result),
                _ => Err(f.failure()),
            };
            Ok(drill_outcome(report, started, result))
        });
        return Ok(CreateRestoreResponse { restore_id });
    };
    state.jobs.spawn(state, restore_id.clone(), vault.vault_id.clone(), move |progress| async move {
        let started = now();
        let repo = st.hub.repo(&vault.region_id, &vault.vault_id).await?;
        let staging = st.settings.data_dir.join("staging").join(&rid);
        let result = drill::restore_and_verify(&repo, &engine, &drill, &staging, progress).await;
        Ok(drill_outcome(report, started, result.map(|(stats, v)| (stats.bytes_restored, v)).map_err(|e| e.to_string())))
    });
    Ok(CreateRestoreResponse { restore_id })
}

/// What an agent's COMPLETE restore drill answered: the bytes read back and the verification.
fn agent_drill_result(result: &Value) -> Result<(u64, VerificationResult), String> {
    let bytes = result.get("Stats").and_then(|s| s.get("bytes_restored")).and_then(Value::as_u64).unwrap_or(0);
    let v = result.get("Verification").cloned().ok_or_else(|| "the agent's answer has no verification".to_string())?;
    let v: VerificationResult = serde_json::from_value(v).map_err(|e| format!("the agent's verification: {e}"))?;
    Ok((bytes, v))
}

/// A restore drill's job outcome: the report, completed with the result (FAILED when the
/// restore failed or the restored database did not verify).
fn drill_outcome(mut report: DrillReport, started: i64, result: Result<(u64, VerificationResult), String>) -> Outcome {
    report.drill_start_time = started;
    report.rpo_seconds = (started - report.backup_point_time).max(0);
    let error = match result {
        Ok((bytes, v)) => {
            report.bytes_moved = bytes as i64;
            report.verification = Verification {
                integrity_ok: v.integrity_ok,
                integrity_message: v.integrity_message.clone(),
                row_counts_match: v.row_counts_match,
                expected_row_counts: v.expected.clone(),
                actual_row_counts: v.actual.clone(),
            };
            (!v.passed()).then(|| format!("The restored database failed verification: integrity {}, row counts {}.", v.integrity_message, if v.row_counts_match { "match" } else { "differ" }))
        }
        Err(e) => Some(e),
    };
    report.drill_end_time = now();
    report.rto_seconds = report.drill_end_time - started;
    if let Some(e) = &error {
        report.errors.push(e.clone());
    }
    Outcome { snapshot_id: None, result: serde_json::json!({ "Report": report }), error, partial: false }
}

fn restore_wire(j: &JobRow) -> Restore {
    let params: Value = serde_json::from_str(&j.params).unwrap_or_default();
    let result: Value = serde_json::from_str(&j.result).unwrap_or_default();
    let report: Option<DrillReport> = result.get("Report").and_then(|r| serde_json::from_value(r.clone()).ok());
    let s = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    Restore {
        restore_id: j.job_id.clone(),
        vault_id: j.vault_id.clone(),
        snapshot_id: j.snapshot_id.clone(),
        source_cluster_id: s("SourceClusterId"),
        source_database_name: s("SourceDatabaseName"),
        cluster_id: s("ClusterId"),
        target_database_name: s("TargetDatabaseName"),
        replace_database: params.get("ReplaceDatabase").and_then(Value::as_bool).unwrap_or(false),
        status: j.status.clone(),
        percentage: percent(&j.status, j.bytes_done, j.bytes_total),
        bytes_total: j.bytes_total,
        bytes_done: j.bytes_done,
        error_message: j.error_message.clone(),
        created_time: j.created_time,
        start_time: j.start_time,
        complete_time: j.complete_time,
        verification: report.as_ref().filter(|r| r.verification != Verification::default()).map(|r| r.verification.clone()),
        report,
    }
}

pub fn describe_restores(state: &AppState, r: DescribeSqlServerRestoresRequest) -> ServerResult<DescribeRestoresResponse> {
    let (page_number, page_size) = r.paging.resolve(10);
    let f = crate::backend::catalog::JobFilter { job_id: r.restore_id.as_deref(), vault_id: r.vault_id.as_deref(), client_id: r.cluster_id.as_deref(), status: r.status.as_deref(), ..Default::default() };
    let (total, rows) = state.catalog.list_jobs(JobKind::SqlRestore, &f, page_number, page_size)?;
    Ok(DescribeRestoresResponse { page: Page { total_count: total, page_number, page_size }, restores: Restores { restore: rows.iter().map(restore_wire).collect() } })
}

pub fn cancel_restore(state: &AppState, r: CancelSqlServerRestoreRequest) -> ServerResult<Value> {
    let id = r.restore_id;
    let job = state.catalog.job(&id)?.filter(|j| j.kind == JobKind::SqlRestore.as_str()).ok_or_else(|| ServerError::not_found(codes::JOB_NOT_FOUND, format!("The restore {id} does not exist.")))?;
    if !state.jobs.cancel(&id) {
        return Err(ServerError::conflict(codes::JOB_NOT_CANCELABLE, format!("The restore {id} is {} and cannot be canceled.", job.status)));
    }
    Ok(serde_json::json!({}))
}
