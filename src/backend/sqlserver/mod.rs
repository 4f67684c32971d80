//! SQL Server backend: backs SQL Server databases up into a staged local file
//! and restores/verifies them. Two engines sit behind [`Engine`]:
//! a real one speaking TDS ([`tds::TdsEngine`]) and a SQLite-backed demo
//! engine ([`demo::DemoEngine`]) for trying the product without a server.

pub mod demo;
mod demo_artifact;
pub mod drill;
mod engine;
mod error;
pub mod names;
mod sqlbrowser;
pub mod tds;
pub mod tsql;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

pub use engine::Engine;
pub use error::SqlError;
pub use names::validate_name;

/// Which engine serves a registered instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EngineKind {
    /// Microsoft SQL Server over TDS.
    #[serde(rename = "TDS")]
    Tds,
    /// SQLite-backed demo engine.
    #[serde(rename = "DEMO")]
    Demo,
}

impl EngineKind {
    /// Wire name: `"TDS"` / `"DEMO"`.
    pub fn as_str(self) -> &'static str {
        match self {
            EngineKind::Tds => "TDS",
            EngineKind::Demo => "DEMO",
        }
    }

    /// Human-readable label.
    pub fn label(self) -> &'static str {
        match self {
            EngineKind::Tds => "SQL Server (TDS)",
            EngineKind::Demo => "Demo engine",
        }
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EngineKind {
    type Err = SqlError;

    /// Accepts the wire names case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TDS" => Ok(EngineKind::Tds),
            "DEMO" => Ok(EngineKind::Demo),
            _ => Err(SqlError::Engine(format!(
                "unknown engine kind {:?} (expected TDS or DEMO)",
                s.chars().take(32).collect::<String>()
            ))),
        }
    }
}

/// How to reach one registered instance. `Debug` redacts the password.
#[derive(Clone)]
pub struct ConnectionSpec {
    pub engine: EngineKind,
    /// TDS: `host[,port]` or `host\instance`; DEMO: instance directory path.
    pub server_name: String,
    pub sql_login: String,
    pub sql_password: String,
    pub use_windows_auth: bool,
    pub trust_server_certificate: bool,
    /// TDS: directory shared by the SQL Server host and the backend.
    pub staging_dir: Option<PathBuf>,
}

impl fmt::Debug for ConnectionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pw = if self.sql_password.is_empty() { "" } else { "***" };
        f.debug_struct("ConnectionSpec")
            .field("engine", &self.engine)
            .field("server_name", &self.server_name)
            .field("sql_login", &self.sql_login)
            .field("sql_password", &pw)
            .field("use_windows_auth", &self.use_windows_auth)
            .field("trust_server_certificate", &self.trust_server_certificate)
            .field("staging_dir", &self.staging_dir)
            .finish()
    }
}

/// Result of checking that an instance is usable.
#[derive(Clone, Debug, Serialize)]
pub struct PrecheckReport {
    pub ok: bool,
    pub version: String,
    pub checks: Vec<PrecheckItem>,
}

/// One line of a [`PrecheckReport`].
#[derive(Clone, Debug, Serialize)]
pub struct PrecheckItem {
    pub name: String,
    pub passed: bool,
    pub message: String,
}

impl PrecheckItem {
    pub(crate) fn new(name: &str, passed: bool, message: impl Into<String>) -> Self {
        PrecheckItem { name: name.to_string(), passed, message: message.into() }
    }
}

/// Prechecks the instance `spec` describes from this process (the backend, or an agent on the
/// instance's host), as the API answers it: a bad spec or a refused connection is a failed check.
pub async fn run_precheck(spec: ConnectionSpec) -> crate::api::sqlserver::Precheck {
    use crate::api::sqlserver::{Precheck, PrecheckItem as Item};
    let kind = spec.engine;
    let failed = |name: &str, e: SqlError| Precheck { passed: false, engine_label: kind.label().into(), checks: vec![Item { name: name.into(), passed: false, message: e.to_string() }], ..Default::default() };
    match Engine::connect(spec) {
        Ok(engine) => match engine.precheck().await {
            Ok(r) => Precheck {
                passed: r.ok,
                version: r.version,
                engine_label: kind.label().to_string(),
                checks: r.checks.into_iter().map(|c| Item { name: c.name, passed: c.passed, message: c.message }).collect(),
            },
            Err(e) => failed("connect", e),
        },
        Err(e) => failed("connection settings", e),
    }
}

/// A user database on an instance.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub name: String,
    pub size_bytes: u64,
    /// `ONLINE`, `OFFLINE`, `RESTORING`, ...
    pub status: String,
}

/// A staged backup file produced by [`Engine::backup_database`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackupArtifact {
    pub file: PathBuf,
    pub database: String,
    pub size_bytes: u64,
    pub table_row_counts: BTreeMap<String, u64>,
    pub engine: EngineKind,
}

/// Outcome of [`Engine::verify_database`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct VerificationResult {
    pub integrity_ok: bool,
    pub integrity_message: String,
    pub row_counts_match: bool,
    pub expected: BTreeMap<String, u64>,
    pub actual: BTreeMap<String, u64>,
}

impl VerificationResult {
    /// Builds a result; counts match when both maps are identical.
    pub(crate) fn new(
        integrity_ok: bool,
        integrity_message: String,
        expected: &BTreeMap<String, u64>,
        actual: BTreeMap<String, u64>,
    ) -> Self {
        VerificationResult {
            integrity_ok,
            integrity_message,
            row_counts_match: *expected == actual,
            expected: expected.clone(),
            actual,
        }
    }

    /// True when integrity and row counts are both fine.
    pub fn passed(&self) -> bool {
        self.integrity_ok && self.row_counts_match
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_kind_names() {
        assert_eq!("tds".parse::<EngineKind>().unwrap(), EngineKind::Tds);
        assert_eq!("DEMO".parse::<EngineKind>().unwrap(), EngineKind::Demo);
        assert!("oracle".parse::<EngineKind>().is_err());
        assert_eq!(EngineKind::Tds.as_str(), "TDS");
        assert_eq!(EngineKind::Demo.label(), "Demo engine");
        assert_eq!(EngineKind::Tds.label(), "SQL Server (TDS)");
        assert_eq!(serde_json::to_string(&EngineKind::Tds).unwrap(), "\"TDS\"");
        assert_eq!(serde_json::from_str::<EngineKind>("\"DEMO\"").unwrap(), EngineKind::Demo);
    }

    #[test]
    fn spec_debug_redacts_password() {
        let spec = ConnectionSpec {
            engine: EngineKind::Tds,
            server_name: "db1,1433".into(),
            sql_login: "sa".into(),
            sql_password: "Sup3r-S3cret!".into(),
            use_windows_auth: false,
            trust_server_certificate: true,
            staging_dir: None,
        };
        let s = format!("{spec:?}");
        assert!(!s.contains("Sup3r-S3cret!"));
        assert!(s.contains("***"));
        assert!(s.contains("db1,1433"));
    }
}
