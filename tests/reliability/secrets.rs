//! Reliability, scenario 6: secrets. The real binary runs with `RUST_LOG=trace`; the access-key
//! secret and a SQL Server password must never appear in any API response, any log line, the
//! output of a SIGTERM shutdown or a SIGKILL crash, or (for the password) any file of the data
//! dir in clear: the password is sealed at rest. Files holding secrets are 0600.
use std::path::Path;
use std::time::Duration;

use crate::support::child::{Backend, Launch};
use crate::support::{files_under, make_tree, wait_backup, wait_until, wait_until_blocking};
use mirrorvault::signing::encode::percent_encode;
use mirrorvault::client::{Client, Credentials};

/// The forms a secret could leak in: raw, percent-encoded, form-encoded, base64, hex.
fn forms(secret: &str) -> Vec<String> {
    use base64::Engine;
    vec![
        secret.to_string(),
        percent_encode(secret),
        form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        hex::encode(secret),
    ]
}

fn assert_absent(what: &str, haystack: &str, secrets: &[&str]) {
    for s in secrets {
        for f in forms(s) {
            if let Some(line) = haystack.lines().find(|l| l.contains(&f)) {
                panic!("{what} contains a secret (as {f:?}) in: {}", line.chars().take(600).collect::<String>());
            }
        }
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_leak_into_responses_logs_or_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("backend");
    let secret = format!("sk-{}", uuid::Uuid::new_v4().simple());
    let password = format!("Pw! x+y/{}", uuid::Uuid::new_v4().simple());
    let creds = Credentials { access_key_id: "LTAIsecretstest01".into(), access_key_secret: secret.clone() };
    let launch = Launch { data_dir: &data_dir, delay: "5s", credentials: creds.clone(), rust_log: "trace", extra_env: vec![] };
    let mut b = Backend::start(&launch);
    let c = b.client.clone();
    let mut responses = String::new();
    fn keep_in(out: &mut String, v: &serde_json::Value) {
        out.push_str(&v.to_string());
    }
    macro_rules! keep {
        ($v:expr) => {
            keep_in(&mut responses, $v)
        };
    }

    // a tour of the API, including failures
    keep!(&c.call::<serde_json::Value>("DescribeRegions", &[]).await.unwrap());
    keep!(&c.call::<serde_json::Value>("DescribeSettings", &[]).await.unwrap());
    let bc: serde_json::Value = c.call("CreateBackupClient", &[("ClientName", "secrets".into()), ("VaultRegionId", "cn-hangzhou".into())]).await.unwrap();
    keep!(&bc);
    let vault = bc["VaultId"].as_str().unwrap().to_string();
    let client_id = bc["ClientId"].as_str().unwrap().to_string();
    wait_until(Duration::from_secs(10), "the vault CREATED", || async { c.vault(&vault).await.unwrap().unwrap().status == "CREATED" }).await;
    let src = tmp.path().join("src");
    make_tree(&src, 3, 4);
    let job = c.create_backup_job(&vault, &client_id, &[src.display().to_string()], &[]).await.unwrap();
    assert_eq!(wait_backup(&c, &job.job_id).await.job.status, "COMPLETE");
    let inst = c
        .call::<serde_json::Value>(
            "CreateSqlServerInstance",
            &[
                ("VaultId", vault.clone()),
                ("Engine", "DEMO".into()),
                // a demo instance by name: it lives under DATA/sqlserver-demo/ (never outside the data dir)
                ("ServerName", "secrets-instance".to_string()),
                ("SqlLogin", "sa".into()),
                ("SqlPassword", password.clone()),
            ],
        )
        .await;
    let sql_supported = match &inst {
        Ok(v) => {
            keep!(v);
            let cluster = v["ClusterId"].as_str().unwrap_or_default().to_string();
            for (a, p) in [
                ("DescribeSqlServerInstances", vec![("VaultId", vault.clone())]),
                ("PrecheckSqlServerInstance", vec![("ClusterId", cluster.clone())]),
                ("DescribeSqlServerDatabases", vec![("ClusterId", cluster.clone())]),
            ] {
                match c.call::<serde_json::Value>(a, &p).await {
                    Ok(v) => keep!(&v),
                    Err(e) => responses.push_str(&e.to_string()),
                }
            }
            true
        }
        Err(e) => {
            eprintln!("CreateSqlServerInstance not available: {e}");
            false
        }
    };
    // refused requests: wrong secret, replay, a bad parameter
    let bad = Client::new(&b.endpoint, Credentials { access_key_id: creds.access_key_id.clone(), access_key_secret: format!("{secret}x") }).unwrap();
    responses.push_str(&bad.describe_regions().await.unwrap_err().to_string());
    responses.push_str(&c.call::<serde_json::Value>("DescribeVaults", &[("PageSize", password.clone())]).await.unwrap_err().to_string());
    let raw = reqwest::get(format!("{}/health", b.endpoint)).await.unwrap().text().await.unwrap();
    responses.push_str(&raw);

    assert_absent("an API response", &responses, &[&secret, &password]);

    // clean shutdown, then a crash (SIGKILL) of a second life: none of the output holds a secret
    b.terminate();
    let log1 = b.output();
    assert!(log1.contains("TRACE") || log1.contains("DEBUG"), "the backend logged at trace level");
    assert_absent("the trace log", &log1, &[&secret, &password]);
    let mut b2 = Backend::start(&launch);
    let _ = b2.client.describe_regions().await;
    b2.kill9();
    assert_absent("the crash output", &b2.output(), &[&secret, &password]);

    // at rest: the password is never in clear in any file of the data dir (catalog, WAL, ...)
    for f in files_under(&data_dir) {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert_absent(&format!("{}", f.display()), &text, &[&password, &secret]);
    }
    for f in ["master.key"] {
        assert_eq!(mode(&data_dir.join(f)), 0o600, "{f}");
    }
    for f in files_under(&data_dir.join("kms")) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    assert!(sql_supported, "CreateSqlServerInstance (Engine=DEMO) must exist for the password checks");
}

#[test]
fn generated_credentials_are_private_and_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_mirrorvault"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(tmp.path())
        .env_remove("MIRRORVAULT_ACCESS_KEY_ID")
        .env_remove("MIRRORVAULT_ACCESS_KEY_SECRET")
        .env("RUST_LOG", "trace")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let path = tmp.path().join("credentials.toml");
    wait_until_blocking(Duration::from_secs(10), "the generated credentials file", || {
        path.exists() && std::fs::read_to_string(&path).map(|s| s.contains("access_key_secret")).unwrap_or(false)
    });
    std::thread::sleep(Duration::from_millis(500));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let creds: Credentials = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(text.contains(&path.display().to_string()), "the path is printed: {text}");
    assert_absent("the output of a first start", &text, &[&creds.access_key_secret]);
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&tmp.path().join("master.key")), 0o600);
}
