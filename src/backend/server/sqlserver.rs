//! SQL Server actions.
use serde_json::Value;

use crate::api::error as codes;
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::params::Params;
use crate::backend::state::AppState;

pub async fn dispatch(_state: &AppState, action: &str, _p: &Params) -> ServerResult<Value> {
    Err(ServerError::bad_request(codes::INVALID_ACTION, format!("The action {action} is not supported.")))
}
