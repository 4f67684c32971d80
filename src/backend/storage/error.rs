//! Errors of the storage engine.

use thiserror::Error;

/// Every failure of the storage engine.
#[derive(Debug, Error)]
pub enum StorageError {
    #[error("object not found: {object}")]
    NotFound { object: String },
    #[error("corrupt object {object}: {detail}")]
    Corrupt { object: String, detail: String },
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("object store error: {0}")]
    ObjectStore(object_store::Error),
    #[error("cannot decrypt {object}: wrong key or tampered data")]
    Crypto { object: String },
    #[error("invalid path: {0}")]
    InvalidPath(String),
    #[error("already exists: {0}")]
    Exists(String),
    #[error("operation canceled")]
    Canceled,
    #[error("invalid argument: {0}")]
    Invalid(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<object_store::Error> for StorageError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { path, .. } => StorageError::NotFound { object: path },
            other => StorageError::ObjectStore(other),
        }
    }
}

impl From<tokio::task::JoinError> for StorageError {
    fn from(e: tokio::task::JoinError) -> Self {
        StorageError::Internal(format!("worker task failed: {e}"))
    }
}

impl StorageError {
    /// A corruption error naming `object`.
    pub(crate) fn corrupt(object: impl Into<String>, detail: impl Into<String>) -> Self {
        StorageError::Corrupt { object: object.into(), detail: detail.into() }
    }

    /// True when the error means the object is absent.
    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::NotFound { .. })
    }
}
