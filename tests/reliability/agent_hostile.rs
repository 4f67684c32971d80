//! A hostile agent (issue 17): an upload whose bytes do not match its name, a pack that is not a
//! pack, an upload outside packs and index files, an oversized upload, another client's job,
//! a replayed upload — each refused with 4xx, nothing stored, the server still answering.
use bytes::Bytes;
use mirrorvault::api::agent::*;
use mirrorvault::client::{Client, Credentials};

use crate::support::{code, make_tree, TestServer};

/// A backup job for a client with an agent key, claimed through that key: (scoped client, job).
async fn claimed_backup(s: &TestServer) -> (Client, AgentJob) {
    let c = s.client.create_backup_client("hostile", "cn-hangzhou", None).await.unwrap();
    s.wait_created(&c.vault_id).await;
    let key = s.client.send(&CreateAgentAccessKeyRequest { client_id: c.client_id.clone() }).await.unwrap();
    let agent = Client::new(&s.endpoint(), Credentials { access_key_id: key.access_key_id, access_key_secret: key.access_key_secret }).unwrap();
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 4, 3);
    let job_id = s.client.create_backup_job(&c.vault_id, &c.client_id, &[src.path().display().to_string()], &[]).await.unwrap().job_id;
    // The job is published just after CreateBackupJob answers: a long poll waits for it.
    let hb = agent.agent(&AgentHeartbeatRequest { client_id: c.client_id.clone(), wait_seconds: Some(10), ..Default::default() }, Bytes::new()).await.unwrap();
    assert_eq!(hb.jobs, vec![AgentJobRef { job_id: job_id.clone(), job_type: JOB_BACKUP.into() }]);
    let job = agent.agent(&AgentClaimJobRequest { client_id: c.client_id.clone(), job_id }, Bytes::new()).await.unwrap().job;
    assert_eq!(job.data_key.len(), 64);
    (agent, job)
}

fn put(job: &AgentJob, key: &str) -> AgentPutObjectRequest {
    AgentPutObjectRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), key: key.into() }
}

async fn stored(agent: &Client, job: &AgentJob, prefix: &str) -> Vec<AgentObject> {
    agent.agent(&AgentListObjectsRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), prefix: prefix.into() }, Bytes::new()).await.unwrap().objects
}

#[tokio::test]
async fn hostile_uploads_are_refused_and_store_nothing() {
    let s = TestServer::start().await;
    let (agent, job) = claimed_backup(&s).await;
    let junk = Bytes::from(crate::support::fixtures::random_bytes(100_000, 1));
    let hash = blake3::hash(&junk).to_hex().to_string();
    let other = blake3::hash(b"something else").to_hex().to_string();

    // Bytes that do not hash to the pack's name.
    let e = agent.agent(&put(&job, &format!("data/{}/{other}", &other[..2])), junk.clone()).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 400), "{e}");
    // Bytes that hash to the name but are no pack of this vault (no header sealed with its key).
    let e = agent.agent(&put(&job, &format!("data/{}/{hash}", &hash[..2])), junk.clone()).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 400), "{e}");
    // An index file that is not one; a name outside packs and index files; a manifest.
    let e = agent.agent(&put(&job, &format!("index/{hash}")), junk.clone()).await.unwrap_err();
    assert_eq!(code(&e).1, 400, "{e}");
    for key in ["config", "keys/data.key", "snapshots/x", "../other/config", &format!("data/zz/{hash}"), "identity"] {
        let e = agent.agent(&put(&job, key), junk.clone()).await.unwrap_err();
        assert_eq!(code(&e), ("AgentUploadRefused", 400), "{key}: {e}");
    }
    // Reads stay inside the vault's data.
    for key in ["keys/data.key", "../../x", "/etc/passwd", "data/../keys/data.key"] {
        let e = agent.agent_bytes(&AgentGetObjectRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), key: key.into(), offset: None, length: None }, Bytes::new()).await.unwrap_err();
        assert_eq!(code(&e).1, 400, "{key}: {e}");
    }
    // Deleting what the job did not write.
    let e = agent.agent(&AgentDeleteObjectRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), key: "config".into() }, Bytes::new()).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 400));
    // Oversized: refused before it is read whole.
    let big = Bytes::from(vec![0u8; 65 << 20]);
    let e = agent.agent(&put(&job, &format!("data/{}/{hash}", &hash[..2])), big).await.unwrap_err();
    assert_eq!(code(&e).1, 413, "{e}");
    // A commit whose manifest is not the vault's.
    let e = agent.agent(&AgentFinishJobRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), status: "COMPLETE".into(), error_message: None, result: None }, junk.clone()).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 400), "{e}");
    assert!(stored(&agent, &job, "data/").await.is_empty(), "nothing was stored");
    assert!(stored(&agent, &job, "snapshots/").await.is_empty());
    s.client.describe_vaults(&Default::default()).await.expect("the server still answers");
}

/// One request signed by hand with `x-acs-content-sha256: payload` (the body's hash or
/// `UNSIGNED-PAYLOAD`), sent as often as `send` is called: (status, body) each time.
struct RawRequest {
    url: String,
    headers: Vec<(&'static str, String)>,
    authorization: String,
}

impl RawRequest {
    fn new(ep: &str, key: &CreateAgentAccessKeyResponse, path: &str, action: &str, query: &[(&str, &str)], payload: &str) -> RawRequest {
        let query = mirrorvault::signing::canonical_query(query.iter().copied());
        let date = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let headers = vec![
            ("host", ep.trim_start_matches("http://").to_string()),
            ("x-acs-action", action.to_string()),
            ("x-acs-content-sha256", payload.to_string()),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", uuid::Uuid::new_v4().to_string()),
            ("x-acs-version", "2017-09-08".to_string()),
        ];
        let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        let sig = mirrorvault::signing::acs3::sign(&key.access_key_secret, &mirrorvault::signing::acs3::canonical_request("POST", path, &query, &headers, payload));
        RawRequest { url: format!("{ep}{path}?{query}"), authorization: mirrorvault::signing::acs3::authorization(&key.access_key_id, &signed, &sig), headers }
    }

    async fn send(&self, body: &[u8]) -> (u16, serde_json::Value) {
        let mut rb = reqwest::Client::new().post(&self.url).header("authorization", &self.authorization).body(body.to_vec());
        for (k, v) in self.headers.iter().filter(|(k, _)| *k != "host") {
            rb = rb.header(*k, v);
        }
        let r = rb.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or_default())
    }
}

#[tokio::test]
async fn a_replayed_agent_upload_is_refused() {
    let s = TestServer::start().await;
    let (_agent, job) = claimed_backup(&s).await;
    let key = s.client.send(&CreateAgentAccessKeyRequest { client_id: job.client_id.clone() }).await.unwrap();
    // One signed request, captured and sent twice: the nonce is spent the first time.
    let body = b"replayed bytes".to_vec();
    let payload = mirrorvault::signing::acs3::payload_hash(&body);
    let query = [("ClientId", job.client_id.as_str()), ("JobId", job.job_id.as_str()), ("Key", "index/00")];
    let req = RawRequest::new(&s.endpoint(), &key, "/agent", "AgentPutObject", &query, &payload);
    let (_, first) = req.send(&body).await;
    assert_ne!(first["Code"], "SignatureNonceUsed", "{first}");
    assert_ne!(first["Code"], "SignatureDoesNotMatch", "{first}");
    let (status, second) = req.send(&body).await;
    assert_eq!((status, second["Code"].as_str()), (403, Some("SignatureNonceUsed")), "{second}");
    // A body swapped under the same signature does not verify.
    let req = RawRequest::new(&s.endpoint(), &key, "/agent", "AgentPutObject", &query, &payload);
    assert_eq!(req.send(b"other bytes").await.0, 403);
}

/// `UNSIGNED-PAYLOAD` (a signature without the body) is taken only for a pack or index upload,
/// whose signed name is the BLAKE3 of its bytes: bytes that do not hash to it are refused and
/// nothing is stored; for any other action or object the signature does not match.
#[tokio::test]
async fn an_upload_signed_without_its_body_must_match_its_name() {
    use mirrorvault::signing::acs3::UNSIGNED_PAYLOAD;
    let s = TestServer::start().await;
    let (agent, job) = claimed_backup(&s).await;
    let key = s.client.send(&CreateAgentAccessKeyRequest { client_id: job.client_id.clone() }).await.unwrap();
    let ep = s.endpoint();
    let junk = crate::support::fixtures::random_bytes(50_000, 2);
    let hash = blake3::hash(&junk).to_hex().to_string();
    let ids = [("ClientId", job.client_id.as_str()), ("JobId", job.job_id.as_str())];
    let with_key = |k: &str| {
        let mut q = ids.to_vec();
        q.push(("Key", k));
        q.into_iter().map(|(a, b)| (a, b.to_string())).collect::<Vec<_>>()
    };
    let send = |path: &'static str, action: &'static str, query: Vec<(&'static str, String)>, body: Vec<u8>| {
        let key = &key;
        let ep = &ep;
        async move {
            let q: Vec<(&str, &str)> = query.iter().map(|(a, b)| (*a, b.as_str())).collect();
            RawRequest::new(ep, key, path, action, &q, UNSIGNED_PAYLOAD).send(&body).await
        }
    };
    // A pack name: the bytes are checked against it (these hash to another name).
    let other = blake3::hash(b"other").to_hex().to_string();
    let (status, b) = send("/agent", "AgentPutObject", with_key(&format!("data/{}/{other}", &other[..2])), junk.clone()).await;
    assert_eq!((status, b["Code"].as_str()), (400, Some("AgentUploadRefused")), "{b}");
    // Bytes that hash to the name but are no pack of the vault, and an index file that is not one.
    let (status, b) = send("/agent", "AgentPutObject", with_key(&format!("data/{}/{hash}", &hash[..2])), junk.clone()).await;
    assert_eq!((status, b["Code"].as_str()), (400, Some("AgentUploadRefused")), "{b}");
    let (status, _) = send("/agent", "AgentPutObject", with_key(&format!("index/{hash}")), junk.clone()).await;
    assert_eq!(status, 400);
    // Anything else must sign its body.
    for k in ["config", "snapshots/x", "index/00"] {
        let (status, b) = send("/agent", "AgentPutObject", with_key(k), junk.clone()).await;
        assert_eq!((status, b["Code"].as_str()), (403, Some("SignatureDoesNotMatch")), "{k}: {b}");
    }
    let mut finish = ids.iter().map(|(a, b)| (*a, b.to_string())).collect::<Vec<_>>();
    finish.push(("Status", "COMPLETE".into()));
    let (status, b) = send("/agent", "AgentFinishJob", finish, junk.clone()).await;
    assert_eq!((status, b["Code"].as_str()), (403, Some("SignatureDoesNotMatch")), "{b}");
    let (status, b) = send("/", "DescribeVaults", vec![], vec![]).await;
    assert_eq!((status, b["Code"].as_str()), (403, Some("SignatureDoesNotMatch")), "{b}");
    assert!(stored(&agent, &job, "data/").await.is_empty(), "nothing was stored");
    assert!(stored(&agent, &job, "index/").await.is_empty());
}

/// A SQL Server backup's commits (`AgentCommitSnapshot`): only for a SQL job, only for the
/// snapshot ids the job named, only a manifest of this vault whose meta is the job's backup of
/// that database; a refused commit stores no snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sql_server_commits_are_refused() {
    use mirrorvault::backend::storage::{BackupRequest, DataKey, Location, Progress, Repo};
    use std::sync::Arc;
    let s = TestServer::start().await;
    let (agent, file_job) = claimed_backup(&s).await;
    let commit = |job: &AgentJob, snapshot_id: &str| AgentCommitSnapshotRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), snapshot_id: snapshot_id.into() };
    let e = agent.agent(&commit(&file_job, "s-x"), Bytes::from_static(b"x")).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 409), "{e}");

    // An instance reached through the client's agent: this "agent" answers the precheck call.
    let register = {
        let client = s.client.clone();
        let spec = mirrorvault::api::sqlserver::CreateSqlServerInstanceRequest {
            vault_id: file_job.vault_id.clone(),
            engine: "DEMO".into(),
            server_name: "hostile-sql".into(),
            client_id: file_job.client_id.clone(),
            ..Default::default()
        };
        tokio::spawn(async move { client.create_sql_server_instance(&spec).await.unwrap() })
    };
    let call = loop {
        let hb = agent.agent(&AgentHeartbeatRequest { client_id: file_job.client_id.clone(), wait_seconds: Some(5), ..Default::default() }, Bytes::new()).await.unwrap();
        if let Some(j) = hb.jobs.into_iter().find(|j| j.job_type == JOB_SQL_CALL) {
            break j;
        }
    };
    let c = agent.agent(&AgentClaimJobRequest { client_id: file_job.client_id.clone(), job_id: call.job_id.clone() }, Bytes::new()).await.unwrap().job;
    assert!(c.data_key.is_empty(), "a call is handed no vault key");
    let asked: AgentSql = serde_json::from_str(&c.sql).unwrap();
    assert_eq!((asked.call.as_str(), asked.instance.server_name.as_str()), (SQL_CALL_PRECHECK, "hostile-sql"));
    let answer = serde_json::json!({"Passed": false, "Checks": [{"Name": "connect", "Passed": false, "Message": "refused by the test"}]});
    let finish = AgentFinishJobRequest { client_id: file_job.client_id.clone(), job_id: call.job_id, status: "COMPLETE".into(), error_message: None, result: Some(answer.to_string()) };
    agent.agent(&finish, Bytes::new()).await.unwrap();
    let inst = register.await.unwrap();
    assert!(inst.precheck.checks.iter().any(|c| c.message == "refused by the test"), "{:?}", inst.precheck);
    assert_eq!(inst.status, "UNREACHABLE");
    let job_id = s.client.create_sql_server_backup_job(&inst.cluster_id, &["sales".to_string()]).await.unwrap().job_id;
    let job = agent.agent(&AgentClaimJobRequest { client_id: file_job.client_id.clone(), job_id }, Bytes::new()).await.unwrap().job;
    let sql: AgentSql = serde_json::from_str(&job.sql).unwrap();
    assert_eq!(sql.databases.len(), 1);
    let snapshot_id = sql.databases[0].snapshot_id.clone();
    let e = agent.agent(&commit(&job, "s-not-this-jobs"), Bytes::from_static(b"x")).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400), "{e}");
    let e = agent.agent(&commit(&job, &snapshot_id), Bytes::from_static(b"not a manifest")).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 400), "{e}");

    // A real manifest of this vault, but not the job's backup of "sales".
    let mut key = [0u8; 32];
    hex::decode_to_slice(&job.data_key, &mut key).unwrap();
    let remote = Arc::new(mirrorvault::agent::remote::RemoteVault::new(agent.clone(), &job.client_id, &job.job_id, &job.vault_id));
    let repo = Repo::open_with_key(&Location::remote(remote, "hostile"), &job.vault_id, DataKey::from_bytes(key)).await.unwrap();
    let src = tempfile::tempdir().unwrap();
    std::fs::write(src.path().join("sales.bak"), b"not the database").unwrap();
    let mut meta: serde_json::Value = serde_json::from_str(&job.meta).unwrap();
    meta["DatabaseName"] = "inventory".into();
    meta["RowCounts"] = serde_json::json!({});
    let req = BackupRequest {
        snapshot_id: snapshot_id.clone(),
        client_id: sql.cluster_id.clone(),
        source_type: job.source_type.clone(),
        paths: vec![src.path().join("sales.bak")],
        excludes: vec![],
        parent_snapshot_id: None,
        meta,
    };
    let (_, encoded) = repo.backup_uncommitted(req, None, Arc::new(Progress::default())).await.unwrap();
    let e = agent.agent(&commit(&job, &snapshot_id), Bytes::from(encoded)).await.unwrap_err();
    assert_eq!(code(&e), ("AgentUploadRefused", 400), "{e}");
    assert!(e.to_string().contains("sales"), "{e}");
    assert!(stored(&agent, &job, "snapshots/").await.is_empty(), "no snapshot was committed");
    let f = agent.agent(&AgentFinishJobRequest { client_id: job.client_id.clone(), job_id: job.job_id.clone(), status: "COMPLETE".into(), error_message: None, result: None }, Bytes::new()).await.unwrap();
    assert_eq!(f.status, "COMPLETE");
    let done = crate::support::wait_backup(&s.client, &job.job_id).await;
    assert_eq!(done.job.status, "FAILED", "a COMPLETE without its commits is not a backup: {done:?}");
    assert!(done.job.error_message.contains("sales"), "{}", done.job.error_message);
}
