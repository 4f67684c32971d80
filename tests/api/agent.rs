//! The remote agent (`mirrorvault agent`, real processes): backups and restores of a tree the
//! backend cannot read, the upload of an unchanged second backup, the client's liveness, a
//! restore from a mirror onto an agent in the mirror's region, and the scoped key refused
//! everywhere outside its client's agent work.
use std::time::Duration;

use bytes::Bytes;
use mirrorvault::api::agent::*;
use mirrorvault::api::Action;
use mirrorvault::client::{Client, ClientError, Credentials};

use crate::support::agents::{backend_as_nobody, client_with_agent, dir_for, restore_on};
use crate::support::child::Agent;
use crate::support::{assert_trees_equal_content_mode_mtime, code, creds, make_tree, rerooted, wait_backup, wait_sql_restore, wait_until, wait_verify, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_backs_up_and_restores_a_tree_the_backend_cannot_read() {
    let base = tempfile::tempdir().unwrap();
    let b = backend_as_nobody(base.path());
    let agent_dir = base.path().join("agent");
    let (client_id, vault_id, agent) = client_with_agent(&b, "cn-hangzhou", "fileserver-a", &agent_dir).await;

    // Root's 0700 directory: the backend (nobody) cannot even list it.
    let protected = dir_for(base.path(), "protected", None, 0o700);
    make_tree(&protected.join("tree"), 17, 40);
    std::fs::write(protected.join("big-random.bin"), crate::support::fixtures::random_bytes(12 << 20, 5)).unwrap();
    let tree_bytes: u64 = crate::support::files_under(&protected).iter().map(|p| std::fs::symlink_metadata(p).unwrap()).filter(|m| m.is_file()).map(|m| m.len()).sum();

    let include = vec![protected.display().to_string()];
    let first = wait_backup(&b.client, &b.client.create_backup_job(&vault_id, &client_id, &include, &[]).await.unwrap().job_id).await;
    assert_eq!(first.job.status, "COMPLETE", "{first:?}\n{}", agent.output());
    assert_eq!(first.job.bytes_done, first.job.bytes_total);
    assert_eq!(first.job.bytes_total, tree_bytes as i64);

    let info = b.client.describe_backup_clients(None).await.unwrap().clients.into_iter().find(|c| c.client_id == client_id).unwrap();
    assert_eq!((info.status.as_str(), info.hostname.as_str(), info.client_version.as_str()), ("ACTIVATED", mirrorvault::platform::host_name().as_str(), env!("CARGO_PKG_VERSION")));
    assert_eq!((info.os_type.as_str(), info.arch_type.as_str()), (std::env::consts::OS, std::env::consts::ARCH));
    assert!(info.last_heart_beat_time > 0 && info.agent_installed);

    // An unchanged second backup sends less than 1 % of the tree (plus heartbeats, the
    // manifest and a few tree chunks whose atimes moved).
    let before = agent.bytes_written();
    let second = wait_backup(&b.client, &b.client.create_backup_job(&vault_id, &client_id, &include, &[]).await.unwrap().job_id).await;
    let sent = agent.bytes_written() - before;
    assert_eq!(second.job.status, "COMPLETE");
    eprintln!("unchanged backup through the agent: {sent} bytes written by the agent for a {tree_bytes}-byte tree");
    assert!(sent <= tree_bytes / 100 + (256 << 10), "the unchanged backup sent {sent} bytes of a {tree_bytes}-byte tree");

    // The same path through a client without an agent: the backend itself cannot read it.
    let local = b.client.create_backup_client("backend-side", "cn-hangzhou", Some(&vault_id)).await.unwrap();
    let j = wait_backup(&b.client, &b.client.create_backup_job(&vault_id, &local.client_id, &include, &[]).await.unwrap().job_id).await;
    assert_eq!(j.job.status, "PARTIAL_COMPLETE", "{j:?}");
    assert!(j.skipped_entries.iter().any(|s| s.contains("ermission denied")), "{:?}", j.skipped_entries);

    // Restore on the agent's host, into a directory only root may write.
    let target = dir_for(base.path(), "restored", None, 0o700).join("here");
    let r = restore_on(&b.client, &vault_id, &second.snapshot_id, &target, &client_id).await;
    assert_eq!(r.job.status, "COMPLETE", "{r:?}\n{}", agent.output());
    assert_eq!(r.target_instance_id, client_id);
    assert_trees_equal_content_mode_mtime(&protected, &rerooted(&target, &protected));

    // Without Overwrite an existing target is refused on the agent, before anything is written.
    let again = restore_on(&b.client, &vault_id, &second.snapshot_id, &target, &client_id).await;
    assert_eq!(again.job.status, "FAILED");
    assert!(again.job.error_message.contains("exists"), "{}", again.job.error_message);

    let v = wait_verify(&b.client, &b.client.create_verify_job(&vault_id, None, true).await.unwrap().job_id).await;
    assert!(v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty() && v.damaged_files.is_empty(), "{v:?}");
    assert!(!agent.output().contains(&creds().access_key_secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_waits_while_the_agent_is_offline_and_runs_when_it_is_back() {
    let base = tempfile::tempdir().unwrap();
    let b = backend_as_nobody(base.path());
    let agent_dir = base.path().join("agent");
    let (client_id, vault_id, mut agent) = client_with_agent(&b, "cn-hangzhou", "laptop", &agent_dir).await;
    agent.kill9();
    wait_until(Duration::from_secs(30), "the client DEACTIVATED", || async {
        b.client.describe_backup_clients(None).await.unwrap().clients.iter().any(|c| c.client_id == client_id && c.status == "DEACTIVATED")
    })
    .await;
    let src = dir_for(base.path(), "src", None, 0o700);
    make_tree(&src, 3, 10);
    let job_id = b.client.create_backup_job(&vault_id, &client_id, &[src.display().to_string()], &[]).await.unwrap().job_id;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = b.client.describe_backup_jobs(None, Some(&job_id)).await.unwrap().backup_jobs.backup_job.remove(0);
    assert_eq!(waiting.job.status, "CREATED");
    assert!(waiting.job.error_message.contains("offline"), "{}", waiting.job.error_message);
    let alerts = |status: &'static str| {
        let client = b.client.clone();
        let client_id = client_id.clone();
        async move {
            let r: serde_json::Value = client.call("DescribeAlerts", &[("Status", status.to_string())]).await.unwrap();
            r["Alerts"]["Alert"].as_array().cloned().unwrap_or_default().into_iter().any(|a| a["Kind"] == "AGENT_OFFLINE" && a["ClientId"] == client_id.as_str())
        }
    };
    wait_until(Duration::from_secs(10), "an AGENT_OFFLINE alert", || alerts("ACTIVE")).await;
    let agent = Agent::start(&agent_dir);
    let done = wait_backup(&b.client, &job_id).await;
    assert_eq!(done.job.status, "COMPLETE", "{done:?}\n{}", agent.output());
    wait_until(Duration::from_secs(10), "the AGENT_OFFLINE alert resolved", || alerts("RESOLVED")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mirror_snapshot_restores_onto_an_agent_in_the_mirror_region() {
    let base = tempfile::tempdir().unwrap();
    let b = backend_as_nobody(base.path());
    let (client_a, vault_a, agent_a) = client_with_agent(&b, "cn-hangzhou", "db-host-a", &base.path().join("agent-a")).await;
    let mirror = b.client.create_replication_vault(&vault_a, "cn-hangzhou", "cn-shanghai", "mirror-of-a", "").await.unwrap().vault_id;
    crate::support::agents::wait_vault(&b.client, &mirror).await;
    let src = dir_for(base.path(), "src", None, 0o700);
    make_tree(&src, 9, 20);
    let job = wait_backup(&b.client, &b.client.create_backup_job(&vault_a, &client_a, &[src.display().to_string()], &[]).await.unwrap().job_id).await;
    assert_eq!(job.job.status, "COMPLETE", "{job:?}\n{}", agent_a.output());
    wait_until(Duration::from_secs(60), "the snapshot in the mirror", || async {
        b.client.describe_snapshots(&mirror).await.map(|s| s.snapshots.snapshot.iter().any(|s| s.snapshot_id == job.snapshot_id)).unwrap_or(false)
    })
    .await;
    // Region A is lost; a host in region B restores from the mirror.
    drop(agent_a);
    let (client_b, _, agent_b) = client_with_agent(&b, "cn-shanghai", "db-host-b", &base.path().join("agent-b")).await;
    let target = dir_for(base.path(), "restored-b", None, 0o700).join("t");
    let r = restore_on(&b.client, &mirror, &job.snapshot_id, &target, &client_b).await;
    assert_eq!(r.job.status, "COMPLETE", "{r:?}\n{}", agent_b.output());
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&target, &src));
}

/// The seed's drill through agents: region A's agent backs up a demo SQL Server instance on its
/// host (the backend cannot read it), the mirror in region B receives the snapshots, and region
/// B's agent restores the database from the mirror into its own instance and verifies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sql_server_database_is_backed_up_and_restored_through_agents_in_two_regions() {
    use mirrorvault::api::sqlserver::{CreateSqlServerInstanceRequest, CreateSqlServerRestoreRequest, ENGINE_DEMO};
    let base = tempfile::tempdir().unwrap();
    let b = backend_as_nobody(base.path());
    let (dir_a, dir_b) = (dir_for(base.path(), "agent-a", None, 0o700), dir_for(base.path(), "agent-b", None, 0o700));
    let (client_a, vault_a, agent_a) = client_with_agent(&b, "cn-hangzhou", "sql-host-a", &dir_a).await;
    let mirror = b.client.create_replication_vault(&vault_a, "cn-hangzhou", "cn-shanghai", "sql-mirror", "").await.unwrap().vault_id;
    crate::support::agents::wait_vault(&b.client, &mirror).await;
    // Region A's instance lives on agent A's host (its data dir, 0700 root).
    mirrorvault::backend::demo::databases::seed(&dir_a.join("sqlserver-demo").join("sales-a")).unwrap();
    let instance = |vault_id: &str, server: &str, client_id: &str| CreateSqlServerInstanceRequest {
        vault_id: vault_id.into(),
        engine: ENGINE_DEMO.into(),
        server_name: server.into(),
        client_id: client_id.into(),
        ..Default::default()
    };
    // A client without an agent cannot reach an instance.
    let plain = b.client.create_backup_client("no-agent", "cn-hangzhou", Some(&vault_a)).await.unwrap();
    let e = b.client.create_sql_server_instance(&instance(&vault_a, "sales-a", &plain.client_id)).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400), "{e}");
    let a = b.client.create_sql_server_instance(&instance(&vault_a, "sales-a", &client_a)).await.unwrap();
    assert_eq!(a.status, "ONLINE", "{:?}\n{}", a.precheck, agent_a.output());
    let listed = b.client.describe_sql_server_instances(Some(&vault_a)).await.unwrap().instances.instance;
    assert_eq!(listed[0].client_id, client_a);
    let dbs: Vec<String> = b.client.describe_sql_server_databases(&a.cluster_id).await.unwrap().databases.database.into_iter().map(|d| d.database_name).collect();
    assert_eq!(dbs, ["inventory", "sales"]);

    let names = vec!["sales".to_string(), "inventory".to_string()];
    let job = wait_backup(&b.client, &b.client.create_sql_server_backup_job(&a.cluster_id, &names).await.unwrap().job_id).await;
    assert_eq!(job.job.status, "COMPLETE", "{job:?}\n{}", agent_a.output());
    assert!(job.job.bytes_done > 0 && job.job.bytes_done == job.job.bytes_total, "{job:?}");
    let snaps = b.client.describe_sql_server_snapshots(&vault_a, Some(&a.cluster_id), None).await.unwrap().snapshots.snapshot;
    assert_eq!(snaps.len(), 2, "{snaps:?}");
    let sales = snaps.iter().find(|s| s.database_name == "sales").expect("the sales snapshot").snapshot_id.clone();
    assert!(!std::fs::read_dir(dir_a.join("staging")).map(|d| d.count() > 0).unwrap_or(false), "the agent cleans its staging");
    wait_until(Duration::from_secs(60), "both snapshots in the mirror", || async {
        b.client.describe_sql_server_snapshots(&mirror, None, None).await.map(|s| s.snapshots.snapshot.len() == 2).unwrap_or(false)
    })
    .await;

    // Region A is lost; region B's agent registers an instance on the mirror and restores there.
    drop(agent_a);
    let (client_b, _, agent_b) = client_with_agent(&b, "cn-shanghai", "sql-host-b", &dir_b).await;
    let inst_b = b.client.create_sql_server_instance(&instance(&mirror, "dr-b", &client_b)).await.unwrap();
    assert_eq!(inst_b.status, "ONLINE", "{:?}", inst_b.precheck);
    let restore = |replace: bool| CreateSqlServerRestoreRequest {
        vault_id: mirror.clone(),
        cluster_id: inst_b.cluster_id.clone(),
        snapshot_id: sales.clone(),
        target_database_name: "sales_dr".into(),
        replace_database: replace,
        ..Default::default()
    };
    let r = wait_sql_restore(&b.client, &b.client.create_sql_server_restore(&restore(false)).await.unwrap().restore_id).await;
    assert_eq!(r.status, "COMPLETE", "{r:?}\n{}", agent_b.output());
    let report = r.report.expect("a drill report");
    assert!(report.restored_from_mirror && report.verification.integrity_ok && report.verification.row_counts_match, "{report:?}");
    assert_eq!(report.verification.actual_row_counts.get("orders"), Some(&2000), "{report:?}");
    assert!(report.bytes_moved > 0);
    assert!(dir_b.join("sqlserver-demo/dr-b/sales_dr.sqlite").is_file(), "the database is restored on agent B's host");
    // The agent checks the target before the job starts: an existing database is refused at once.
    let e = b.client.create_sql_server_restore(&restore(false)).await.unwrap_err();
    assert_eq!(code(&e), ("DatabaseAlreadyExists", 409), "{e}");
    let again = wait_sql_restore(&b.client, &b.client.create_sql_server_restore(&restore(true)).await.unwrap().restore_id).await;
    assert_eq!(again.status, "COMPLETE", "{again:?}");
    // With region B's agent gone, a precheck says so instead of hanging.
    drop(agent_b);
    wait_until(Duration::from_secs(30), "agent B DEACTIVATED", || async {
        b.client.describe_backup_clients(None).await.unwrap().clients.iter().any(|c| c.client_id == client_b && c.status == "DEACTIVATED")
    })
    .await;
    let p = b.client.precheck_sql_server_instance(&inst_b.cluster_id).await.unwrap().precheck;
    assert!(!p.passed && p.checks.iter().any(|c| c.message.contains("offline")), "{p:?}");
}

/// Calls an agent action with `creds`.
async fn agent_call<A: Action>(endpoint: &str, creds: &Credentials, req: &A) -> Result<A::Response, ClientError> {
    Client::new(endpoint, creds.clone()).unwrap().agent(req, Bytes::new()).await
}

#[tokio::test]
async fn a_scoped_key_does_only_its_own_clients_agent_work() {
    let s = TestServer::start().await;
    let a = s.client.create_backup_client("a", "cn-hangzhou", None).await.unwrap();
    let other = s.client.create_backup_client("b", "cn-hangzhou", Some(&a.vault_id)).await.unwrap();
    s.wait_created(&a.vault_id).await;
    let key = s.client.send(&CreateAgentAccessKeyRequest { client_id: a.client_id.clone() }).await.unwrap();
    assert_eq!(key.client_id, a.client_id);
    let scoped = Credentials { access_key_id: key.access_key_id.clone(), access_key_secret: key.access_key_secret.clone() };
    let sc = Client::new(&s.endpoint(), scoped.clone()).unwrap();

    // Every account action: 403 with the scoped key, whatever its parameters.
    for action in mirrorvault::api::ACTIONS {
        let e = sc.call::<serde_json::Value>(action, &[("ClientId", a.client_id.clone()), ("VaultId", a.vault_id.clone())]).await.unwrap_err();
        assert_eq!(code(&e), ("Forbidden.AgentKey", 403), "{action}");
    }
    // Its own client's agent work is allowed; another client's is not.
    let hb = |client_id: &str| AgentHeartbeatRequest { client_id: client_id.into(), hostname: Some("h".into()), ..Default::default() };
    agent_call(&s.endpoint(), &scoped, &hb(&a.client_id)).await.unwrap();
    let e = agent_call(&s.endpoint(), &scoped, &hb(&other.client_id)).await.unwrap_err();
    assert_eq!(code(&e), ("Forbidden.AgentKey", 403));
    for action in AGENT_ACTIONS {
        let params = [("ClientId", other.client_id.clone()), ("JobId", "job-x".to_string()), ("Key", "config".to_string()), ("Status", "FAILED".to_string())];
        let e = sc.agent_call(action, &params, Bytes::new()).await.unwrap_err();
        assert_eq!(code(&e), ("Forbidden.AgentKey", 403), "{action}");
    }
    // A job of another client, named with its own client id: unknown to this agent.
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 1, 3);
    s.client.send(&CreateAgentAccessKeyRequest { client_id: other.client_id.clone() }).await.unwrap();
    let job = s.client.create_backup_job(&a.vault_id, &other.client_id, &[src.path().display().to_string()], &[]).await.unwrap().job_id;
    let claim = |client_id: &str| AgentClaimJobRequest { client_id: client_id.into(), job_id: job.clone() };
    let e = agent_call(&s.endpoint(), &scoped, &claim(&a.client_id)).await.unwrap_err();
    assert_eq!(code(&e), ("JobNotFound", 404));
    let e = agent_call(&s.endpoint(), &scoped, &AgentGetObjectRequest { client_id: a.client_id.clone(), job_id: job.clone(), key: "config".into(), offset: None, length: None }).await.unwrap_err();
    assert_eq!(code(&e), ("JobNotFound", 404));
    // An agent action posted to / is not an account action.
    let e = s.client.call::<serde_json::Value>("AgentHeartbeat", &[("ClientId", a.client_id.clone())]).await.unwrap_err();
    assert_eq!(code(&e).1, 400);
    // A plan of a client with an agent names paths on the agent's host: the backend does not
    // look for them (without an agent they must exist on the backend host).
    let slot = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600).to_string();
    let plan = |client_id: &str, name: &str| {
        vec![
            ("VaultId", a.vault_id.clone()),
            ("SourceType", "FILE".to_string()),
            ("PlanName", name.to_string()),
            ("Schedule", format!("I|{slot}|PT1H")),
            ("InstanceId", client_id.to_string()),
            ("Path", "[\"/only/on/the/agent/host\"]".to_string()),
        ]
    };
    s.client.call::<serde_json::Value>("CreateBackupPlan", &plan(&a.client_id, "agent-plan")).await.expect("a plan with agent-side paths");
    let plain = s.client.create_backup_client("no-agent", "cn-hangzhou", Some(&a.vault_id)).await.unwrap();
    let e = s.client.call::<serde_json::Value>("CreateBackupPlan", &plan(&plain.client_id, "backend-plan")).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    // Deleting the client revokes its keys.
    s.client.cancel_backup_job(&job).await.unwrap();
    s.client.delete_backup_client(&a.client_id).await.unwrap();
    let e = agent_call(&s.endpoint(), &scoped, &hb(&a.client_id)).await.unwrap_err();
    assert_eq!(code(&e).1, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_reaches_a_tls_backend_by_its_pinned_fingerprint_and_refuses_plain_http_off_this_host() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("backend");
    let b = crate::support::child::Backend::start_with_args(&crate::support::child::Launch { data_dir: &dir, delay: "0s", credentials: creds(), rust_log: "info", extra_env: vec![] }, &["--tls"]);
    assert!(b.endpoint.starts_with("https://"), "{}", b.endpoint);
    let fingerprint = b.tls_fingerprint.clone().unwrap();
    let c = b.client.create_backup_client("tls-host", "cn-hangzhou", None).await.unwrap();
    crate::support::agents::wait_vault(&b.client, &c.vault_id).await;

    // Without the pin (the certificate is self-signed) or with a wrong one: refused.
    let agent_dir = base.path().join("agent");
    let out = Agent::register(&b.endpoint, &c.client_id, &agent_dir, &creds());
    assert!(!out.status.success());
    let wrong = "ab".repeat(32);
    let out = Agent::register_with(&b.endpoint, &c.client_id, &agent_dir, &creds(), &["--fingerprint", &wrong]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&fingerprint), "the error names the presented fingerprint: {}", String::from_utf8_lossy(&out.stderr));
    // Plain HTTP to another host: refused before anything is sent.
    let out = Agent::register(&"http://10.255.255.1:8765", &c.client_id, &agent_dir, &creds());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!agent_dir.join("agent.toml").exists());

    let out = Agent::register_with(&b.endpoint, &c.client_id, &agent_dir, &creds(), &["--fingerprint", &fingerprint]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(agent_dir.join("agent.toml")).unwrap().contains(&fingerprint), "the pin is saved");
    let agent = Agent::start(&agent_dir);
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 6, 8);
    let j = wait_backup(&b.client, &b.client.create_backup_job(&c.vault_id, &c.client_id, &[src.path().display().to_string()], &[]).await.unwrap().job_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{j:?}\n{}", agent.output());
}
