//! The HTTP front: `GET /` and `POST /` in the HBR RPC dialect. Parameters come from the query
//! string and a form body; the action from `Action` or the `x-acs-action` header.
mod backup;
mod clients;
mod panic;
mod regions;
mod replication;
mod sqlserver;
mod vaults;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value};

use super::auth::SignedRequest;
use super::error::{ServerError, ServerResult};
use super::params::Params;
use super::state::AppState;
use crate::api::{self, error as codes};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// The routes, with the body limit and, outermost, the panic catcher (`panic.rs`).
pub fn router(state: AppState) -> Router {
    let routes = Router::new().route("/", get(handle).post(handle)).route("/health", get(health)).layer(DefaultBodyLimit::max(MAX_BODY));
    panic::catch_panics(routes).with_state(state)
}

async fn health() -> Json<Value> {
    Json(serde_json::json!({"Status": "ok", "Version": env!("CARGO_PKG_VERSION")}))
}

async fn handle(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match serve(&state, &method, &uri, &headers, &body).await {
        Ok(mut fields) => {
            fields.insert("RequestId".into(), Value::String(uuid::Uuid::new_v4().to_string().to_uppercase()));
            fields.insert("Success".into(), Value::Bool(true));
            (StatusCode::OK, Json(Value::Object(fields))).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn serve(state: &AppState, method: &Method, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> ServerResult<Map<String, Value>> {
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let mut params = Params::from_pairs(query.iter().cloned());
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        .unwrap_or(false);
    if is_form && !body.is_empty() {
        let text = std::str::from_utf8(body).map_err(|_| ServerError::bad_request(codes::INVALID_PARAMETER, "The request body is not valid UTF-8."))?;
        for (k, v) in form_urlencoded::parse(text.as_bytes()).into_owned() {
            params.insert(k, v);
        }
    }
    let action = params
        .opt("Action")
        .or_else(|| headers.get("x-acs-action").and_then(|v| v.to_str().ok()).map(str::to_string))
        .ok_or_else(|| ServerError::missing("Action"))?;
    let version = params.opt("Version").or_else(|| headers.get("x-acs-version").and_then(|v| v.to_str().ok()).map(str::to_string));
    if let Some(v) = version {
        if v != api::API_VERSION {
            return Err(ServerError::bad_request(codes::INVALID_VERSION, format!("Version {v} is not supported; use {}.", api::API_VERSION)));
        }
    }
    state.auth.verify(&SignedRequest { method: method.as_str(), path: uri.path(), query: &query, params: &params, headers, body })?;
    tracing::debug!(%action, "request");
    let value = dispatch(state, &action, &params).await?;
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(ServerError::internal(format!("handler for {action} returned a non-object: {other}"))),
    }
}

fn to_value<T: serde::Serialize>(v: T) -> ServerResult<Value> {
    serde_json::to_value(v).map_err(ServerError::internal)
}

async fn dispatch(state: &AppState, action: &str, p: &Params) -> ServerResult<Value> {
    match action {
        "DescribeRegions" => to_value(regions::describe_regions(state)?),
        "DescribeVaultReplicationRegions" => to_value(regions::replication_regions(state, p)?),
        "SetRegionOutage" => to_value(regions::set_outage(state, p).await?),
        "DescribeSettings" => to_value(regions::describe_settings(state)),
        "CreateVault" => to_value(vaults::create_vault(state, p).await?),
        "DescribeVaults" => to_value(vaults::describe_vaults(state, p)?),
        "UpdateVault" => to_value(vaults::update_vault(state, p)?),
        "DeleteVault" => to_value(vaults::delete_vault(state, p).await?),
        "CreateReplicationVault" => to_value(vaults::create_replication_vault(state, p).await?),
        "CreateVaultReplication" => to_value(vaults::create_vault_replication(state, p).await?),
        "DeleteVaultReplication" => to_value(vaults::delete_vault_replication(state, p)?),
        "DescribeTask" => to_value(regions::describe_task(state, p)?),
        "CreateBackupClient" => to_value(clients::create_client(state, p).await?),
        "DescribeBackupClients" => to_value(clients::describe_clients(state, p)?),
        "DeleteBackupClient" => to_value(clients::delete_client(state, p)?),
        "CreateBackupJob" => to_value(backup::create_backup_job(state, p).await?),
        "DescribeBackupJobs2" => to_value(backup::describe_backup_jobs(state, p)?),
        "CancelBackupJob" => to_value(backup::cancel_job(state, p)?),
        "DescribeSnapshots" => to_value(backup::describe_snapshots(state, p)?),
        "CreateRestoreJob" => to_value(backup::create_restore_job(state, p).await?),
        "DescribeRestoreJobs2" => to_value(backup::describe_restore_jobs(state, p)?),
        "CreateVerifyJob" => to_value(backup::create_verify_job(state, p).await?),
        "DescribeVerifyJobs" => to_value(backup::describe_verify_jobs(state, p)?),
        "DescribeReplicationHistory" => to_value(replication::history(state, p)?),
        "SyncReplicationVaultNow" => to_value(replication::sync_now(state, p)?),
        "RepairVaultFromMirror" => to_value(replication::repair(state, p).await?),
        other => sqlserver::dispatch(state, other, p).await,
    }
}

/// Looks a vault up or answers 404.
pub(crate) fn vault_row(state: &AppState, vault_id: &str) -> ServerResult<super::catalog::VaultRow> {
    state
        .catalog
        .vault(vault_id)?
        .ok_or_else(|| ServerError::not_found(codes::VAULT_NOT_FOUND, format!("The vault {vault_id} does not exist.")))
}

pub(crate) fn new_id(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..20])
}

/// Runs an action in-process (no HTTP, no signature): used to seed demo content.
pub(crate) async fn call(state: &AppState, action: &str, pairs: &[(&str, &str)]) -> ServerResult<Value> {
    let p = Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    dispatch(state, action, &p).await
}
