//! The benchmark's error type: what failed, with the I/O, API or backend error behind it.
use crate::backend::StartError;
use crate::client::ClientError;

/// Why a benchmark run failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("API: {0}")]
    Client(#[from] ClientError),
    #[error("cannot start the backend: {0}")]
    Start(#[from] StartError),
    #[error("catalog: {0}")]
    Catalog(String),
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a benchmark task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A step ran but did not do what the benchmark needs (a job failed, a peer exited non-zero).
    #[error("{0}")]
    Failed(String),
}

impl From<std::io::Error> for BenchError {
    fn from(source: std::io::Error) -> Self {
        BenchError::Io { what: "I/O".into(), source }
    }
}

pub type BenchResult<T> = Result<T, BenchError>;

/// Says what an I/O operation was doing when it failed.
pub(crate) trait IoContext<T> {
    fn context(self, what: &str) -> BenchResult<T>;
    fn with_context(self, what: impl FnOnce() -> String) -> BenchResult<T>;
}

impl<T> IoContext<T> for Result<T, std::io::Error> {
    fn context(self, what: &str) -> BenchResult<T> {
        self.map_err(|source| BenchError::Io { what: what.to_string(), source })
    }

    fn with_context(self, what: impl FnOnce() -> String) -> BenchResult<T> {
        self.map_err(|source| BenchError::Io { what: what(), source })
    }
}

/// `return Err(BenchError::Failed(format!(..)))`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::bench::error::BenchError::Failed(format!($($arg)*)))
    };
}
pub(crate) use bail;
