//! Reliability, scenario 4 (hostile input) and 5 (authentication), on the real server.
//!
//! * `hostile_requests_never_5xx_and_change_nothing`: a proptest sends >= 10,000 malformed
//!   requests (missing / oversized / wrong-typed parameters, huge bodies, deep JSON, invalid
//!   UTF-8, path traversal in Include / TargetPath / FileDestination, SQL-injection-looking names),
//!   most of them correctly signed so they reach the handlers. Promise: no 5xx, the server stays
//!   up, no byte of any storage location changes, no file appears outside the data dir, every
//!   restore/backup with an unsafe path is refused. `MIRRORVAULT_HOSTILE_CASES` changes the count.
//! * `sql_injection_looking_names_are_data`: such names are stored and filtered literally.
//! * `every_action_refuses_bad_authentication`: unsigned, unknown key, wrong secret, tampered,
//!   expired and replayed requests are 403 for every action in `mirrorvault::api::ACTIONS`, in
//!   both signature dialects.
//! * `non_loopback_serve_needs_credentials` / `console_backend_is_loopback_only`.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::support::rpc::{query, rpc_signed};
use crate::support::*;
use mirrorvault::signing::encode::percent_encode;
use mirrorvault::client::{Client, Credentials};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

// ---------------------------------------------------------------------------------------------
// Hostile requests

const PARAM_NAMES: &[&str] = &[
    "VaultId", "VaultName", "VaultRegionId", "Description", "VaultType", "EncryptType", "KmsKeyId", "Replication",
    "ReplicationRateLimit", "ReplicationSourceVaultId", "ReplicationSourceRegionId", "ReplicationTargetVaultId",
    "ClientId", "ClientName", "ClientType", "SourceType", "Include", "Include.1", "Include.2", "Include.x", "Exclude",
    "Exclude.1", "JobId", "RestoreId", "SnapshotId", "RestoreType", "TargetPath", "Overwrite", "ReadData", "TaskId",
    "RegionId", "Outage", "Status", "PageNumber", "PageSize", "FileDestination", "ServerName", "SqlPassword",
    "SqlUser", "InstanceId", "InstanceName", "DatabaseName", "Engine", "ClusterId", "Version", "Action",
];

/// Values that are wrong in some way (or merely odd but legal).
fn hostile_value() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "",
        " ",
        "'; DROP TABLE vaults; --",
        "\" OR 1=1 --",
        "' OR '1'='1",
        "%",
        "_",
        "v-%",
        "1; DELETE FROM snapshots",
        "../../../../etc/passwd",
        "/tmp/../etc",
        "/a/./b",
        "/..",
        "..",
        ".",
        "relative/dir",
        "C:\\Windows\\System32",
        "..\\..\\boot.ini",
        "/tmp/x\u{0}y",
        "\u{0}",
        "%00",
        "/dev/null/../../root",
        "[\"/tmp/../etc\"]",
        "[\"relative\"]",
        "[1,2,3]",
        "[null]",
        "{\"a\":1}",
        "[",
        "]",
        "[\"a\",",
        "-1",
        "0",
        "-9223372036854775808",
        "9223372036854775807",
        "99999999999999999999999999",
        "1e308",
        "NaN",
        "true",
        "yes",
        "2017-09-08",
        "2099-01-01",
        "STANDARD",
        "KMS",
        "HBR_PRIVATE",
        "mars-1",
        "\u{202e}evil\u{202d}",
        "😀😀😀",
        "\u{fffd}",
        "line\nbreak",
        "tab\there",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        4 => fixed,
        2 => "[ -~]{0,40}",
        2 => ".{0,30}",
        1 => (65usize..4000).prop_map(|n| "n".repeat(n)),
        1 => (1usize..3000).prop_map(|d| format!("{}{}", "[".repeat(d), "]".repeat(d))),
        1 => (1usize..3000).prop_map(|d| format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d))),
        1 => prop::collection::vec("[ -~]{0,12}", 0..20).prop_map(|v| serde_json::to_string(&v).unwrap()),
    ]
}

#[derive(Clone, Debug)]
enum Mode {
    /// Correctly signed RPC GET: the handlers see every parameter.
    RpcGet,
    /// Correctly signed RPC POST with the parameters in a form body.
    RpcForm,
    /// Our ACS3 client (the Tea SDK scheme), correctly signed.
    Acs3,
    /// Unsigned, or with a garbage Authorization header.
    Unsigned { garbage_auth: bool },
}

#[derive(Clone, Debug)]
enum Body {
    None,
    InvalidUtf8,
    /// Over the 1 MiB limit (but under axum's default 2 MB, so only our limit refuses it).
    Huge,
    DeepJson(usize),
    Random(Vec<u8>),
}

#[derive(Clone, Debug)]
struct HostileRequest {
    action: String,
    params: Vec<(String, String)>,
    mode: Mode,
    body: Body,
    /// Use the real vault / snapshot / client ids where the action takes them.
    real_ids: bool,
}

fn hostile_request() -> impl Strategy<Value = HostileRequest> {
    let mut actions: Vec<String> = mirrorvault::api::ACTIONS.iter().map(|s| s.to_string()).collect();
    actions.extend(["", "describeVaults", "DescribeVaults ", "../Admin", "DescribeVaults\u{0}", "X".repeat(300).as_str()].map(String::from));
    let action = prop_oneof![4 => prop::sample::select(actions), 1 => "[ -~]{0,20}"];
    let key = prop_oneof![8 => prop::sample::select(PARAM_NAMES.to_vec()).prop_map(str::to_string), 1 => "[ -~]{1,12}", 1 => (1usize..300).prop_map(|n| "K".repeat(n))];
    let params = prop::collection::vec((key, hostile_value()), 0..7);
    let mode = prop_oneof![
        5 => Just(Mode::RpcGet),
        3 => Just(Mode::RpcForm),
        3 => Just(Mode::Acs3),
        1 => any::<bool>().prop_map(|g| Mode::Unsigned { garbage_auth: g }),
    ];
    let body = prop_oneof![
        40 => Just(Body::None),
        3 => Just(Body::InvalidUtf8),
        1 => Just(Body::Huge),
        2 => (1usize..50_000).prop_map(Body::DeepJson),
        3 => prop::collection::vec(any::<u8>(), 0..512).prop_map(Body::Random),
    ];
    (action, params, mode, body, prop::bool::weighted(0.4)).prop_map(|(action, params, mode, body, real_ids)| HostileRequest { action, params, mode, body, real_ids })
}

/// Actions that must not be given real ids with random values: they could legitimately change
/// state (delete a client, rename the vault, ...). Everything else is read-only, or refuses the
/// unsafe values this test makes sure they get.
const MUTATING: &[&str] = &[
    "DeleteVault", "UpdateVault", "DeleteBackupClient", "CreateReplicationVault", "CreateVaultReplication",
    "DeleteVaultReplication", "RepairVaultFromMirror", "SyncReplicationVaultNow", "CancelBackupJob", "SetRegionOutage",
    "DeleteSqlServerInstance", "CancelSqlServerRestore", "CreateBackupClient", "CreateVault", "CreateSqlServerInstance",
    "DeleteSnapshot",
];

struct World {
    vault_id: String,
    client_id: String,
    snapshot_id: String,
}

/// Makes a path-like value unusable as a real destination: a clean absolute path (which a
/// restore could legitimately write to, or a backup read) gets a `..` segment.
fn poison_path(v: &str) -> String {
    let clean_abs = v.starts_with('/') && !v.split('/').any(|s| s == "." || s == "..") && !v.contains('\0');
    if clean_abs {
        format!("{v}/../escape")
    } else {
        v.to_string()
    }
}

fn poison_list(v: &str) -> String {
    if v.trim_start().starts_with('[') {
        if let Ok(items) = serde_json::from_str::<Vec<serde_json::Value>>(v) {
            let items: Vec<serde_json::Value> = items
                .into_iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => serde_json::Value::String(poison_path(&s)),
                    other => other,
                })
                .collect();
            return serde_json::to_string(&items).unwrap();
        }
        return v.to_string();
    }
    poison_path(v)
}

impl HostileRequest {
    /// The parameters as sent, with real ids filled in where allowed and every path made unsafe.
    fn final_params(&self, w: &World) -> Vec<(String, String)> {
        let mut p = self.params.clone();
        let real = self.real_ids && !MUTATING.contains(&self.action.as_str());
        if real {
            p.retain(|(k, _)| !["VaultId", "SnapshotId", "ClientId"].contains(&k.as_str()));
            p.push(("VaultId".into(), w.vault_id.clone()));
            p.push(("SnapshotId".into(), w.snapshot_id.clone()));
            p.push(("ClientId".into(), w.client_id.clone()));
            // make sure path parameters are there, so the checks are exercised
            if !p.iter().any(|(k, _)| k == "TargetPath") {
                p.push(("TargetPath".into(), "/tmp/../escape".into()));
            }
            if !p.iter().any(|(k, _)| k.starts_with("Include")) {
                p.push(("Include".into(), "[\"../etc\"]".into()));
            }
        }
        for (k, v) in p.iter_mut() {
            if k.starts_with("Include") || k.starts_with("Exclude") || k == "TargetPath" || k == "FileDestination" {
                *v = if k.contains('.') { poison_path(v) } else { poison_list(v) };
            }
        }
        // a path-taking action with a real vault must always see a bad TargetPath / Include
        p
    }
}

/// Every file under `root` (relative name -> BLAKE3 of its bytes), skipping the catalog.
/// Every stored object under `root` (the regions dir) and its hash — except each location's
/// `locks/writer`, the backend's own heartbeat (rewritten every 30 s), which is not vault data.
fn fingerprint(root: &Path) -> BTreeMap<PathBuf, String> {
    files_under(root)
        .into_iter()
        .filter(|p| p.strip_prefix(root).map_or(true, |rel| rel.components().nth(1).map_or(true, |c| c.as_os_str() != "locks")))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p.strip_prefix(root).unwrap().to_path_buf(), blake3::hash(&bytes).to_hex().to_string())
        })
        .collect()
}

/// A short description of a request for failure messages (values cut to 60 characters).
fn brief(r: &HostileRequest) -> String {
    let cut = |s: &str| if s.chars().count() > 60 { format!("{}…({} chars)", s.chars().take(60).collect::<String>(), s.chars().count()) } else { s.to_string() };
    let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{}={:?}", cut(k), cut(v))).collect();
    let body = match &r.body {
        Body::Random(b) => format!("Random({} bytes)", b.len()),
        other => format!("{other:?}"),
    };
    format!("{} {:?} [{}] body={body} real_ids={}", cut(&r.action), r.mode, params.join(", "), r.real_ids)
}

#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    by_status: Mutex<BTreeMap<u16, u64>>,
    failures: Mutex<Vec<String>>,
}

async fn send(http: &reqwest::Client, ep: &str, client: &Client, w: &World, r: &HostileRequest, tally: &Tally) {
    let c = creds();
    let params = r.final_params(w);
    let nonce = uuid::Uuid::new_v4().to_string();
    let body: Option<Vec<u8>> = match &r.body {
        Body::None => None,
        Body::InvalidUtf8 => Some(b"VaultName=\xff\xfe\xfd&Include=%FF%FE".to_vec()),
        Body::Huge => Some(vec![b'a'; 1024 * 1024 + 512 * 1024]),
        Body::DeepJson(d) => Some(format!("Include={}{}", "[".repeat(*d), "]".repeat(*d)).into_bytes()),
        Body::Random(b) => Some(b.clone()),
    };
    // URLs are limited to 64 KiB by the HTTP client itself: long parameter sets go in a form body.
    let long = params.iter().map(|(k, v)| k.len() + v.len() * 3).sum::<usize>() > 20_000;
    let mode = match &r.mode {
        Mode::RpcGet | Mode::Acs3 if long => Mode::RpcForm,
        // the action travels in a header with ACS3: the HTTP client refuses odd header values
        Mode::Acs3 if !r.action.bytes().all(|b| b.is_ascii_graphic()) => Mode::RpcGet,
        other => other.clone(),
    };
    let body = if long && matches!(mode, Mode::RpcForm) { None } else { body };
    let huge_sent = !matches!(mode, Mode::Acs3) && body.as_ref().is_some_and(|b| b.len() > 1024 * 1024);
    let status: u16 = match &mode {
        Mode::Acs3 => {
            let p: Vec<(&str, String)> = params.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            match client.call::<serde_json::Value>(&r.action, &p).await {
                Ok(_) => 200,
                Err(mirrorvault::client::ClientError::Api { status, .. }) => status,
                Err(e) => {
                    tally.failures.lock().unwrap().push(format!("{}: transport error {}", brief(r), format!("{e:?}").chars().take(300).collect::<String>()));
                    0
                }
            }
        }
        Mode::RpcGet | Mode::RpcForm => {
            let method = if matches!(mode, Mode::RpcGet) && body.is_none() { "GET" } else { "POST" };
            let signed = rpc_signed(&r.action, &params, &c.access_key_secret, &c.access_key_id, &nonce, SystemTime::now(), method);
            let req = if method == "GET" {
                http.get(format!("{ep}/?{}", query(&signed)))
            } else if matches!(mode, Mode::RpcForm) && body.is_none() {
                // business parameters in the form body, signature fields in the query
                let (q, f): (Vec<_>, Vec<_>) = signed.into_iter().partition(|(k, _)| mirrorvault::backend::params::PROTOCOL_PARAMS.contains(&k.as_str()));
                http.post(format!("{ep}/?{}", query(&q))).header("content-type", "application/x-www-form-urlencoded").body(query(&f))
            } else {
                http.post(format!("{ep}/?{}", query(&signed)))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body.clone().unwrap_or_default())
            };
            match req.send().await {
                Ok(resp) => resp.status().as_u16(),
                Err(e) => {
                    tally.failures.lock().unwrap().push(format!("{}: transport error {}", brief(r), format!("{e:?}").chars().take(300).collect::<String>()));
                    0
                }
            }
        }
        Mode::Unsigned { garbage_auth } => {
            let mut all = vec![("Action".to_string(), r.action.clone())];
            if !long {
                all.extend(params.clone());
            }
            let mut req = http.post(format!("{ep}/?{}", query(&all))).header("x-acs-action", percent_encode(&r.action));
            if *garbage_auth {
                req = req.header("authorization", format!("ACS3-HMAC-SHA256 Credential={},SignedHeaders=;;;,Signature=zz", "K".repeat(200)));
            }
            if let Some(b) = body.clone() {
                req = req.header("content-type", "application/x-www-form-urlencoded").body(b);
            }
            match req.send().await {
                Ok(resp) => resp.status().as_u16(),
                Err(e) => {
                    tally.failures.lock().unwrap().push(format!("{}: transport error {}", brief(r), format!("{e:?}").chars().take(300).collect::<String>()));
                    0
                }
            }
        }
    };
    tally.sent.fetch_add(1, Ordering::Relaxed);
    *tally.by_status.lock().unwrap().entry(status).or_default() += 1;
    if status >= 500 || status == 0 {
        tally.failures.lock().unwrap().push(format!("{status} for {}", brief(r)));
    }
    // Protections with a definite answer:
    if huge_sent && status != 413 {
        tally.failures.lock().unwrap().push(format!("a {} byte body was answered {status}, not 413: {}", 1024 * 1024 + 512 * 1024, brief(r)));
    }
    let signed_mode = matches!(r.mode, Mode::RpcGet | Mode::RpcForm | Mode::Acs3);
    if signed_mode && status == 200 && ["CreateRestoreJob", "CreateBackupJob", "CreateSqlServerRestore"].contains(&r.action.as_str()) {
        tally.failures.lock().unwrap().push(format!("an unsafe path was accepted (200): {}", brief(r)));
    }
    if matches!(r.mode, Mode::Unsigned { .. }) && status == 200 {
        tally.failures.lock().unwrap().push(format!("an unsigned request was served: {}", brief(r)));
    }
}

#[test]
fn hostile_requests_never_5xx_and_change_nothing() {
    let cases: u32 = std::env::var("MIRRORVAULT_HOSTILE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let t = rt.block_on(TestServer::start());
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 21, 8);
    let world = rt.block_on(async {
        let c = t.client.create_backup_client("hostile", "cn-hangzhou", None).await.unwrap();
        t.wait_created(&c.vault_id).await;
        let s = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
        World { vault_id: c.vault_id, client_id: c.client_id, snapshot_id: s }
    });
    let before = fingerprint(&t.dir.path().join("regions"));
    let canary_root = PathBuf::from("/escape");
    let tmp_before: Vec<_> = std::fs::read_dir("/tmp").map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect()).unwrap_or_default();
    let vaults_before = rt.block_on(t.client.all_vaults()).unwrap().len();

    // A fresh connection per raw request: the server answers an oversized body with 413 and closes
    // that connection, and a pooled client can race the close and report a transport error for
    // the next request on it (seen in CI with no server-side panic; server panics are caught by
    // the in-process server's output and by the status tally).
    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).timeout(Duration::from_secs(30)).build().unwrap();
    let ep = t.endpoint();
    let tally = Arc::new(Tally::default());
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 50, ..Config::default() });
    let started = std::time::Instant::now();
    let result = runner.run(&hostile_request(), |r| {
        let before_failures = tally.failures.lock().unwrap().len();
        rt.block_on(send(&http, &ep, &t.client, &world, &r, &tally));
        let failures = tally.failures.lock().unwrap();
        prop_assert!(failures.len() == before_failures, "{}", failures.last().unwrap());
        Ok(())
    });
    let elapsed = started.elapsed();
    let by_status = tally.by_status.lock().unwrap().clone();
    eprintln!("hostile: {} requests in {elapsed:.1?}, by status {by_status:?}", tally.sent.load(Ordering::Relaxed));
    if result.is_err() {
        let failures = tally.failures.lock().unwrap();
        panic!("hostile input broke a promise ({} failing requests, incl. shrinking); first: {}\nlast (minimal): {}", failures.len(), failures.first().unwrap(), failures.last().unwrap());
    }
    assert!(tally.sent.load(Ordering::Relaxed) >= cases as u64);
    assert!(by_status.keys().all(|s| *s < 500), "{by_status:?}");

    // The server is up and answers normally; nothing of the storage changed.
    rt.block_on(async {
        t.client.health().await.unwrap();
        // jobs created by the hostile requests (verify jobs) finish before we look
        tokio::time::sleep(Duration::from_millis(500)).await;
        let vaults = t.client.all_vaults().await.unwrap();
        assert_eq!(vaults.len(), vaults_before, "no vault was created or deleted");
        let snaps = t.client.describe_snapshots(&world.vault_id).await.unwrap().snapshots.snapshot;
        assert_eq!(snaps.len(), 1);
    });
    let after = fingerprint(&t.dir.path().join("regions"));
    let changed: Vec<_> = before.iter().filter(|(k, v)| after.get(*k) != Some(v)).map(|(k, _)| k).chain(after.keys().filter(|k| !before.contains_key(*k))).collect();
    assert!(changed.is_empty(), "storage changed: {changed:?}");
    assert!(!canary_root.exists(), "a path traversal wrote {}", canary_root.display());
    let tmp_after: Vec<_> = std::fs::read_dir("/tmp").map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect()).unwrap_or_default();
    let escaped: Vec<_> = tmp_after.iter().filter(|n| !tmp_before.contains(n) && n.to_string_lossy().contains("escape")).collect();
    assert!(escaped.is_empty(), "{escaped:?}");
    // the snapshot still restores byte for byte
    rt.block_on(async {
        let out = tempfile::tempdir().unwrap();
        let r = t.client.create_restore_job(&world.vault_id, &world.snapshot_id, &out.path().display().to_string(), &[], false).await.unwrap();
        let j = wait_restore(&t.client, &r.restore_id).await;
        assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
        assert_trees_equal_content_mode_mtime(src.path(), &out.path().join(src.path().strip_prefix("/").unwrap()));
    });
    drop(t);
}

#[tokio::test]
async fn sql_injection_looking_names_are_data() {
    let t = TestServer::start().await;
    let names = ["'; DROP TABLE vaults; --", "\" OR 1=1 --", "%", "_", "a%b_c", "Robert'); DELETE FROM snapshots;--"];
    let mut ids = Vec::new();
    for n in names {
        let v = t.client.create_vault("cn-beijing", n, n).await.unwrap();
        ids.push(v.vault_id);
    }
    let plain = t.client.create_vault("cn-beijing", "plain", "").await.unwrap().vault_id;
    let all = t.client.all_vaults().await.unwrap();
    assert_eq!(all.len(), names.len() + 1);
    for (n, id) in names.iter().zip(&ids) {
        let v = all.iter().find(|v| &v.vault_id == id).unwrap();
        assert_eq!(v.vault_name, *n);
        assert_eq!(v.description, *n);
    }
    // the VaultName filter is a literal substring match: wildcards match only themselves
    let by_name = |name: &str| {
        let c = t.client.clone();
        let name = name.to_string();
        async move {
            let r: mirrorvault::api::vault::DescribeVaultsResponse =
                c.call("DescribeVaults", &[("VaultName", name), ("PageSize", "100".to_string())]).await.unwrap();
            r.vaults.vault.into_iter().map(|v| v.vault_name).collect::<Vec<_>>()
        }
    };
    let pct = by_name("%").await;
    assert!(pct.iter().all(|n| n.contains('%')), "VaultName=% matched {pct:?}");
    assert_eq!(pct.len(), 2, "{pct:?}");
    let us = by_name("_").await;
    assert!(us.iter().all(|n| n.contains('_')), "VaultName=_ matched {us:?}");
    let inj = by_name("' OR '1'='1").await;
    assert!(inj.is_empty(), "{inj:?}");
    assert!(t.client.vault(&plain).await.unwrap().is_some());
}

// ---------------------------------------------------------------------------------------------
// Authentication for every action

async fn get(http: &reqwest::Client, endpoint: &str, p: &[(String, String)]) -> (u16, String) {
    let r = http.get(format!("{endpoint}/?{}", query(p))).send().await.unwrap();
    let status = r.status().as_u16();
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    (status, body["Code"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn every_action_refuses_bad_authentication() {
    let t = TestServer::start().await;
    let c = creds();
    let ep = t.endpoint();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let now = SystemTime::now();
    let n = || uuid::Uuid::new_v4().to_string();
    let none: Vec<(String, String)> = Vec::new();
    assert!(mirrorvault::api::ACTIONS.len() >= 26);
    for action in mirrorvault::api::ACTIONS {
        let (s, code) = get(&http, &ep, &[("Action".into(), action.to_string())]).await;
        assert_eq!((s, code.as_str()), (403, "MissingSignature"), "{action} unsigned");
        let (s, code) = get(&http, &ep, &rpc_signed(action, &none, &c.access_key_secret, "LTAIunknown", &n(), now, "GET")).await;
        assert_eq!((s, code.as_str()), (403, "InvalidAccessKeyId.NotFound"), "{action} unknown key");
        let (s, code) = get(&http, &ep, &rpc_signed(action, &none, "wrong-secret", &c.access_key_id, &n(), now, "GET")).await;
        assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"), "{action} wrong secret");
        let mut p = rpc_signed(action, &[("VaultId".into(), "v-1".into())], &c.access_key_secret, &c.access_key_id, &n(), now, "GET");
        p.iter_mut().find(|(k, _)| k == "VaultId").unwrap().1 = "v-2".into();
        let (s, code) = get(&http, &ep, &p).await;
        assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"), "{action} tampered");
        let mut p = rpc_signed(action, &none, &c.access_key_secret, &c.access_key_id, &n(), now, "GET");
        p.iter_mut().find(|(k, _)| k == "Signature").unwrap().1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".into();
        let (s, code) = get(&http, &ep, &p).await;
        assert_eq!((s, code.as_str()), (403, "SignatureDoesNotMatch"), "{action} wrong signature");
        for skew in [-16i64 * 60, 16 * 60, -24 * 3600] {
            let at = if skew < 0 { now - Duration::from_secs(-skew as u64) } else { now + Duration::from_secs(skew as u64) };
            let (s, code) = get(&http, &ep, &rpc_signed(action, &none, &c.access_key_secret, &c.access_key_id, &n(), at, "GET")).await;
            assert_eq!((s, code.as_str()), (403, "InvalidTimeStamp.Expired"), "{action} skew {skew}s");
        }
        // replay: a read-only parameterless call is accepted once, then refused
        let nonce = n();
        let p = rpc_signed(action, &[("VaultId".into(), "v-does-not-exist".into())], &c.access_key_secret, &c.access_key_id, &nonce, now, "GET");
        let (first, code) = get(&http, &ep, &p).await;
        assert_ne!(first, 403, "{action}: a fresh signed request passes authentication ({code})");
        let (s, code) = get(&http, &ep, &p).await;
        assert_eq!((s, code.as_str()), (403, "SignatureNonceUsed"), "{action} replay");
        // ACS3 (Tea SDK scheme): wrong secret and unknown key
        let bad = Client::new(&ep, Credentials { access_key_id: c.access_key_id.clone(), access_key_secret: "nope".into() }).unwrap();
        let e = bad.call::<serde_json::Value>(action, &[]).await.unwrap_err();
        assert_eq!(e.code(), Some("SignatureDoesNotMatch"), "{action} acs3 wrong secret");
        let bad = Client::new(&ep, Credentials { access_key_id: "LTAIother".into(), access_key_secret: c.access_key_secret.clone() }).unwrap();
        let e = bad.call::<serde_json::Value>(action, &[]).await.unwrap_err();
        assert_eq!(e.code(), Some("InvalidAccessKeyId.NotFound"), "{action} acs3 unknown key");
        // ACS3 replay of a captured request: same headers, same nonce
        let date = humantime::format_rfc3339_seconds(now).to_string();
        let hdrs = [("x-acs-action", action.to_string()), ("x-acs-date", date.clone()), ("x-acs-signature-nonce", nonce.clone() + "-acs3"), ("x-acs-version", "2017-09-08".to_string())];
        let payload = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b""));
        let host = ep.trim_start_matches("http://").to_string();
        let mut all: Vec<(&str, String)> = vec![("host", host.clone()), ("x-acs-content-sha256", payload.clone())];
        all.extend(hdrs.iter().cloned());
        all.sort();
        let canonical_headers: String = all.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
        let creq = format!("POST\n/\n\n{canonical_headers}\n{}\n{payload}", signed.join(";"));
        let sig = mirrorvault::signing::acs3::sign(&c.access_key_secret, &creq);
        let send = || {
            let mut rb = http
                .post(format!("{ep}/"))
                .header("authorization", format!("ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={sig}", c.access_key_id, signed.join(";")))
                .header("x-acs-content-sha256", payload.clone());
            for (k, v) in &hdrs {
                rb = rb.header(*k, v);
            }
            rb.send()
        };
        let first = send().await.unwrap().status().as_u16();
        assert_ne!(first, 403, "{action}: a fresh ACS3 request passes authentication");
        let r = send().await.unwrap();
        assert_eq!(r.status().as_u16(), 403, "{action} acs3 replay");
        let b: serde_json::Value = r.json().await.unwrap();
        assert_eq!(b["Code"], "SignatureNonceUsed", "{action}");
    }
}

#[test]
fn non_loopback_serve_needs_credentials() {
    let bin = env!("CARGO_BIN_EXE_mirrorvault");
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--listen", "0.0.0.0:0"])
        .env_remove("MIRRORVAULT_ACCESS_KEY_ID")
        .env_remove("MIRRORVAULT_ACCESS_KEY_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success(), "serve on 0.0.0.0 without credentials started");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("non-loopback") && err.contains("MIRRORVAULT_ACCESS_KEY_ID"), "{err}");
    assert!(!dir.path().join("credentials.toml").exists(), "no credentials may be generated for a public listener");
}

#[test]
fn console_backend_is_loopback_only() {
    let dir = tempfile::tempdir().unwrap();
    let opts = mirrorvault::launcher::embedded_serve_options(dir.path());
    assert!(opts.listen.ip().is_loopback(), "{}", opts.listen);
    assert_eq!(opts.listen.ip().to_string(), "127.0.0.1");
}
