//! Live SQL Server tests. They run only when `MIRRORVAULT_TEST_MSSQL` is set, e.g.
//! `server=tcp:host,1433;user=sa;password=..;TrustServerCertificate=true;staging=/shared/dir`
//! where `staging` is a directory both SQL Server and this process can read
//! and write under the same path.

use mirrorvault::backend::sqlserver::{ConnectionSpec, Engine, EngineKind, SqlError};
use std::path::PathBuf;

const ENV: &str = "MIRRORVAULT_TEST_MSSQL";

fn parse(conn: &str) -> (ConnectionSpec, PathBuf) {
    let mut spec = ConnectionSpec {
        engine: EngineKind::Tds,
        server_name: String::new(),
        sql_login: String::new(),
        sql_password: String::new(),
        use_windows_auth: false,
        trust_server_certificate: false,
        staging_dir: None,
    };
    for part in conn.split(';').filter(|p| !p.trim().is_empty()) {
        let Some((k, v)) = part.split_once('=') else { continue };
        let v = v.trim().to_string();
        match k.trim().to_ascii_lowercase().as_str() {
            "server" => spec.server_name = v,
            "user" | "uid" | "user id" => spec.sql_login = v,
            "password" | "pwd" => spec.sql_password = v,
            "trustservercertificate" => spec.trust_server_certificate = matches!(v.to_ascii_lowercase().as_str(), "true" | "yes"),
            "staging" => spec.staging_dir = Some(PathBuf::from(v)),
            _ => {}
        }
    }
    let staging = spec.staging_dir.clone().expect("MIRRORVAULT_TEST_MSSQL needs staging=<shared dir>");
    (spec, staging)
}

fn live() -> Option<(ConnectionSpec, PathBuf)> {
    match std::env::var(ENV) {
        Ok(v) if !v.trim().is_empty() => Some(parse(&v)),
        _ => {
            println!("skipped: {ENV} not set");
            None
        }
    }
}

#[tokio::test]
async fn tds_end_to_end() {
    let Some((spec, staging)) = live() else { return };
    let password = spec.sql_password.clone();
    let engine = Engine::connect(spec.clone()).unwrap();
    assert_eq!(engine.kind(), EngineKind::Tds);

    let report = engine.precheck().await.unwrap();
    println!("{report:#?}");
    assert!(report.ok, "precheck failed: {report:?}");
    assert!(report.version.contains("Microsoft SQL Server"));

    // Fixture database.
    let src = format!("mv_test_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let copy = format!("{src}_copy");
    let mut client = raw_client(&spec).await;
    client
        .execute(format!("CREATE DATABASE [{src}]"), &[])
        .await
        .unwrap();
    client
        .simple_query(format!(
            "USE [{src}]; CREATE TABLE dbo.t (id INT PRIMARY KEY, v NVARCHAR(50)); \
             INSERT INTO dbo.t SELECT TOP (1234) ROW_NUMBER() OVER (ORDER BY (SELECT 1)), N'x' FROM sys.all_objects a CROSS JOIN sys.all_objects b; USE master;"
        ))
        .await
        .unwrap()
        .into_results()
        .await
        .unwrap();

    let result = async {
        let dbs = engine.list_databases().await?;
        assert!(dbs.iter().any(|d| d.name == src && d.status == "ONLINE" && d.size_bytes > 0));
        assert!(engine.database_exists(&src).await?);

        let artifact = engine.backup_database(&src, &staging).await?;
        assert_eq!(artifact.table_row_counts.get("dbo.t"), Some(&1234));
        assert!(artifact.size_bytes > 0);

        engine.restore_database(&artifact.file, &src, &copy, false, None).await?;
        let v = engine.verify_database(&copy, &artifact.table_row_counts).await?;
        assert!(v.passed(), "{v:?}");

        let again = engine.restore_database(&artifact.file, &src, &copy, false, None).await;
        assert!(matches!(again, Err(SqlError::AlreadyExists(_))), "{again:?}");
        engine.restore_database(&artifact.file, &src, &copy, true, None).await?;
        assert!(matches!(engine.backup_database("mv_does_not_exist_x", &staging).await, Err(SqlError::NotFound(_))));
        let _ = std::fs::remove_file(&artifact.file);
        Ok::<_, SqlError>(())
    }
    .await;

    for db in [&copy, &src] {
        let _ = client
            .execute(format!("IF DB_ID(N'{db}') IS NOT NULL BEGIN ALTER DATABASE [{db}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{db}]; END"), &[])
            .await;
    }
    result.unwrap();

    // Wrong password: Login error that does not echo the password.
    let mut bad = spec.clone();
    bad.sql_password = format!("{password}-wrong");
    let err = Engine::connect(bad.clone()).unwrap().list_databases().await.unwrap_err();
    assert!(matches!(err, SqlError::Login(_)), "{err:?}");
    assert!(!err.to_string().contains(&bad.sql_password));
}

async fn raw_client(
    spec: &ConnectionSpec,
) -> tiberius::Client<tokio_util::compat::Compat<tokio::net::TcpStream>> {
    use tokio_util::compat::TokioAsyncWriteCompatExt;
    let mut ado = format!("server=tcp:{};user={};password={}", spec.server_name.trim_start_matches("tcp:"), spec.sql_login, spec.sql_password);
    if spec.trust_server_certificate {
        ado.push_str(";TrustServerCertificate=true");
    }
    let config = tiberius::Config::from_ado_string(&ado).unwrap();
    let tcp = tokio::net::TcpStream::connect(config.get_addr()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    tiberius::Client::connect(config, tcp.compat_write()).await.unwrap()
}

#[test]
fn skip_message_when_unset() {
    if std::env::var(ENV).is_err() {
        assert!(live().is_none());
    }
}

