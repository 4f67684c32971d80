//! The HTTP front: `GET /` and `POST /` in the HBR RPC dialect. Parameters come from the query
//! string and a form body; the action from `Action` or the `x-acs-action` header.
pub(crate) mod agents;
mod alerts;
mod backup;
mod browse;
mod clients;
mod panic;
pub(crate) mod plans;
pub(crate) mod prune;
mod regions;
mod replication;
mod snapshots;
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
use super::params::{parse, Params};
use super::state::AppState;
use crate::api::alert::{AcknowledgeAlertRequest, DescribeAlertsRequest};
use crate::api::backup::*;
use crate::api::browse::BrowseFilesRequest;
use crate::api::client::*;
use crate::api::plan::*;
use crate::api::region::*;
use crate::api::replication::*;
use crate::api::retention::*;
use crate::api::sqlserver::*;
use crate::api::task::DescribeTaskRequest;
use crate::api::vault::*;
use crate::api::{self, error as codes, Action};

/// Request bodies larger than this are refused with 413.
pub const MAX_BODY: usize = 1024 * 1024;

/// The routes, with the body limit and, outermost, the panic catcher (`panic.rs`).
pub fn router(state: AppState) -> Router {
    let agent = Router::new().route(crate::api::agent::AGENT_PATH, axum::routing::post(agents::handle)).layer(DefaultBodyLimit::max(agents::MAX_AGENT_BODY));
    let routes = Router::new().route("/", get(handle).post(handle)).route("/health", get(health)).layer(DefaultBodyLimit::max(MAX_BODY)).merge(agent);
    panic::catch_panics(routes).with_state(state)
}

async fn health() -> Json<Value> {
    Json(serde_json::json!({"Status": "ok", "Version": env!("CARGO_PKG_VERSION")}))
}

async fn handle(State(state): State<AppState>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match serve(&state, &method, &uri, &headers, &body).await {
        Ok(mut fields) => {
            fields.insert("RequestId".into(), Value::String(super::error::new_request_id()));
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
    let principal = state.auth.verify(&SignedRequest { method: method.as_str(), path: uri.path(), query: &query, params: &params, headers, body, content_addressed: false })?;
    if let super::auth::Principal::Agent { client_id } = principal {
        return Err(ServerError::forbidden(
            codes::AGENT_KEY_FORBIDDEN,
            format!("This key is the agent key of the client {client_id}: it can do only that client's agent work ({}), not {action}.", crate::api::agent::AGENT_PATH),
        ));
    }
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

/// The dispatch table: one row per action, `Request => handler call`. The macro writes the
/// `match` on each request's `Action::NAME` (parsing `Params` into the request) and
/// `DISPATCHED`, the same names as a list for the test against `api::ACTIONS`.
macro_rules! dispatch_table {
    ($state:ident, $req:ident; $( $request:ty => $call:expr ),* $(,)?) => {
        /// The actions `dispatch` answers.
        #[cfg_attr(not(test), allow(dead_code))]
        pub(crate) const DISPATCHED: &[&str] = &[$( <$request as Action>::NAME ),*];

        async fn dispatch($state: &AppState, action: &str, p: &Params) -> ServerResult<Value> {
            match action {
                $( <$request as Action>::NAME => {
                    let $req: $request = parse(p)?;
                    to_value($call)
                } )*
                other => Err(ServerError::bad_request(codes::INVALID_ACTION, format!("The action {other} is not supported."))),
            }
        }
    };
}

dispatch_table! { state, r;
    DescribeRegionsRequest => regions::describe_regions(state, r)?,
    DescribeVaultReplicationRegionsRequest => regions::replication_regions(state, r)?,
    SetRegionOutageRequest => regions::set_outage(state, r).await?,
    DescribeAlertsRequest => alerts::describe_alerts(state, r)?,
    AcknowledgeAlertRequest => alerts::acknowledge_alert(state, r)?,
    DescribeSettingsRequest => regions::describe_settings(state, r),
    DescribeTaskRequest => regions::describe_task(state, r)?,
    CreateVaultRequest => vaults::create_vault(state, r).await?,
    DescribeVaultsRequest => vaults::describe_vaults(state, r)?,
    UpdateVaultRequest => vaults::update_vault(state, r).await?,
    DeleteVaultRequest => vaults::delete_vault(state, r).await?,
    CreateReplicationVaultRequest => vaults::create_replication_vault(state, r).await?,
    CreateVaultReplicationRequest => vaults::create_vault_replication(state, r).await?,
    DeleteVaultReplicationRequest => vaults::delete_vault_replication(state, r).await?,
    CreateBackupClientRequest => clients::create_client(state, r).await?,
    DescribeBackupClientsRequest => clients::describe_clients(state, r)?,
    DeleteBackupClientRequest => clients::delete_client(state, r)?,
    crate::api::agent::CreateAgentAccessKeyRequest => agents::create_agent_key(state, r).await?,
    CreateBackupJobRequest => backup::create_backup_job(state, r).await?,
    DescribeBackupJobsRequest => backup::describe_backup_jobs(state, r)?,
    CancelBackupJobRequest => backup::cancel_job(state, r)?,
    DescribeSnapshotsRequest => backup::describe_snapshots(state, r)?,
    DeleteSnapshotRequest => snapshots::delete_snapshot(state, r).await?,
    SearchHistoricalSnapshotsRequest => snapshots::search_historical_snapshots(state, r)?,
    CreateRestoreJobRequest => backup::create_restore_job(state, r).await?,
    DescribeRestoreJobsRequest => backup::describe_restore_jobs(state, r)?,
    BrowseFilesRequest => browse::browse_files(state, r).await?,
    CreateVerifyJobRequest => backup::create_verify_job(state, r).await?,
    DescribeVerifyJobsRequest => backup::describe_verify_jobs(state, r)?,
    CreateBackupPlanRequest => plans::create_plan(state, r).await?,
    DescribeBackupPlansRequest => plans::describe_plans(state, r)?,
    UpdateBackupPlanRequest => plans::update_plan(state, r)?,
    DeleteBackupPlanRequest => plans::delete_plan(state, r)?,
    EnableBackupPlanRequest => plans::enable_plan(state, r)?,
    DisableBackupPlanRequest => plans::disable_plan(state, r)?,
    ExecuteBackupPlanRequest => plans::execute_plan(state, r).await?,
    crate::api::prune::CreatePruneJobRequest => prune::create_prune_job(state, r).await?,
    crate::api::prune::DescribePruneJobsRequest => prune::describe_prune_jobs(state, r)?,
    DescribeReplicationHistoryRequest => replication::history(state, r)?,
    SyncReplicationVaultNowRequest => replication::sync_now(state, r)?,
    RepairVaultFromMirrorRequest => replication::repair(state, r).await?,
    CreateSqlServerInstanceRequest => sqlserver::create_instance(state, r).await?,
    DescribeSqlServerInstancesRequest => sqlserver::describe_instances(state, r)?,
    DeleteSqlServerInstanceRequest => sqlserver::delete_instance(state, r)?,
    PrecheckSqlServerInstanceRequest => sqlserver::precheck(state, r).await?,
    DescribeSqlServerDatabasesRequest => sqlserver::describe_databases(state, r).await?,
    CreateSqlServerBackupJobRequest => sqlserver::create_backup_job(state, r).await?,
    DescribeSqlServerSnapshotsRequest => sqlserver::describe_snapshots(state, r)?,
    GetSqlServersToRestoreRequest => sqlserver::servers_to_restore(state, r)?,
    GetSqlServerDatabasesToRestoreRequest => sqlserver::databases_to_restore(state, r)?,
    CreateSqlServerRestoreRequest => sqlserver::create_restore(state, r).await?,
    DescribeSqlServerRestoresRequest => sqlserver::describe_restores(state, r)?,
    CancelSqlServerRestoreRequest => sqlserver::cancel_restore(state, r)?,
}

/// Looks a vault up or answers 404.
pub(crate) fn vault_row(state: &AppState, vault_id: &str) -> ServerResult<super::catalog::VaultRow> {
    // A vault being deleted is gone for every action but DescribeVaults and DeleteVault.
    state
        .catalog
        .vault(vault_id)?
        .filter(|v| v.status != crate::api::vault::STATUS_DELETING)
        .ok_or_else(|| ServerError::not_found(codes::VAULT_NOT_FOUND, format!("The vault {vault_id} does not exist.")))
}

pub(crate) fn new_id(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..20])
}

/// Runs a typed request in-process (no HTTP, no signature) through the same dispatch a client
/// reaches, and reads the answer as the action's response type: used to seed demo content.
pub(crate) async fn run<A: Action>(state: &AppState, request: &A) -> ServerResult<A::Response> {
    let value = dispatch(state, A::NAME, &Params::from_pairs(request.to_params())).await?;
    serde_json::from_value(value).map_err(|e| ServerError::internal(format!("{} answered an unexpected shape: {e}", A::NAME)))
}

#[cfg(test)]
mod tests {
    use super::DISPATCHED;

    /// One list of action names: every action the API lists is dispatched, and nothing else.
    #[test]
    fn the_dispatch_table_answers_exactly_the_listed_actions() {
        let mut listed = crate::api::ACTIONS.to_vec();
        let mut dispatched = DISPATCHED.to_vec();
        listed.sort_unstable();
        dispatched.sort_unstable();
        assert_eq!(dispatched, listed);
        let before = dispatched.len();
        dispatched.dedup();
        assert_eq!(dispatched.len(), before, "an action is dispatched twice");
    }
}
