//! Error type shared by both SQL Server engines.
//!
//! Messages are built from server/driver messages and database names only;
//! credentials are never formatted into any variant.

use thiserror::Error;

/// Errors returned by the SQL Server backend.
#[derive(Debug, Error)]
pub enum SqlError {
    /// The server could not be reached (network, TLS, name resolution, ...).
    #[error("cannot connect to SQL Server: {0}")]
    Connect(String),
    /// The server rejected the credentials.
    #[error("login failed: {0}")]
    Login(String),
    /// The login lacks a permission needed for the operation.
    #[error("permission denied: {0}")]
    Permission(String),
    /// The database does not exist.
    #[error("database not found: {0}")]
    NotFound(String),
    /// The target database already exists (and replacing was not requested).
    #[error("database already exists: {0}")]
    AlreadyExists(String),
    /// The database name is not acceptable.
    #[error("invalid database name: {0}")]
    InvalidName(String),
    /// Any other engine-side failure (failed backup, corrupt artifact, ...).
    #[error("{0}")]
    Engine(String),
    /// Local file-system failure.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        SqlError::Engine(format!("sqlite: {e}"))
    }
}

impl From<tokio::task::JoinError> for SqlError {
    fn from(e: tokio::task::JoinError) -> Self {
        SqlError::Engine(format!("background task failed: {e}"))
    }
}
