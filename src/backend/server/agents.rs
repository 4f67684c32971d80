//! `POST /agent`: the remote agent's actions (`api::agent`), and `CreateAgentAccessKey`. Every
//! call is signed (the body's SHA-256 is part of the ACS3 signature — or, for a pack or index
//! upload, the signed `Key` is the BLAKE3 of its bytes — so an upload cannot be swapped in
//! flight) by the account key or by the client-scoped key of the client it names;
//! every job-scoped call names a job the hub published for that client. Objects are named
//! relative to the job's vault, and only `config`, `index/`, `data/` and `snapshots/` are read.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;
use serde_json::Value;

use crate::api::agent::*;
use crate::api::error as codes;
use crate::api::Action;
use crate::backend::agents::{Claimed, Finished, JobRefusal};
use crate::backend::auth::{Principal, SignedRequest};
use crate::backend::catalog::{AgentInfo, LogFailure};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::params::{parse, Params};
use crate::backend::state::AppState;
use crate::backend::storage::{Ingest, StorageError};

/// Agent request bodies larger than this are refused with 413: a pack (16 MiB) plus one
/// maximal chunk and its header fit with room to spare.
pub const MAX_AGENT_BODY: usize = 64 * 1024 * 1024;

pub async fn create_agent_key(state: &AppState, r: CreateAgentAccessKeyRequest) -> ServerResult<CreateAgentAccessKeyResponse> {
    let client = state
        .catalog
        .client(&r.client_id)?
        .ok_or_else(|| ServerError::not_found(codes::CLIENT_NOT_FOUND, format!("The backup client {} does not exist.", r.client_id)))?;
    let access_key_id = format!("AGENT{}", &uuid::Uuid::new_v4().simple().to_string()[..20].to_ascii_uppercase());
    let access_key_secret = {
        use rand::RngCore;
        let mut b = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut b);
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b)
    };
    state.catalog.insert_agent_key(&access_key_id, &access_key_secret, &client.client_id)?;
    state.catalog.set_client_agent(&client.client_id)?;
    state.auth.add_agent_key(&access_key_id, &access_key_secret, &client.client_id);
    tracing::info!(client_id = %client.client_id, %access_key_id, "agent access key minted");
    Ok(CreateAgentAccessKeyResponse { client_id: client.client_id, access_key_id, access_key_secret })
}

/// What an agent action answers.
enum Reply {
    Json(Value),
    Bytes(Bytes),
}

pub async fn handle(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match serve(&state, &method, &uri, &headers, body).await {
        Ok(Reply::Json(v)) => {
            let mut map = match v {
                Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            map.insert("RequestId".into(), Value::String(crate::backend::error::new_request_id()));
            map.insert("Success".into(), Value::Bool(true));
            (StatusCode::OK, Json(Value::Object(map))).into_response()
        }
        Ok(Reply::Bytes(b)) => (StatusCode::OK, [("content-type", "application/octet-stream")], b).into_response(),
        Err(e) => e.into_response(),
    }
}

fn to_json<T: serde::Serialize>(v: T) -> ServerResult<Reply> {
    Ok(Reply::Json(serde_json::to_value(v).map_err(ServerError::internal)?))
}

async fn serve(state: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: Bytes) -> ServerResult<Reply> {
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let params = Params::from_pairs(query.iter().cloned());
    let action = params
        .opt("Action")
        .or_else(|| headers.get("x-acs-action").and_then(|v| v.to_str().ok()).map(str::to_string))
        .ok_or_else(|| ServerError::missing("Action"))?;
    // A pack or index upload is named by the BLAKE3 of its bytes and checked against it
    // (`Ingest::put`), so its signature need not cover the body.
    let content_addressed = action == AgentPutObjectRequest::NAME && params.opt("Key").is_some_and(|k| Ingest::content_addressed(&k));
    let principal = state.auth.verify(&SignedRequest { method: method.as_str(), path: uri.path(), query: &query, params: &params, headers, body: &body, content_addressed })?;
    if !AGENT_ACTIONS.contains(&action.as_str()) {
        return Err(ServerError::bad_request(codes::INVALID_ACTION, format!("The action {action} is not an agent action; POST it to /.")));
    }
    // Every agent action names its client: a scoped key only its own.
    let client_id = params.opt("ClientId").ok_or_else(|| ServerError::missing("ClientId"))?;
    if let Principal::Agent { client_id: own } = &principal {
        if *own != client_id {
            return Err(ServerError::forbidden(codes::AGENT_KEY_FORBIDDEN, format!("This agent key belongs to the client {own}, not {client_id}.")));
        }
    }
    match action.as_str() {
        AgentHeartbeatRequest::NAME => to_json(heartbeat(state, parse(&params)?).await?),
        AgentClaimJobRequest::NAME => to_json(claim(state, parse(&params)?)?),
        AgentReportProgressRequest::NAME => to_json(report(state, parse(&params)?)?),
        AgentFinishJobRequest::NAME => to_json(finish(state, parse(&params)?, body).await?),
        AgentCommitSnapshotRequest::NAME => to_json(commit_snapshot(state, parse(&params)?, body).await?),
        AgentGetObjectRequest::NAME => get_object(state, parse(&params)?).await.map(Reply::Bytes),
        AgentPutObjectRequest::NAME => {
            put_object(state, parse(&params)?, body).await?;
            to_json(AgentEmptyResponse {})
        }
        AgentDeleteObjectRequest::NAME => {
            delete_object(state, parse(&params)?).await?;
            to_json(AgentEmptyResponse {})
        }
        AgentListObjectsRequest::NAME => to_json(list_objects(state, parse(&params)?).await?),
        other => Err(ServerError::bad_request(codes::INVALID_ACTION, format!("The action {other} is not supported."))),
    }
}

fn client_row(state: &AppState, client_id: &str) -> ServerResult<crate::backend::catalog::ClientRow> {
    state
        .catalog
        .client(client_id)?
        .ok_or_else(|| ServerError::not_found(codes::CLIENT_NOT_FOUND, format!("The backup client {client_id} does not exist.")))
}

async fn heartbeat(state: &AppState, r: AgentHeartbeatRequest) -> ServerResult<AgentHeartbeatResponse> {
    client_row(state, &r.client_id)?;
    let info = AgentInfo {
        hostname: r.hostname.unwrap_or_default(),
        version: r.client_version.unwrap_or_default(),
        os: r.os_type.unwrap_or_default(),
        arch: r.arch_type.unwrap_or_default(),
        heartbeat: crate::backend::catalog::now(),
    };
    state.catalog.agent_heartbeat(&r.client_id, &info)?;
    let interval = (state.agents.settings.offline_after.as_secs() / 4).clamp(1, 15);
    // A long poll never outlasts a quarter of the offline timeout: the client stays ACTIVATED.
    let wait = Duration::from_secs((r.wait_seconds.unwrap_or(0) as u64).min(interval));
    let jobs = state.agents.wait_for_jobs(&r.client_id, wait).await;
    Ok(AgentHeartbeatResponse { jobs, heartbeat_interval: interval })
}

fn refusal(job_id: &str, r: JobRefusal) -> ServerError {
    match r {
        JobRefusal::NotFound => ServerError::not_found(codes::JOB_NOT_FOUND, format!("No job {job_id} is waiting for or running on this client's agent.")),
        JobRefusal::NotClaimable => ServerError::conflict(codes::AGENT_JOB_NOT_RUNNING, format!("The job {job_id} was taken already or canceled.")),
        JobRefusal::NotClaimed => ServerError::conflict(codes::AGENT_JOB_NOT_RUNNING, format!("The job {job_id} has not been claimed; call AgentClaimJob first.")),
    }
}

fn claim(state: &AppState, r: AgentClaimJobRequest) -> ServerResult<AgentClaimJobResponse> {
    let c = state.agents.claim(&r.client_id, &r.job_id).map_err(|e| refusal(&r.job_id, e))?;
    state.catalog.start_job(&r.job_id).or_log_job(&r.job_id, "agent job start");
    tracing::info!(job_id = %r.job_id, client_id = %r.client_id, "agent claimed the job");
    Ok(AgentClaimJobResponse { job: c.spec })
}

fn claimed(state: &AppState, client_id: &str, job_id: &str) -> ServerResult<Claimed> {
    state.agents.claimed(client_id, job_id).map_err(|e| refusal(job_id, e))
}

fn report(state: &AppState, r: AgentReportProgressRequest) -> ServerResult<AgentReportProgressResponse> {
    use std::sync::atomic::Ordering::Relaxed;
    let c = claimed(state, &r.client_id, &r.job_id)?;
    let p = &c.progress;
    for (v, slot) in [(r.bytes_total, &p.bytes_total), (r.bytes_done, &p.bytes_done), (r.items_total, &p.items_total), (r.items_done, &p.items_done)] {
        if let Some(v) = v {
            slot.store(v as u64, Relaxed);
        }
    }
    if let Some(m) = r.message.filter(|m| !m.is_empty()) {
        state.catalog.set_job_message(&r.job_id, &m).or_log_job(&r.job_id, "agent job message");
    }
    Ok(AgentReportProgressResponse { canceled: p.cancel.load(std::sync::atomic::Ordering::SeqCst) })
}

async fn finish(state: &AppState, r: AgentFinishJobRequest, body: Bytes) -> ServerResult<AgentFinishJobResponse> {
    type R = AgentFinishJobRequest;
    let c = claimed(state, &r.client_id, &r.job_id)?;
    let status = r.status.to_ascii_uppercase();
    let result: Value = match r.result.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => serde_json::from_str(s).map_err(|e| ServerError::invalid(R::result, format!("not JSON: {e}")))?,
        None => serde_json::json!({}),
    };
    let mut manifest = None;
    match status.as_str() {
        "COMPLETE" => {
            // A SQL Server backup committed its snapshots one by one (`AgentCommitSnapshot`).
            if let Some(ingest) = c.ingest.as_ref().filter(|_| c.spec.job_type != JOB_SQL_BACKUP) {
                if body.is_empty() {
                    return Err(ServerError::missing("the request body (the snapshot manifest)"));
                }
                let m = ingest
                    .commit(&body, &c.spec.snapshot_id, &c.spec.client_id, &c.spec.source_type)
                    .await
                    .map_err(upload_error)?;
                manifest = Some(m);
            }
        }
        "FAILED" | "CANCELED" => {}
        _ => return Err(ServerError::invalid(R::status, "expected COMPLETE, FAILED or CANCELED")),
    }
    let snapshot_id = manifest.as_ref().map(|m| m.snapshot_id.clone()).unwrap_or_default();
    let f = Finished { status: status.clone(), error: r.error_message.unwrap_or_default(), result, manifest };
    state.agents.finish(&r.client_id, &r.job_id, f).map_err(|e| refusal(&r.job_id, e))?;
    Ok(AgentFinishJobResponse { status, snapshot_id })
}

/// One database's snapshot of a SQL_BACKUP: checked like a file backup's manifest, its meta
/// must be the job's with the database the job named for this snapshot id; catalogued at once
/// (a later database's failure keeps the earlier ones, as a backup in the backend does).
async fn commit_snapshot(state: &AppState, r: AgentCommitSnapshotRequest, body: Bytes) -> ServerResult<AgentFinishJobResponse> {
    type R = AgentCommitSnapshotRequest;
    let c = claimed(state, &r.client_id, &r.job_id)?;
    let (Some(ingest), Some(repo), JOB_SQL_BACKUP) = (&c.ingest, &c.repo, c.spec.job_type.as_str()) else {
        return Err(ServerError::conflict(codes::AGENT_UPLOAD_REFUSED, format!("The job {} is not a SQL Server backup.", r.job_id)));
    };
    let sql: AgentSql = serde_json::from_str(&c.spec.sql).map_err(ServerError::internal)?;
    let db = sql
        .databases
        .iter()
        .find(|d| d.snapshot_id == r.snapshot_id)
        .ok_or_else(|| ServerError::invalid(R::snapshot_id, format!("the job {} has no database to commit as {}", r.job_id, r.snapshot_id)))?;
    if body.is_empty() {
        return Err(ServerError::missing("the request body (the snapshot manifest)"));
    }
    let m = ingest.commit_checked(&body, &r.snapshot_id, &sql.cluster_id, &c.spec.source_type, |m| {
        let base: Value = serde_json::from_str(&c.spec.meta).unwrap_or_default();
        let fixed = base.as_object().map(|b| b.iter().all(|(k, v)| m.meta.get(k) == Some(v))).unwrap_or(false);
        let named = m.meta.get("DatabaseName").and_then(Value::as_str) == Some(db.name.as_str());
        let counted = m.meta.get("RowCounts").map(Value::is_object).unwrap_or(false);
        match (fixed, named, counted) {
            (true, true, true) => Ok(()),
            _ => Err(format!("the manifest's meta is not this job's backup of {} (its instance, vault and plan fields, DatabaseName and RowCounts)", db.name)),
        }
    })
    .await
    .map_err(upload_error)?;
    super::backup::committed(state, &c.spec.vault_id, &m, repo).await;
    tracing::info!(job_id = %r.job_id, snapshot_id = %m.snapshot_id, database = %db.name, "agent committed a SQL Server snapshot");
    Ok(AgentFinishJobResponse { status: "COMMITTED".into(), snapshot_id: m.snapshot_id })
}

/// A key relative to the job's vault that an agent may read.
fn readable(key: &str) -> ServerResult<()> {
    let ok = (key == "config" || ["index/", "data/", "snapshots/"].iter().any(|p| key.starts_with(p) || format!("{key}/") == *p))
        && !key.split('/').any(|s| s == ".." || s == ".")
        && !key.contains('\\')
        && !key.contains('\0');
    if !ok {
        return Err(ServerError::invalid("Key", format!("{key:?}: an agent reads only config, index/, data/ and snapshots/ of its job's vault")));
    }
    Ok(())
}

fn object_error(key: &str, e: StorageError) -> ServerError {
    match e {
        StorageError::NotFound { .. } => ServerError::not_found(codes::PATH_NOT_FOUND, format!("{key} is not in the vault.")),
        StorageError::Unavailable(m) => ServerError::conflict(codes::REGION_UNAVAILABLE, m),
        other => ServerError::internal(other),
    }
}

fn upload_error(e: StorageError) -> ServerError {
    match e {
        StorageError::Invalid(m) => ServerError::bad_request(codes::AGENT_UPLOAD_REFUSED, m),
        StorageError::Exists(m) => ServerError::conflict(codes::AGENT_UPLOAD_REFUSED, format!("{m} exists already")),
        StorageError::Unavailable(m) => ServerError::conflict(codes::REGION_UNAVAILABLE, m),
        other => ServerError::internal(other),
    }
}

fn job_repo<'a>(c: &'a Claimed, job_id: &str) -> ServerResult<&'a crate::backend::storage::Repo> {
    c.repo.as_ref().ok_or_else(|| ServerError::conflict(codes::AGENT_JOB_NOT_RUNNING, format!("The job {job_id} reads no vault.")))
}

async fn get_object(state: &AppState, r: AgentGetObjectRequest) -> ServerResult<Bytes> {
    let c = claimed(state, &r.client_id, &r.job_id)?;
    readable(&r.key)?;
    let repo = job_repo(&c, &r.job_id)?;
    match (r.offset, r.length) {
        (None, None) => repo.get(&r.key).await.map_err(|e| object_error(&r.key, e)),
        (off, len) => {
            let off = off.unwrap_or(0) as u64;
            let len = len.ok_or_else(|| ServerError::missing("Length"))? as u64;
            let end = off.checked_add(len).ok_or_else(|| ServerError::invalid("Length", "Offset + Length overflows"))?;
            repo.get_range(&r.key, off..end).await.map_err(|e| object_error(&r.key, e))
        }
    }
}

async fn put_object(state: &AppState, r: AgentPutObjectRequest, body: Bytes) -> ServerResult<()> {
    let c = claimed(state, &r.client_id, &r.job_id)?;
    let ingest = c.ingest.ok_or_else(|| ServerError::conflict(codes::AGENT_UPLOAD_REFUSED, format!("The job {} is not a backup: it uploads nothing.", r.job_id)))?;
    ingest.put(&r.key, body).await.map_err(upload_error)
}

async fn delete_object(state: &AppState, r: AgentDeleteObjectRequest) -> ServerResult<()> {
    let c = claimed(state, &r.client_id, &r.job_id)?;
    let ingest = c.ingest.ok_or_else(|| ServerError::conflict(codes::AGENT_UPLOAD_REFUSED, format!("The job {} is not a backup: it deletes nothing.", r.job_id)))?;
    ingest.delete(&r.key).await.map_err(upload_error)
}

async fn list_objects(state: &AppState, r: AgentListObjectsRequest) -> ServerResult<AgentListObjectsResponse> {
    let c = claimed(state, &r.client_id, &r.job_id)?;
    readable(&r.prefix)?;
    let listed = job_repo(&c, &r.job_id)?.list_meta(&r.prefix).await.map_err(|e| object_error(&r.prefix, e))?;
    Ok(AgentListObjectsResponse { objects: listed.into_iter().map(|(key, size, modified_ms)| AgentObject { key, size, modified_ms }).collect() })
}
