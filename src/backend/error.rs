//! The server's one error type: logged with its cause, sent as `Code` + `Message` only.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::error as codes;

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServerError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

pub type ServerResult<T> = Result<T, ServerError>;

impl ServerError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ServerError { status, code: code.to_string(), message: message.into() }
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
    /// An internal failure: the cause is logged here, the client sees a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL_ERROR, "The request processing has failed due to some unknown error.")
    }
}

impl From<rusqlite::Error> for ServerError {
    fn from(e: rusqlite::Error) -> Self {
        ServerError::internal(format!("catalog: {e}"))
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(code = %self.code, "request failed");
        } else {
            tracing::debug!(code = %self.code, message = %self.message, "request refused");
        }
        let body = serde_json::json!({
            "RequestId": uuid::Uuid::new_v4().to_string().to_uppercase(),
            "Success": false,
            "Code": self.code,
            "Message": self.message,
        });
        (self.status, axum::Json(body)).into_response()
    }
}
