//! The server's one error type: logged with its cause, sent as `Code` + `Message` only.
//!
//! Each error is logged once, where it becomes a response (`into_response`): a server error
//! (5xx) at `error` with its cause, a refusal (4xx) at `debug`. `internal` only records the
//! cause. Code that handles a `ServerError` without answering a request (demo seeding) logs
//! it itself; its `Display` includes the cause.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::error as codes;
use crate::backend::catalog::CatalogError;

/// The generic message of an internal error; the cause is only logged.
pub const INTERNAL_MESSAGE: &str = "The request processing has failed due to some unknown error.";

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}{}", cause.as_ref().map(|c| format!(" ({c})")).unwrap_or_default())]
pub struct ServerError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// What went wrong inside (internal errors): logged, never sent.
    pub cause: Option<String>,
}

pub type ServerResult<T> = Result<T, ServerError>;

impl ServerError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ServerError { status, code: code.to_string(), message: message.into(), cause: None }
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn invalid(param: &str, why: impl std::fmt::Display) -> Self {
        Self::bad_request(codes::INVALID_PARAMETER, format!("The parameter {param} is invalid: {why}"))
    }
    pub fn missing(param: &str) -> Self {
        Self::bad_request(codes::MISSING_PARAMETER, format!("The parameter {param} is required."))
    }
    pub fn forbidden(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }
    pub fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, codes::REGION_UNAVAILABLE, message)
    }
    /// An internal failure: the client sees a generic message, the cause is logged when the
    /// error is answered.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ServerError { cause: Some(cause.to_string()), ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL_ERROR, INTERNAL_MESSAGE) }
    }
}

impl From<CatalogError> for ServerError {
    fn from(e: CatalogError) -> Self {
        ServerError::internal(e)
    }
}

/// The dialect's error body: `RequestId`, `Success: false`, `Code`, `Message`.
/// A new `RequestId`: every response carries one, and a logged failure names it, so an
/// administrator can find the log line of an answer a client saw.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string().to_uppercase()
}

pub fn error_body(status: StatusCode, code: &str, message: &str, request_id: &str) -> Response {
    let body = serde_json::json!({
        "RequestId": request_id,
        "Success": false,
        "Code": code,
        "Message": message,
    });
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let request_id = new_request_id();
        if self.status.is_server_error() {
            match &self.cause {
                Some(cause) => tracing::error!(%request_id, code = %self.code, %cause, "request failed"),
                None => tracing::warn!(%request_id, code = %self.code, message = %self.message, "request failed"),
            }
        } else {
            tracing::debug!(%request_id, code = %self.code, message = %self.message, "request refused");
        }
        error_body(self.status, &self.code, &self.message, &request_id)
    }
}
