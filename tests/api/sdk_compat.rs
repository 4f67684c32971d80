//! SDK users' scripts work unchanged (issue 16): a vault is usable when the call that made it
//! answers, `Filters` on the job lists, the SDKs' `SourceType` spellings, the Tea model's
//! `CreateRestoreJob` fields, the top-level `Clients[]`, and no silent acceptance of a
//! protection that is not given (speed limits; WORM and retention are given now).
use mirrorvault::api::backup::*;
use mirrorvault::api::vault::*;
use mirrorvault::api::client::DescribeBackupClientsResponse;
use mirrorvault::api::{Filter, Paging};

use crate::support::*;

/// Create, then back up at once, 20 times in a row: never 409 `VaultNotReady`. The same for
/// `CreateVault` + `CreateVaultReplication` and `CreateVault` + `CreateReplicationVault`.
#[tokio::test]
async fn a_vault_is_usable_when_the_call_that_made_it_answers() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 5, 3);
    let include = vec![src.path().display().to_string()];
    for i in 0..20 {
        let c = t.client.create_backup_client(&format!("quick-{i}"), "cn-hangzhou", None).await.unwrap();
        let v = t.client.vault(&c.vault_id).await.unwrap().unwrap();
        assert_eq!(v.status, STATUS_CREATED, "round {i}: the answer came before the vault was usable");
        let job = t.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await;
        let job = job.unwrap_or_else(|e| panic!("round {i}: backup right after CreateBackupClient: {e}"));
        assert_eq!(wait_backup(&t.client, &job.job_id).await.job.status, JOB_COMPLETE);
    }
    for i in 0..5 {
        let source = t.client.create_vault("cn-hangzhou", &format!("src-{i}"), "").await.unwrap();
        let target = t
            .client
            .send(&CreateVaultRequest { vault_name: format!("target-{i}"), vault_region_id: "cn-beijing".into(), replication: true, ..Default::default() })
            .await
            .unwrap();
        let mut req = CreateVaultReplicationRequest { replication_target_vault_id: target.vault_id.clone(), ..Default::default() };
        req.source.replication_source_vault_id = source.vault_id.clone();
        t.client.send(&req).await.unwrap_or_else(|e| panic!("round {i}: CreateVaultReplication right after CreateVault: {e}"));
        let other = t.client.create_vault("cn-hangzhou", &format!("other-{i}"), "").await.unwrap();
        let mut req = CreateReplicationVaultRequest { vault_name: format!("mirror-{i}"), vault_region_id: "cn-shanghai".into(), ..Default::default() };
        req.source.replication_source_vault_id = other.vault_id.clone();
        let m = t.client.send(&req).await.unwrap_or_else(|e| panic!("round {i}: CreateReplicationVault right after CreateVault: {e}"));
        assert_eq!(t.client.vault(&m.vault_id).await.unwrap().unwrap().status, STATUS_CREATED);
    }
}

/// `Filters` as the Tea SDK flattens them.
fn jobs_with(filters: Vec<Filter>, sort: Option<&str>, source_type: Option<&str>) -> DescribeBackupJobsRequest {
    let mut q = JobQuery { paging: Paging::size(100), filters, sort_direction: sort.map(str::to_string), ..Default::default() };
    q.paging.page_number = Some(1);
    DescribeBackupJobsRequest { query: q, source_type: source_type.map(str::to_string) }
}

async fn job_ids(t: &TestServer, filters: Vec<Filter>, sort: Option<&str>, source_type: Option<&str>) -> Vec<String> {
    let r = t.client.send(&jobs_with(filters, sort, source_type)).await.unwrap();
    assert_eq!(r.page.total_count as usize, r.backup_jobs.backup_job.len());
    r.backup_jobs.backup_job.into_iter().map(|j| j.job_id).collect()
}

#[tokio::test]
async fn job_lists_honour_filters_operators_source_type_and_sort_direction() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 9, 3);
    let include = vec![src.path().display().to_string()];
    let c1 = t.client.create_backup_client("one", "cn-hangzhou", None).await.unwrap();
    let c2 = t.client.create_backup_client("two", "cn-beijing", None).await.unwrap();
    let mut jobs = Vec::new();
    for (i, c) in [&c1, &c1, &c2].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // distinct CreatedTime seconds
        }
        let j = t.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await.unwrap().job_id;
        assert_eq!(wait_backup(&t.client, &j).await.job.status, JOB_COMPLETE);
        jobs.push(j);
    }
    let all = job_ids(&t, vec![], None, None).await;
    assert_eq!(all, vec![jobs[2].clone(), jobs[1].clone(), jobs[0].clone()], "newest first by default");
    assert_eq!(job_ids(&t, vec![], Some("ASC"), None).await, jobs);
    assert_eq!(job_ids(&t, vec![], Some("ASCEND"), None).await, jobs);
    assert_eq!(job_ids(&t, vec![], Some("DESCEND"), None).await, all);

    let f = |k: &str, op: &str, v: &[&str]| Filter::new(k, op, v);
    assert_eq!(job_ids(&t, vec![f("InstanceId", "", &[&c1.client_id])], Some("ASC"), None).await, jobs[..2].to_vec());
    assert_eq!(job_ids(&t, vec![f("VaultId", "EQUAL", &[&c2.vault_id])], None, None).await, vec![jobs[2].clone()]);
    assert_eq!(job_ids(&t, vec![f("VaultId", "EQUAL", &[&c1.vault_id]), f("JobId", "NOT_EQUAL", &[&jobs[0]])], None, None).await, vec![jobs[1].clone()]);
    assert_eq!(job_ids(&t, vec![f("JobId", "IN", &[&jobs[0], &jobs[2]])], Some("ASC"), None).await, vec![jobs[0].clone(), jobs[2].clone()]);
    assert_eq!(job_ids(&t, vec![f("Status", "IN", &["COMPLETE"])], None, None).await.len(), 3);
    assert_eq!(job_ids(&t, vec![f("Status", "EQUAL", &["FAILED"])], None, None).await.len(), 0);
    let created: Vec<i64> = {
        let r = t.client.send(&jobs_with(vec![], Some("ASC"), None)).await.unwrap();
        r.backup_jobs.backup_job.iter().map(|j| j.job.created_time).collect()
    };
    let (t0, t1, t2) = (created[0].to_string(), created[1].to_string(), created[2].to_string());
    assert_eq!(job_ids(&t, vec![f("CreatedTime", "BETWEEN", &[&t0, &t1])], Some("ASC"), None).await, jobs[..2].to_vec());
    assert_eq!(job_ids(&t, vec![f("CreatedTime", "GREATER_THAN", &[&t0])], Some("ASC"), None).await, jobs[1..].to_vec());
    assert_eq!(job_ids(&t, vec![f("CreatedTime", "GREATER_THAN_OR_EQUAL", &[&t1])], Some("ASC"), None).await, jobs[1..].to_vec());
    assert_eq!(job_ids(&t, vec![f("CreatedTime", "LESS_THAN", &[&t2])], Some("ASC"), None).await, jobs[..2].to_vec());
    assert_eq!(job_ids(&t, vec![f("CreatedTime", "LESS_THAN_OR_EQUAL", &[&t0])], None, None).await, vec![jobs[0].clone()]);
    assert_eq!(job_ids(&t, vec![f("CompleteTime", "GREATER_THAN", &["0"])], None, None).await.len(), 3);
    // No plans exist yet: a PlanId matches nothing; a filter without values constrains nothing.
    assert_eq!(job_ids(&t, vec![f("PlanId", "EQUAL", &["plan-1"])], None, None).await.len(), 0);
    assert_eq!(job_ids(&t, vec![f("PlanId", "IN", &[])], None, None).await.len(), 3);
    // Keys and operators in any case; SourceType in the SDKs' spellings.
    assert_eq!(job_ids(&t, vec![f("instanceId", "equal", &[&c2.client_id])], None, None).await, vec![jobs[2].clone()]);
    for st in ["FILE", "File", "ECS_FILE", "file"] {
        assert_eq!(job_ids(&t, vec![], None, Some(st)).await.len(), 3, "{st}");
    }
    assert_eq!(job_ids(&t, vec![], None, Some("SQLSERVER")).await.len(), 0);
    // The plain parameters keep working, beside Filters.
    assert_eq!(t.client.describe_backup_jobs(Some(&c1.vault_id), None).await.unwrap().backup_jobs.backup_job.len(), 2);
    let mut plain = jobs_with(vec![f("Status", "", &["COMPLETE"])], None, None);
    plain.query.client_id = Some(c2.client_id.clone());
    assert_eq!(t.client.send(&plain).await.unwrap().backup_jobs.backup_job.len(), 1);
    // The whole list as one JSON string (aliyun-python-sdk-core users).
    let json = serde_json::json!([{"Key": "VaultId", "Operator": "EQUAL", "Values": [c2.vault_id]}]).to_string();
    let r: serde_json::Value = t.client.call("DescribeBackupJobs2", &[("Filters", json)]).await.unwrap();
    assert_eq!(r["TotalCount"], 1, "{r}");

    // Faults are 400 InvalidParameter with what is wrong.
    for (filters, sort, what) in [
        (vec![f("Colour", "EQUAL", &["red"])], None, "unknown key"),
        (vec![f("JobId", "LIKE", &["x"])], None, "unknown operator"),
        (vec![f("CreatedTime", "BETWEEN", &["1"])], None, "BETWEEN on CreatedTime takes 2"),
        (vec![f("CreatedTime", "GREATER_THAN", &["yesterday"])], None, "UNIX seconds"),
        (vec![], Some("SIDEWAYS"), "ASC"),
    ] {
        let e = t.client.send(&jobs_with(filters, sort, None)).await.unwrap_err();
        assert_eq!(code(&e), ("InvalidParameter", 400), "{what}");
        assert!(e.to_string().contains(what), "{what}: {e}");
    }

    // Restores: TargetInstanceId names the client, found again by InstanceId; RestoreType spellings.
    let snap = wait_backup(&t.client, &jobs[0]).await.snapshot_id;
    let out = tempfile::tempdir().unwrap();
    let req = CreateRestoreJobRequest {
        vault_id: c1.vault_id.clone(),
        snapshot_id: snap,
        source_type: "ECS_FILE".into(),
        target_instance_id: Some(c1.client_id.clone()),
        target_path: out.path().join("r").display().to_string(),
        ..Default::default()
    };
    let restore_id = t.client.send(&req).await.unwrap().restore_id;
    let done = wait_restore(&t.client, &restore_id).await;
    assert_eq!((done.job.status.as_str(), done.target_instance_id.as_str()), (JOB_COMPLETE, c1.client_id.as_str()));
    let restores = |filters: Vec<Filter>, restore_type: Option<&str>| {
        let q = JobQuery { filters, ..Default::default() };
        DescribeRestoreJobsRequest { query: q, restore_type: restore_type.map(str::to_string) }
    };
    let r = t.client.send(&restores(vec![f("InstanceId", "IN", &[&c1.client_id])], Some("File"))).await.unwrap();
    assert_eq!(r.restore_jobs.restore_job.iter().map(|j| j.restore_id.clone()).collect::<Vec<_>>(), vec![restore_id.clone()]);
    assert_eq!(t.client.send(&restores(vec![f("InstanceId", "IN", &[&c2.client_id])], None)).await.unwrap().page.total_count, 0);
    assert_eq!(t.client.send(&restores(vec![f("JobId", "EQUAL", &[&restore_id]), f("Status", "EQUAL", &["COMPLETE"])], None)).await.unwrap().page.total_count, 1);
    let e = t.client.send(&restores(vec![f("Size", "EQUAL", &["1"])], None)).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
}

#[tokio::test]
async fn source_type_spellings_restore_fields_and_the_clients_list() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 11, 4);
    let include = vec![src.path().display().to_string()];
    let c = t.client.create_backup_client("spell", "cn-hangzhou", None).await.unwrap();
    let mut snaps = Vec::new();
    for st in ["FILE", "File", "ECS_FILE", "ecs_file"] {
        let req = CreateBackupJobRequest { vault_id: c.vault_id.clone(), source_type: st.into(), include: include.clone(), instance_id: c.client_id.clone(), ..Default::default() };
        let j = t.client.send(&req).await.unwrap_or_else(|e| panic!("SourceType={st}: {e}"));
        let done = wait_backup(&t.client, &j.job_id).await;
        assert_eq!((done.job.status.as_str(), done.source_type.as_str(), done.instance_id.as_str()), (JOB_COMPLETE, "FILE", c.client_id.as_str()), "{st}");
        snaps.push(done.snapshot_id);
    }
    let bad = CreateBackupJobRequest { vault_id: c.vault_id.clone(), client_id: c.client_id.clone(), source_type: "OSS".into(), include: include.clone(), ..Default::default() };
    assert_eq!(code(&t.client.send(&bad).await.unwrap_err()), ("InvalidParameter", 400));
    let no_client = CreateBackupJobRequest { vault_id: c.vault_id.clone(), include: include.clone(), ..Default::default() };
    assert_eq!(code(&t.client.send(&no_client).await.unwrap_err()), ("MissingParameter", 400));
    for st in ["FILE", "File", "ECS_FILE"] {
        let req = DescribeSnapshotsRequest { vault_id: c.vault_id.clone(), source_type: Some(st.into()), ..Default::default() };
        assert_eq!(t.client.send(&req).await.unwrap().snapshots.snapshot.len(), 4, "{st}");
    }

    // CreateRestoreJob in the Tea model's shape: RestoreType or SourceType, TargetInstanceId, Include.
    let out = tempfile::tempdir().unwrap();
    let restore = |restore_type: &str, source_type: &str, target: &str, instance: Option<&str>| CreateRestoreJobRequest {
        vault_id: c.vault_id.clone(),
        snapshot_id: snaps[3].clone(),
        restore_type: restore_type.into(),
        source_type: source_type.into(),
        target_path: out.path().join(target).display().to_string(),
        target_instance_id: instance.map(str::to_string),
        include: include.clone(),
        ..Default::default()
    };
    for (i, (rt, st)) in [("File", ""), ("", "ECS_FILE"), ("FILE", "File")].into_iter().enumerate() {
        let r = t.client.send(&restore(rt, st, &format!("t{i}"), Some(&c.client_id))).await.unwrap_or_else(|e| panic!("{rt}/{st}: {e}"));
        assert_eq!(wait_restore(&t.client, &r.restore_id).await.job.status, JOB_COMPLETE);
        assert_trees_equal_content_mode_mtime(src.path(), &out.path().join(format!("t{i}")).join(src.path().strip_prefix("/").unwrap()));
    }
    let e = t.client.send(&restore("", "", "x", Some("c-nosuchclient"))).await.unwrap_err();
    assert_eq!(code(&e), ("ClientNotFound", 404));
    let e = t.client.send(&restore("", "OSS", "x", None)).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    let mut with_exclude = restore("", "", "x", None);
    with_exclude.exclude = vec!["*.bin".into()];
    let e = t.client.send(&with_exclude).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400), "an Exclude that would be ignored is refused");

    // DescribeBackupClients: the real Clients[] beside BackupClients.BackupClient[].
    let sql = t.client.send(&mirrorvault::api::client::CreateBackupClientRequest { client_name: "db".into(), client_type: "SQLSERVER".into(), vault_id: Some(c.vault_id.clone()), ..Default::default() }).await.unwrap();
    let r = t.client.describe_backup_clients(Some(&c.vault_id)).await.unwrap();
    assert_eq!(r.page.total_count, 2);
    assert_eq!(r.backup_clients.backup_client.len(), 2);
    assert_eq!(r.clients.len(), 2);
    let file = r.clients.iter().find(|x| x.client_id == c.client_id).expect("the file client in Clients[]");
    assert_eq!((file.client_type.as_str(), file.status.as_str(), file.instance_id.as_str(), file.instance_name.as_str()), ("FILE", "ACTIVATED", c.client_id.as_str(), "spell"));
    assert!(!file.hostname.is_empty() && !file.client_version.is_empty() && file.last_heart_beat_time > 0 && file.created_time > 0, "{file:?}");
    assert_eq!(file.backup_status, "PROTECTED");
    let db = r.clients.iter().find(|x| x.client_id == sql.client_id).unwrap();
    assert_eq!((db.client_type.as_str(), db.backup_status.as_str()), ("SQLSERVER", "UNPROTECTED"));
    let only: DescribeBackupClientsResponse = t.client.call("DescribeBackupClients", &[("ClientIds", format!("[\"{}\"]", c.client_id))]).await.unwrap();
    assert_eq!(only.clients.iter().map(|x| x.client_id.clone()).collect::<Vec<_>>(), vec![c.client_id.clone()]);
    let only: DescribeBackupClientsResponse = t.client.call("DescribeBackupClients", &[("InstanceIds", format!("[\"{}\"]", sql.client_id))]).await.unwrap();
    assert_eq!(only.page.total_count, 1);
    let raw: serde_json::Value = t.client.call("DescribeBackupClients", &[("VaultId", c.vault_id.clone())]).await.unwrap();
    assert!(raw["Clients"][0]["LastHeartBeatTime"].as_i64().unwrap() > 0 && raw["Clients"][0]["Hostname"].is_string(), "{raw}");
    let lower = t.client.send(&mirrorvault::api::client::CreateBackupClientRequest { client_name: "f2".into(), client_type: "ecs_file".into(), vault_id: Some(c.vault_id.clone()), ..Default::default() }).await.unwrap();
    let r = t.client.describe_backup_clients(Some(&c.vault_id)).await.unwrap();
    assert_eq!(r.clients.iter().find(|x| x.client_id == lower.client_id).unwrap().client_type, "FILE");
}

/// A parameter that promises protection, retention or a limit that is not given is refused
/// with 400, never answered with Success; tag/route parameters may be ignored.
#[tokio::test]
async fn protections_that_are_not_given_are_refused() {
    let t = TestServer::start().await;
    // WORM is given now: accepted, shown, never turned off (tests/api/worm.rs has the rest).
    let worm = CreateVaultRequest { vault_name: "worm".into(), vault_region_id: "cn-hangzhou".into(), worm_enabled: Some(true), ..Default::default() };
    let w = t.client.send(&worm).await.unwrap().vault_id;
    assert!(t.client.vault(&w).await.unwrap().unwrap().worm_enabled);
    let plain = CreateVaultRequest { worm_enabled: Some(false), ..worm.clone() };
    let v = t.client.send(&plain).await.unwrap().vault_id;
    assert!(!t.client.vault(&v).await.unwrap().unwrap().worm_enabled);
    let update = |id: &str, worm: bool| UpdateVaultRequest { vault_id: id.to_string(), description: Some("d".into()), worm_enabled: Some(worm), ..Default::default() };
    assert_eq!(code(&t.client.send(&update(&w, false)).await.unwrap_err()), ("WormCannotBeDisabled", 409));
    assert_eq!(t.client.vault(&w).await.unwrap().unwrap().description, "", "a refused UpdateVault changes nothing");
    t.client.send(&update(&v, false)).await.unwrap();
    // Tag/route parameters are accepted.
    let _: serde_json::Value = t.client.call("UpdateVault", &[("VaultId", v.clone()), ("ResourceGroupId", "rg-1".into()), ("Description", "e".into())]).await.unwrap();
    let _: serde_json::Value = t.client.call("DescribeBackupJobs2", &[("Edition", "STANDARD".into())]).await.unwrap();

    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 2, 2);
    let c = t.client.create_backup_client("ret", "cn-hangzhou", None).await.unwrap();
    let job = |retention: Option<&str>, speed: Option<&str>| CreateBackupJobRequest {
        vault_id: c.vault_id.clone(),
        client_id: c.client_id.clone(),
        include: vec![src.path().display().to_string()],
        retention: retention.map(str::to_string),
        speed_limit: speed.map(str::to_string),
        ..Default::default()
    };
    // Retention is given now: the snapshot carries it (tests/api/retention.rs has the rest).
    let kept = t.client.send(&job(Some("7"), None)).await.unwrap().job_id;
    let kept = wait_backup(&t.client, &kept).await.snapshot_id;
    let s = t.client.describe_snapshots(&c.vault_id).await.unwrap().snapshots.snapshot.into_iter().find(|s| s.snapshot_id == kept).unwrap();
    assert_eq!((s.retention, s.expire_time), (7, s.complete_time + 7 * 86_400));
    // a SpeedLimit is given too (tests/api/plans.rs), but not a malformed one, nor a retention out of range
    for (r, s, wire) in [(Some("0"), None, "Retention"), (None, Some("0:25:1024"), "SpeedLimit"), (None, Some("fast"), "SpeedLimit")] {
        let e = t.client.send(&job(r, s)).await.unwrap_err();
        assert_eq!(code(&e), ("InvalidParameter", 400), "{wire}");
        assert!(e.to_string().contains(wire), "{e}");
    }
    assert_eq!(t.client.describe_backup_jobs(None, None).await.unwrap().page.total_count, 1, "a refused job is not started");
    let limited = t.client.send(&job(None, Some("0:24:1024"))).await.unwrap();
    assert_eq!(wait_backup(&t.client, &limited.job_id).await.job.status, "COMPLETE");
    let mut zrs = CreateReplicationVaultRequest { vault_name: "m".into(), vault_region_id: "cn-beijing".into(), redundancy_type: Some("ZRS".into()), ..Default::default() };
    zrs.source.replication_source_vault_id = c.vault_id.clone();
    assert_eq!(code(&t.client.send(&zrs).await.unwrap_err()), ("InvalidParameter", 400));
    zrs.redundancy_type = Some("LRS".into());
    t.client.send(&zrs).await.unwrap();
}
