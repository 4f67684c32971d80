//! TDS engine: talks to Microsoft SQL Server through tiberius. Every
//! operation opens its own connection to `master`; backups and restores
//! go through a staging directory shared by the SQL Server host and us.

use super::names::{file_fragment, validate_tds_name};
use super::sqlbrowser::resolve_instance_port;
use super::tsql;
use super::{
    BackupArtifact, ConnectionSpec, DatabaseInfo, EngineKind, PrecheckItem, PrecheckReport, SqlError,
    VerificationResult,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use tiberius::{AuthMethod, Client, Config, Row};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

type TdsClient = Client<Compat<TcpStream>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_PORT: u16 = 1433;

/// Where to connect, parsed from `server_name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerTarget {
    pub host: String,
    pub port: Option<u16>,
    pub instance: Option<String>,
}

/// Parses `host`, `host,port`, `host\instance`, `host\instance,port`, with an
/// optional `tcp:` prefix; `.` and `(local)` mean localhost.
pub fn parse_server_name(s: &str) -> Result<ServerTarget, SqlError> {
    let bad = |why: &str| SqlError::Connect(format!("invalid server name {s:?}: {why}"));
    let mut rest = s.trim();
    // `get`, not `[..4]`: the name comes from a request and may have a multi-byte character there.
    if rest.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("tcp:")) {
        rest = &rest[4..];
    }
    let (rest, port) = match rest.rsplit_once(',') {
        Some((h, p)) => (h, Some(p.trim().parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad("bad port"))?)),
        None => (rest, None),
    };
    let (host, instance) = match rest.split_once('\\') {
        Some((h, i)) => {
            let i = i.trim();
            if i.is_empty() || i.contains('\\') {
                return Err(bad("bad instance name"));
            }
            (h.trim(), Some(i.to_string()))
        }
        None => (rest.trim(), None),
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("missing or malformed host"));
    }
    if !host.is_ascii() {
        return Err(bad("a host name is ASCII (write an internationalised name in its xn-- form)"));
    }
    let host = if host == "." || host.eq_ignore_ascii_case("(local)") { "localhost" } else { host };
    Ok(ServerTarget { host: host.to_string(), port, instance })
}

/// Maps a driver error; `database` is what the statement was about.
fn map_err(e: tiberius::error::Error, database: &str) -> SqlError {
    use tiberius::error::Error as E;
    match e {
        E::Server(te) => tsql::map_server_error(te.code(), te.message(), database),
        E::Io { .. } | E::Tls(_) | E::Routing { .. } => SqlError::Connect(e.to_string()),
        other => SqlError::Engine(format!("SQL Server driver: {other}")),
    }
}

/// Engine for a real SQL Server instance.
#[derive(Debug, Clone)]
pub struct TdsEngine {
    spec: ConnectionSpec,
    target: ServerTarget,
}

impl TdsEngine {
    /// Validates the spec (server name syntax, auth mode). No I/O.
    pub fn new(spec: ConnectionSpec) -> Result<Self, SqlError> {
        if spec.use_windows_auth {
            return Err(windows_auth_error());
        }
        if spec.sql_login.trim().is_empty() {
            return Err(SqlError::Login("a SQL login is required".into()));
        }
        let target = parse_server_name(&spec.server_name)?;
        Ok(TdsEngine { spec, target })
    }

    async fn client(&self) -> Result<TdsClient, SqlError> {
        let t = &self.target;
        let port = match (t.port, &t.instance) {
            (Some(p), _) => p,
            (None, Some(inst)) => resolve_instance_port(&t.host, inst, CONNECT_TIMEOUT).await?,
            (None, None) => DEFAULT_PORT,
        };
        match self.login(&t.host, port).await {
            // Azure-style redirect: follow it once.
            Err(tiberius::error::Error::Routing { host, port }) => self.login(&host, port).await,
            other => other,
        }
        .map_err(|e| map_err(e, "master"))
    }

    async fn login(&self, host: &str, port: u16) -> Result<TdsClient, tiberius::error::Error> {
        let mut config = Config::new();
        config.host(host);
        config.port(port);
        config.database("master");
        config.application_name("mirrorvault");
        config.authentication(AuthMethod::sql_server(&self.spec.sql_login, &self.spec.sql_password));
        if self.spec.trust_server_certificate {
            config.trust_cert();
        }
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, port)))
            .await
            .map_err(|_| timeout_err(format!("connecting to {host}:{port} timed out")))??;
        tcp.set_nodelay(true)?;
        tokio::time::timeout(LOGIN_TIMEOUT, Client::connect(config, tcp.compat_write()))
            .await
            .map_err(|_| timeout_err(format!("login to {host}:{port} timed out")))?
    }

    pub async fn precheck(&self) -> Result<PrecheckReport, SqlError> {
        let mut checks = Vec::new();
        let mut client = match self.client().await {
            Ok(c) => {
                checks.push(PrecheckItem::new("login", true, format!("logged in as {}", self.spec.sql_login)));
                c
            }
            Err(e) => {
                checks.push(PrecheckItem::new("login", false, e.to_string()));
                return Ok(PrecheckReport { ok: false, version: String::new(), checks });
            }
        };
        let version = query_opt_string(&mut client, "SELECT CAST(@@VERSION AS NVARCHAR(4000))").await?;
        let version = version.unwrap_or_default().lines().next().unwrap_or("").trim().to_string();
        checks.push(PrecheckItem::new("version", !version.is_empty(), version.clone()));

        let perms = client
            .simple_query(
                "SELECT CAST(ISNULL(IS_SRVROLEMEMBER('sysadmin'), 0) AS INT), \
                 CAST(ISNULL(IS_SRVROLEMEMBER('dbcreator'), 0) AS INT)",
            )
            .await
            .map_err(|e| map_err(e, "master"))?
            .into_row()
            .await
            .map_err(|e| map_err(e, "master"))?;
        let (sysadmin, dbcreator) = match &perms {
            Some(r) => (get_i32(r, 0)? == Some(1), get_i32(r, 1)? == Some(1)),
            None => (false, false),
        };
        checks.push(match (sysadmin, dbcreator) {
            (true, _) => PrecheckItem::new("permissions", true, "login is sysadmin"),
            (false, true) => PrecheckItem::new(
                "permissions",
                true,
                "login is dbcreator (can restore); backups also need db_backupoperator or db_owner in each database",
            ),
            _ => PrecheckItem::new(
                "permissions",
                false,
                "login needs sysadmin, or dbcreator plus db_backupoperator in each database",
            ),
        });

        for (name, prop) in [("default_data_path", "InstanceDefaultDataPath"), ("default_backup_path", "InstanceDefaultBackupPath")] {
            let sql = format!("SELECT CAST(SERVERPROPERTY('{prop}') AS NVARCHAR(4000))");
            let item = match query_opt_string(&mut client, &sql).await? {
                Some(p) if !p.is_empty() => PrecheckItem::new(name, true, p),
                _ => PrecheckItem::new(name, false, format!("SERVERPROPERTY('{prop}') is not available")),
            };
            checks.push(item);
        }
        if let Some(dir) = &self.spec.staging_dir {
            checks.push(check_local_dir(dir));
        }
        let _ = client.close().await;
        Ok(PrecheckReport { ok: checks.iter().all(|c| c.passed), version, checks })
    }

    pub async fn list_databases(&self) -> Result<Vec<DatabaseInfo>, SqlError> {
        let mut client = self.client().await?;
        let rows = client
            .simple_query(tsql::list_databases_sql())
            .await
            .map_err(|e| map_err(e, "master"))?
            .into_first_result()
            .await
            .map_err(|e| map_err(e, "master"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(DatabaseInfo {
                name: get_string(r, 0)?.unwrap_or_default(),
                size_bytes: get_i64(r, 1)?.map(|n| u64::try_from(n).unwrap_or(0)).unwrap_or(0),
                status: get_string(r, 2)?.unwrap_or_default(),
            });
        }
        Ok(out)
    }

    pub async fn database_exists(&self, name: &str) -> Result<bool, SqlError> {
        validate_tds_name(name)?;
        let mut client = self.client().await?;
        exists(&mut client, name).await
    }

    pub async fn backup_database(&self, name: &str, staging_dir: &Path) -> Result<BackupArtifact, SqlError> {
        validate_tds_name(name)?;
        let mut client = self.client().await?;
        if !exists(&mut client, name).await? {
            return Err(SqlError::NotFound(name.to_string()));
        }
        let file = staging_dir.join(format!("{}_{}.bak", file_fragment(name), uuid::Uuid::new_v4()));
        let file_str = file.to_string_lossy().to_string();
        tracing::info!(database = name, file = %file_str, "BACKUP DATABASE");
        exec(&mut client, &tsql::backup_sql(name, &file_str)?, name).await?;
        let table_row_counts = row_counts(&mut client, name).await?;
        let _ = client.close().await;
        let size_bytes = tokio::fs::metadata(&file).await.map(|m| m.len()).map_err(|e| {
            SqlError::Engine(format!(
                "SQL Server wrote {file_str} but it is not readable here ({e}); \
                 the staging directory must be shared at the same path"
            ))
        })?;
        Ok(BackupArtifact { file, database: name.to_string(), size_bytes, table_row_counts, engine: EngineKind::Tds })
    }

    pub async fn restore_database(
        &self,
        artifact_file: &Path,
        source_database: &str,
        target_name: &str,
        replace: bool,
        file_destination: Option<&Path>,
    ) -> Result<(), SqlError> {
        validate_tds_name(target_name)?;
        let mut client = self.client().await?;
        let already = exists(&mut client, target_name).await?;
        if already && !replace {
            return Err(SqlError::AlreadyExists(target_name.to_string()));
        }
        let file = artifact_file.to_string_lossy().to_string();
        let rows = client
            .simple_query(tsql::restore_filelistonly_sql(&file))
            .await
            .map_err(|e| map_err(e, target_name))?
            .into_first_result()
            .await
            .map_err(|e| map_err(e, target_name))?;
        let mut raw = Vec::with_capacity(rows.len());
        for r in &rows {
            raw.push((get_named_string(r, "LogicalName")?, get_named_string(r, "Type")?));
        }
        let files = tsql::parse_filelist(raw)?;
        let dest = match file_destination {
            Some(p) => p.to_string_lossy().to_string(),
            None => query_opt_string(&mut client, "SELECT CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS NVARCHAR(4000))")
                .await?
                .filter(|p| !p.is_empty())
                .ok_or_else(|| SqlError::Engine("instance has no default data path; give a file destination".into()))?,
        };
        let moves = tsql::plan_moves(target_name, &files, &dest);
        let sql = tsql::restore_sql(target_name, &file, &moves, replace)?;
        tracing::info!(source_database, target = target_name, replace, "RESTORE DATABASE");
        if already {
            exec(&mut client, &tsql::single_user_sql(target_name)?, target_name).await?;
        }
        let result = exec(&mut client, &sql, target_name).await;
        if already || result.is_ok() {
            // Leave the database usable whatever happened.
            let _ = exec(&mut client, &tsql::multi_user_sql(target_name)?, target_name).await;
        }
        let _ = client.close().await;
        result
    }

    pub async fn verify_database(
        &self,
        name: &str,
        expected_row_counts: &BTreeMap<String, u64>,
    ) -> Result<VerificationResult, SqlError> {
        validate_tds_name(name)?;
        let mut client = self.client().await?;
        if !exists(&mut client, name).await? {
            return Err(SqlError::NotFound(name.to_string()));
        }
        let (ok, message) = match run_batch(&mut client, &tsql::checkdb_sql(name)?).await {
            Ok(_) => (true, "DBCC CHECKDB found no errors".to_string()),
            Err(tiberius::error::Error::Server(te)) => (false, format!("DBCC CHECKDB error {}: {}", te.code(), te.message())),
            Err(e) => return Err(map_err(e, name)),
        };
        let actual = row_counts(&mut client, name).await?;
        let _ = client.close().await;
        Ok(VerificationResult::new(ok, message, expected_row_counts, actual))
    }
}

fn windows_auth_error() -> SqlError {
    SqlError::Connect("Windows authentication is not supported by this build; use a SQL Server login".into())
}

fn timeout_err(msg: String) -> tiberius::error::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, msg).into()
}

fn check_local_dir(dir: &Path) -> PrecheckItem {
    let probe = dir.join(format!(".mirrorvault-probe-{}", uuid::Uuid::new_v4()));
    match std::fs::write(&probe, b"probe").and_then(|_| std::fs::remove_file(&probe)) {
        Ok(()) => PrecheckItem::new("staging_dir", true, format!("{} is writable by the backend", dir.display())),
        Err(e) => PrecheckItem::new("staging_dir", false, format!("{} is not writable by the backend: {e}", dir.display())),
    }
}

/// Runs `sql` as a plain batch (BACKUP/RESTORE/DBCC/ALTER DATABASE are not
/// wrapped in sp_executesql) and drains every result so errors surface.
async fn run_batch(client: &mut TdsClient, sql: &str) -> Result<(), tiberius::error::Error> {
    client.simple_query(sql).await?.into_results().await.map(|_| ())
}

async fn exec(client: &mut TdsClient, sql: &str, database: &str) -> Result<(), SqlError> {
    run_batch(client, sql).await.map_err(|e| map_err(e, database))
}

async fn exists(client: &mut TdsClient, name: &str) -> Result<bool, SqlError> {
    let row = client
        .query(tsql::database_exists_sql(), &[&name])
        .await
        .map_err(|e| map_err(e, name))?
        .into_row()
        .await
        .map_err(|e| map_err(e, name))?;
    Ok(match row {
        Some(r) => get_i32(&r, 0)?.unwrap_or(0) > 0,
        None => false,
    })
}

async fn row_counts(client: &mut TdsClient, database: &str) -> Result<BTreeMap<String, u64>, SqlError> {
    let rows = client
        .simple_query(tsql::row_counts_sql(database)?)
        .await
        .map_err(|e| map_err(e, database))?
        .into_first_result()
        .await
        .map_err(|e| map_err(e, database))?;
    let mut out = BTreeMap::new();
    for r in &rows {
        if let Some(t) = get_string(r, 0)? {
            out.insert(t, get_i64(r, 1)?.map(|n| u64::try_from(n).unwrap_or(0)).unwrap_or(0));
        }
    }
    Ok(out)
}

async fn query_opt_string(client: &mut TdsClient, sql: &str) -> Result<Option<String>, SqlError> {
    let row = client
        .simple_query(sql)
        .await
        .map_err(|e| map_err(e, "master"))?
        .into_row()
        .await
        .map_err(|e| map_err(e, "master"))?;
    match row {
        Some(r) => get_string(&r, 0),
        None => Ok(None),
    }
}

fn get_string(r: &Row, idx: usize) -> Result<Option<String>, SqlError> {
    r.try_get::<&str, _>(idx).map(|v| v.map(str::to_string)).map_err(|e| map_err(e, ""))
}

fn get_named_string(r: &Row, col: &str) -> Result<Option<String>, SqlError> {
    r.try_get::<&str, _>(col).map(|v| v.map(str::to_string)).map_err(|e| map_err(e, ""))
}

fn get_i32(r: &Row, idx: usize) -> Result<Option<i32>, SqlError> {
    r.try_get::<i32, _>(idx).map_err(|e| map_err(e, ""))
}

fn get_i64(r: &Row, idx: usize) -> Result<Option<i64>, SqlError> {
    r.try_get::<i64, _>(idx).map_err(|e| map_err(e, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str, port: Option<u16>, inst: Option<&str>) -> ServerTarget {
        ServerTarget { host: host.into(), port, instance: inst.map(str::to_string) }
    }

    #[test]
    fn server_names() {
        assert_eq!(parse_server_name("db1").unwrap(), t("db1", None, None));
        assert_eq!(parse_server_name("db1,14330").unwrap(), t("db1", Some(14330), None));
        assert_eq!(parse_server_name("tcp:db1, 1433").unwrap(), t("db1", Some(1433), None));
        assert_eq!(parse_server_name("db1\\SQLEXPRESS").unwrap(), t("db1", None, Some("SQLEXPRESS")));
        assert_eq!(parse_server_name("db1\\INST,50000").unwrap(), t("db1", Some(50000), Some("INST")));
        assert_eq!(parse_server_name(".\\SQLEXPRESS").unwrap(), t("localhost", None, Some("SQLEXPRESS")));
        assert_eq!(parse_server_name("(local)").unwrap(), t("localhost", None, None));
        for bad in ["", ",1433", "db1,", "db1,x", "db1,70000", "db1,0", "db1\\", "db 1", "a\\b\\c"] {
            assert!(matches!(parse_server_name(bad), Err(SqlError::Connect(_))), "{bad:?}");
        }
    }

    /// A multi-byte character where the `tcp:` prefix would end: an error, not a panic.
    #[test]
    fn server_names_with_multibyte_characters() {
        for bad in ["ab€x", "a€", "€", "tc€:db1", "ab€x\\INST", "ab€x,1433"] {
            assert!(matches!(parse_server_name(bad), Err(SqlError::Connect(_))), "{bad:?}");
        }
        assert_eq!(parse_server_name("tcp:db1\\Inst€nz").unwrap(), t("db1", None, Some("Inst€nz")));
    }

    fn spec(windows: bool, password: &str) -> ConnectionSpec {
        ConnectionSpec {
            engine: EngineKind::Tds,
            server_name: "db1,1433".into(),
            sql_login: "backup_user".into(),
            sql_password: password.into(),
            use_windows_auth: windows,
            trust_server_certificate: true,
            staging_dir: None,
        }
    }

    #[test]
    fn windows_auth_rejected_clearly() {
        let e = TdsEngine::new(spec(true, "pw")).unwrap_err();
        assert!(matches!(&e, SqlError::Connect(m) if m.contains("Windows authentication")));
    }

    #[test]
    fn debug_has_no_password() {
        let e = TdsEngine::new(spec(false, "Hunter2-very-secret")).unwrap();
        assert!(!format!("{e:?}").contains("Hunter2-very-secret"));
    }

    #[test]
    fn driver_error_mapping() {
        let io: tiberius::error::Error = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused").into();
        assert!(matches!(map_err(io, "x"), SqlError::Connect(_)));
        let conv = tiberius::error::Error::Conversion("bad".into());
        assert!(matches!(map_err(conv, "x"), SqlError::Engine(_)));
    }

    #[tokio::test]
    async fn unreachable_server_is_connect_error() {
        // Port 1 on localhost: nothing listens there.
        let mut s = spec(false, "pw");
        s.server_name = "127.0.0.1,1".into();
        let e = TdsEngine::new(s).unwrap();
        assert!(matches!(e.list_databases().await, Err(SqlError::Connect(_))));
        let report = e.precheck().await.unwrap();
        assert!(!report.ok);
        assert!(!report.checks[0].passed);
    }
}
