//! Test helpers: a real backend on 127.0.0.1:0 in a temp dir, and a client for it.
#![allow(dead_code)]
use std::time::{Duration, Instant};

use mirrorvault::backend::{self, RunningServer, ServeOptions};
use mirrorvault::signing::Credentials;
use mirrorvault::client::Client;

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub client: Client,
    pub dir: tempfile::TempDir,
}

pub fn creds() -> Credentials {
    Credentials { access_key_id: "LTAItestkey0001".into(), access_key_secret: "test-secret-0001".into() }
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(Duration::from_secs(90 * 60)).await
    }

    pub async fn start_with(delay: Duration) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, delay).await
    }

    pub async fn start_in(dir: tempfile::TempDir, delay: Duration) -> TestServer {
        let opts = ServeOptions {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            historical_sync_delay: delay,
            demo: false,
            credentials: Some(creds()),
        };
        let server = backend::start(opts, None).await.expect("backend starts");
        let client = Client::new(&server.endpoint(), creds()).unwrap();
        TestServer { server: Some(server), client, dir }
    }

    pub fn endpoint(&self) -> String {
        self.server.as_ref().unwrap().endpoint()
    }

    /// Stops the server and starts a new one on the same data dir.
    pub async fn restart(mut self) -> TestServer {
        let delay = self.server.as_ref().unwrap().state.settings.historical_sync_delay;
        self.server.take().unwrap().shutdown().await;
        Self::start_in(self.dir, delay).await
    }

    /// Creates a vault and waits until it is CREATED.
    pub async fn vault(&self, region: &str, name: &str) -> String {
        let id = self.client.create_vault(region, name, "").await.expect("create vault").vault_id;
        self.wait_created(&id).await;
        id
    }

    pub async fn wait_created(&self, vault_id: &str) {
        wait_until(Duration::from_secs(20), || async {
            self.client.vault(vault_id).await.ok().flatten().map(|v| v.status == "CREATED").unwrap_or(false)
        })
        .await;
    }
}

/// Polls `cond` until it holds or `timeout` passes (then panics).
pub async fn wait_until<F, Fut>(timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if cond().await {
            return;
        }
        if Instant::now() > deadline {
            panic!("condition not reached within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ENDED: [&str; 3] = ["COMPLETE", "FAILED", "CANCELED"];

/// Polls `fetch` until the job it returns has ended (or two minutes pass).
async fn wait_ended<T, F, Fut>(what: &str, status: impl Fn(&T) -> &str, mut fetch: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(j) = fetch().await {
            if ENDED.contains(&status(&j)) {
                return j;
            }
        }
        assert!(Instant::now() < deadline, "{what} did not end");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Waits for a backup job to end; returns its row.
pub async fn wait_backup(client: &Client, job_id: &str) -> mirrorvault::api::backup::BackupJob {
    wait_ended(job_id, |j: &mirrorvault::api::backup::BackupJob| j.job.status.as_str(), || async {
        client.describe_backup_jobs(None, Some(job_id)).await.expect("describe jobs").backup_jobs.backup_job.into_iter().next()
    })
    .await
}

pub async fn wait_restore(client: &Client, restore_id: &str) -> mirrorvault::api::backup::RestoreJob {
    wait_ended(restore_id, |j: &mirrorvault::api::backup::RestoreJob| j.job.status.as_str(), || async {
        client.describe_restore_jobs(None, Some(restore_id)).await.expect("describe restores").restore_jobs.restore_job.into_iter().next()
    })
    .await
}

pub async fn wait_verify(client: &Client, job_id: &str) -> mirrorvault::api::backup::VerifyJob {
    wait_ended(job_id, |j: &mirrorvault::api::backup::VerifyJob| j.job.status.as_str(), || async {
        client.describe_verify_jobs(None, Some(job_id)).await.expect("describe verify").verify_jobs.verify_job.into_iter().next()
    })
    .await
}

pub async fn wait_sql_restore(client: &Client, restore_id: &str) -> mirrorvault::api::sqlserver::Restore {
    wait_ended(restore_id, |r: &mirrorvault::api::sqlserver::Restore| r.status.as_str(), || async {
        client.describe_sql_server_restores(Some(restore_id), None).await.expect("describe sql restores").restores.restore.into_iter().next()
    })
    .await
}

/// The dialect's error code and HTTP status of an API error.
pub fn code(e: &mirrorvault::client::ClientError) -> (&str, u16) {
    match e {
        mirrorvault::client::ClientError::Api { code, status, .. } => (code.as_str(), *status),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Backs `paths` up into `vault_id` for `client_id`; returns the snapshot id.
pub async fn backup(client: &Client, vault_id: &str, client_id: &str, paths: &[&std::path::Path]) -> String {
    let include: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let job = client.create_backup_job(vault_id, client_id, &include, &[]).await.expect("create backup job");
    let j = wait_backup(client, &job.job_id).await;
    assert_eq!(j.job.status, "COMPLETE", "backup failed: {}", j.job.error_message);
    j.snapshot_id
}

/// A deterministic tree: text, random bytes, an empty dir, a symlink, a non-UTF-8 name.
pub fn make_tree(root: &std::path::Path, seed: u64, files: usize) {
    use rand::{RngCore, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    std::fs::create_dir_all(root.join("docs/nested/deeper")).unwrap();
    std::fs::create_dir_all(root.join("empty-dir")).unwrap();
    for i in 0..files {
        let mut buf = vec![0u8; (rng.next_u32() % 20_000) as usize];
        if i % 2 == 0 {
            rng.fill_bytes(&mut buf);
        } else {
            buf = format!("line {i} of a compressible log file\n").repeat(buf.len() / 30 + 1).into_bytes();
        }
        let dir = match i % 3 { 0 => root.to_path_buf(), 1 => root.join("docs/nested"), _ => root.join("docs/nested/deeper") };
        std::fs::write(dir.join(format!("file-{i}.bin")), &buf).unwrap();
    }
    let mut big = vec![0u8; 3 * 1024 * 1024];
    rng.fill_bytes(&mut big);
    std::fs::write(root.join("big.dat"), &big).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(root.join(std::ffi::OsStr::from_bytes(b"odd-\xff\xfe-name.txt")), b"not utf-8 name").unwrap();
        std::os::unix::fs::symlink("docs/nested", root.join("link-to-nested")).unwrap();
    }
}

/// Asserts two trees are identical: names, bytes, modes, mtimes, symlinks.
pub fn assert_same_tree(a: &std::path::Path, b: &std::path::Path) {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            out.push(p.strip_prefix(root).unwrap().to_path_buf());
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let (mut la, mut lb) = (Vec::new(), Vec::new());
    walk(a, a, &mut la);
    walk(b, b, &mut lb);
    assert_eq!(la, lb, "different file lists");
    for rel in la {
        let (pa, pb) = (a.join(&rel), b.join(&rel));
        let (ma, mb) = (std::fs::symlink_metadata(&pa).unwrap(), std::fs::symlink_metadata(&pb).unwrap());
        assert_eq!(ma.file_type().is_symlink(), mb.file_type().is_symlink(), "{rel:?}");
        if ma.file_type().is_symlink() {
            assert_eq!(std::fs::read_link(&pa).unwrap(), std::fs::read_link(&pb).unwrap(), "{rel:?}");
            continue;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(ma.mode(), mb.mode(), "mode of {rel:?}");
            if ma.is_file() {
                assert_eq!(ma.mtime(), mb.mtime(), "mtime of {rel:?}");
            }
        }
        if ma.is_file() {
            assert!(std::fs::read(&pa).unwrap() == std::fs::read(&pb).unwrap(), "content of {rel:?}");
        }
    }
}

/// A signed RPC v1 (HMAC-SHA1) request's parameters as aliyun-python-sdk-core sends them: the
/// protocol parameters, then `extra` (a protocol key given again in `extra` is ignored, and of
/// a key given twice the last value counts, as on the server, so what is signed is what it sees).
pub fn rpc_signed(action: &str, extra: &[(String, String)], secret: &str, key_id: &str, nonce: &str, time: std::time::SystemTime, method: &str) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2017-09-08".into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), key_id.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("SignatureNonce".into(), nonce.into()),
        ("Timestamp".into(), humantime::format_rfc3339_seconds(time).to_string()),
    ];
    for (k, v) in extra {
        if !p.iter().any(|(pk, _)| pk == k) {
            p.push((k.clone(), v.clone()));
        }
    }
    let dedup: std::collections::BTreeMap<String, String> = p.into_iter().collect();
    let mut p: Vec<(String, String)> = dedup.into_iter().collect();
    let sig = mirrorvault::signing::rpc::sign(method, secret, p.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    p.push(("Signature".into(), sig));
    p
}

/// `k=v&…`, percent-encoded as the RPC dialect wants.
pub fn query(p: &[(String, String)]) -> String {
    use mirrorvault::signing::encode::percent_encode;
    p.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect::<Vec<_>>().join("&")
}
