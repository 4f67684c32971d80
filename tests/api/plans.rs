//! Backup plans over HTTP: every action and its refusals, scheduled runs (skipped while the
//! previous run runs, never while disabled), the schedule surviving a restart without making
//! up missed runs, and a backup `SpeedLimit` that really limits.
use std::time::{Duration, Instant};

use mirrorvault::api::backup::{BackupJob, CreateBackupJobRequest};
use mirrorvault::api::plan::*;
use mirrorvault::api::{Action, Filter};
use mirrorvault::backend::retention::RetentionPolicy;
use mirrorvault::client::Client;

use crate::support::fixtures::{random_bytes, write};
use crate::support::*;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn plan_ref(plan_id: &str) -> PlanRef {
    PlanRef { plan_id: plan_id.into(), ..Default::default() }
}

async fn plan(c: &Client, plan_id: &str) -> BackupPlan {
    let r = DescribeBackupPlansRequest { filters: vec![Filter::new("planId", "", &[plan_id])], ..Default::default() };
    let mut plans = c.send(&r).await.expect("describe plans").backup_plans.backup_plan;
    assert_eq!(plans.len(), 1, "plan {plan_id}");
    plans.remove(0)
}

/// The backup jobs a plan started, newest first.
async fn plan_jobs(c: &Client, plan_id: &str) -> Vec<BackupJob> {
    let r: mirrorvault::api::backup::DescribeBackupJobsResponse =
        c.call("DescribeBackupJobs2", &[("Filters.1.Key", "PlanId".into()), ("Filters.1.Values.1", plan_id.into()), ("PageSize", "100".into())]).await.expect("jobs of a plan");
    r.backup_jobs.backup_job
}

/// A file plan of `client_id` over `path`.
fn file_plan(vault_id: &str, client_id: &str, name: &str, schedule: String, path: &std::path::Path) -> CreateBackupPlanRequest {
    CreateBackupPlanRequest {
        vault_id: vault_id.into(),
        source_type: "ECS_FILE".into(),
        plan_name: name.into(),
        schedule,
        path: vec![path.display().to_string()],
        instance_id: client_id.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn every_plan_action_works_and_bad_input_is_refused() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    make_tree(&data, 5, 12);
    let c = t.client.create_backup_client("files", "cn-hangzhou", None).await.unwrap();
    let start = now() + 3600;
    let create = CreateBackupPlanRequest {
        retention: Some(7),
        keep_latest_snapshots: Some(1),
        retention_rules: r#"[{"AdvancedRetentionType":"weekly","Retention":60,"WhichSnapshot":1}]"#.into(),
        exclude: vec!["*.tmp".into()],
        speed_limit: "0:24:100000".into(),
        ..file_plan(&c.vault_id, &c.client_id, "nightly", format!("I|{start}|P1D"), &data)
    };
    let id = t.client.send(&create).await.unwrap().plan_id;
    let p = plan(&t.client, &id).await;
    assert_eq!((p.plan_name.as_str(), p.vault_id.as_str(), p.source_type.as_str()), ("nightly", c.vault_id.as_str(), "FILE"));
    assert_eq!((p.client_id.as_str(), p.instance_id.as_str()), (c.client_id.as_str(), c.client_id.as_str()));
    assert_eq!(p.schedule, format!("I|{start}|P1D"));
    assert_eq!((p.retention, p.keep_latest_snapshots, p.disabled), (Some(7), 1, false));
    assert!(p.retention_rules.contains("WEEKLY"), "{}", p.retention_rules);
    assert_eq!(p.paths.path, [data.display().to_string()]);
    assert_eq!(p.exclude, r#"["*.tmp"]"#);
    assert_eq!(p.speed_limit, "0|24|100000");
    assert_eq!(p.next_run_time, start);
    assert!(p.latest_execute_job_id.is_empty() && p.created_time > 0 && p.updated_time > 0);

    // Filters (keys in any case), SourceType spellings, paging.
    for (key, value) in [("VAULTID", c.vault_id.as_str()), ("sourceType", "File"), ("planName", "nightly"), ("instanceId", c.client_id.as_str())] {
        let r = DescribeBackupPlansRequest { filters: vec![Filter::new(key, "", &[value])], ..Default::default() };
        assert_eq!(t.client.send(&r).await.unwrap().page.total_count, 1, "{key}");
    }
    let none = DescribeBackupPlansRequest { filters: vec![Filter::new("planName", "", &["other"])], ..Default::default() };
    assert_eq!(t.client.send(&none).await.unwrap().page.total_count, 0);
    let sql = DescribeBackupPlansRequest { source_type: Some("SQLSERVER".into()), ..Default::default() };
    assert_eq!(t.client.send(&sql).await.unwrap().page.total_count, 0);
    let bad_key = DescribeBackupPlansRequest { filters: vec![Filter::new("colour", "", &["red"])], ..Default::default() };
    assert_eq!(code(&t.client.send(&bad_key).await.unwrap_err()), ("InvalidParameter", 400));

    // A duplicate name in the vault and source type is 409; everything malformed is 400/404.
    assert_eq!(code(&t.client.send(&create).await.unwrap_err()), ("PlanNameAlreadyExists", 409));
    let ok = file_plan(&c.vault_id, &c.client_id, "other", format!("I|{start}|PT1H"), &data);
    let bad: Vec<(&str, CreateBackupPlanRequest, (&str, u16))> = vec![
        ("schedule", CreateBackupPlanRequest { schedule: "every day".into(), ..ok.clone() }, ("InvalidParameter", 400)),
        ("months", CreateBackupPlanRequest { schedule: format!("I|{start}|P1M"), ..ok.clone() }, ("InvalidParameter", 400)),
        ("zero interval", CreateBackupPlanRequest { schedule: format!("I|{start}|PT0S"), ..ok.clone() }, ("InvalidParameter", 400)),
        ("retention", CreateBackupPlanRequest { retention: Some(0), ..ok.clone() }, ("InvalidParameter", 400)),
        ("keep latest", CreateBackupPlanRequest { keep_latest_snapshots: Some(2), ..ok.clone() }, ("InvalidParameter", 400)),
        ("rules", CreateBackupPlanRequest { retention_rules: r#"[{"AdvancedRetentionType":"HOURLY","Retention":1}]"#.into(), ..ok.clone() }, ("InvalidParameter", 400)),
        ("source", CreateBackupPlanRequest { source_type: "OSS".into(), ..ok.clone() }, ("InvalidParameter", 400)),
        ("long name", CreateBackupPlanRequest { plan_name: "n".repeat(65), ..ok.clone() }, ("InvalidParameter", 400)),
        ("relative path", CreateBackupPlanRequest { path: vec!["rel/dir".into()], ..ok.clone() }, ("InvalidParameter", 400)),
        ("missing path", CreateBackupPlanRequest { path: vec![], ..ok.clone() }, ("MissingParameter", 400)),
        ("missing client", CreateBackupPlanRequest { instance_id: String::new(), ..ok.clone() }, ("MissingParameter", 400)),
        ("unknown client", CreateBackupPlanRequest { instance_id: "c-nope".into(), ..ok.clone() }, ("ClientNotFound", 404)),
        ("unknown vault", CreateBackupPlanRequest { vault_id: "v-nope".into(), ..ok.clone() }, ("VaultNotFound", 404)),
        ("speed limit", CreateBackupPlanRequest { speed_limit: "0|30|5".into(), ..ok.clone() }, ("InvalidParameter", 400)),
        ("databases on a file plan", CreateBackupPlanRequest { database_names: vec!["db".into()], ..ok.clone() }, ("InvalidParameter", 400)),
        ("bad exclude", CreateBackupPlanRequest { exclude: vec!["[".into()], ..ok.clone() }, ("InvalidParameter", 400)),
    ];
    for (what, r, want) in bad {
        assert_eq!(code(&t.client.send(&r).await.unwrap_err()), want, "{what}");
    }
    let e = t.client.call::<serde_json::Value>("CreateBackupPlan", &[("VaultId", c.vault_id.clone()), ("SourceType", "FILE".into()), ("Schedule", format!("I|{start}|P1D"))]).await.unwrap_err();
    assert_eq!(code(&e), ("MissingParameter", 400));
    // The SDKs' per-rule retention would be ignored: refused instead.
    let mut with_rule = ok.to_params();
    with_rule.push(("Rule.1.Retention".into(), "3".into()));
    let with_rule: Vec<(&str, String)> = with_rule.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let e = t.client.call::<serde_json::Value>("CreateBackupPlan", &with_rule).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    assert!(e.to_string().contains("Rule"), "{e}");
    // The SDKs' other client parameter names and the Include form.
    let alt = CreateBackupPlanRequest { instance_id: String::new(), data_source_id: c.client_id.clone(), path: vec![], include: vec![data.display().to_string()], ..ok.clone() };
    let alt_id = t.client.send(&alt).await.unwrap().plan_id;
    assert_eq!(plan(&t.client, &alt_id).await.paths.path, [data.display().to_string()]);
    assert_eq!(t.client.send(&DescribeBackupPlansRequest::default()).await.unwrap().page.total_count, 2);

    // Update: name, schedule (the next run moves), retention, speed limit; a taken name is 409.
    let start2 = now() + 7200;
    let update = UpdateBackupPlanRequest {
        plan: plan_ref(&id),
        plan_name: Some("hourly".into()),
        schedule: Some(format!("I|{start2}|PT1H")),
        retention: Some(30),
        keep_latest_snapshots: Some(0),
        speed_limit: Some("NONE".into()),
        exclude: Some("[]".into()),
        ..Default::default()
    };
    t.client.send(&update).await.unwrap();
    let p = plan(&t.client, &id).await;
    assert_eq!((p.plan_name.as_str(), p.next_run_time, p.retention, p.keep_latest_snapshots), ("hourly", start2, Some(30), 0));
    assert_eq!((p.speed_limit.as_str(), p.exclude.as_str()), ("", "[]"));
    let taken = UpdateBackupPlanRequest { plan: plan_ref(&id), plan_name: Some("other".into()), ..Default::default() };
    assert_eq!(code(&t.client.send(&taken).await.unwrap_err()), ("PlanNameAlreadyExists", 409));
    let bad_update = UpdateBackupPlanRequest { plan: plan_ref(&id), schedule: Some("I|0|P1Y".into()), ..Default::default() };
    assert_eq!(code(&t.client.send(&bad_update).await.unwrap_err()), ("InvalidParameter", 400));
    let other_vault = UpdateBackupPlanRequest { plan: PlanRef { vault_id: Some("v-other".into()), ..plan_ref(&id) }, ..Default::default() };
    assert_eq!(code(&t.client.send(&other_vault).await.unwrap_err()), ("PlanNotFound", 404));

    // Run now: a MANUAL job with the plan's id, found by Filters PlanId, and the plan's latest run.
    let job_id = t.client.send(&ExecuteBackupPlanRequest { plan: plan_ref(&id) }).await.unwrap().job_id;
    let j = wait_backup(&t.client, &job_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_eq!((j.plan_id.as_str(), j.trigger_mode.as_str()), (id.as_str(), "MANUAL"));
    let jobs = plan_jobs(&t.client, &id).await;
    assert_eq!(jobs.iter().map(|j| j.job_id.as_str()).collect::<Vec<_>>(), [job_id.as_str()]);
    let p = plan(&t.client, &id).await;
    assert_eq!((p.latest_execute_job_id.as_str(), p.latest_execute_job_status.as_str()), (job_id.as_str(), "COMPLETE"));
    // The snapshot's manifest carries the plan, the trigger and the plan's retention (the
    // contract with snapshot expiry).
    let snap = t.running().state.catalog.snapshot(&c.vault_id, &j.snapshot_id).unwrap().expect("catalogued snapshot");
    assert_eq!((snap.meta["plan_id"].as_str(), snap.meta["trigger"].as_str()), (Some(id.as_str()), Some("MANUAL")));
    let policy = RetentionPolicy::from_meta(&snap.meta);
    assert_eq!((policy.days, policy.keep_latest), (Some(30), false));
    assert_eq!(policy.rules.iter().map(|r| (r.kind.as_str(), r.days)).collect::<Vec<_>>(), [("WEEKLY", 60)]);
    // A plain CreateBackupJob carries no plan and is MANUAL.
    let plain = t.client.create_backup_job(&c.vault_id, &c.client_id, &[data.display().to_string()], &[]).await.unwrap().job_id;
    let pj = wait_backup(&t.client, &plain).await;
    assert_eq!((pj.plan_id.as_str(), pj.trigger_mode.as_str()), ("", "MANUAL"));
    assert_eq!(plan_jobs(&t.client, &id).await.len(), 1, "the plain job is not the plan's");

    // Disable: no next run; enable: the next slot from now.
    t.client.send(&DisableBackupPlanRequest { plan: plan_ref(&id) }).await.unwrap();
    let p = plan(&t.client, &id).await;
    assert!(p.disabled && p.next_run_time == 0, "{p:?}");
    t.client.send(&EnableBackupPlanRequest { plan: PlanRef { source_type: Some("ecs_file".into()), vault_id: Some(c.vault_id.clone()), ..plan_ref(&id) } }).await.unwrap();
    let p = plan(&t.client, &id).await;
    assert!(!p.disabled && p.next_run_time == start2, "{p:?}");

    // Delete keeps the jobs and snapshots.
    let snapshots = t.client.describe_snapshots(&c.vault_id).await.unwrap().page.total_count;
    t.client.send(&DeleteBackupPlanRequest { plan: plan_ref(&id), require_no_running_jobs: true }).await.unwrap();
    assert_eq!(t.client.send(&DescribeBackupPlansRequest::default()).await.unwrap().page.total_count, 1);
    assert_eq!(plan_jobs(&t.client, &id).await.len(), 1);
    assert_eq!(t.client.describe_snapshots(&c.vault_id).await.unwrap().page.total_count, snapshots);
    // Every action on an unknown plan is 404 PlanNotFound.
    let gone = || plan_ref(&id);
    assert_eq!(code(&t.client.send(&ExecuteBackupPlanRequest { plan: gone() }).await.unwrap_err()), ("PlanNotFound", 404));
    assert_eq!(code(&t.client.send(&EnableBackupPlanRequest { plan: gone() }).await.unwrap_err()), ("PlanNotFound", 404));
    assert_eq!(code(&t.client.send(&DisableBackupPlanRequest { plan: gone() }).await.unwrap_err()), ("PlanNotFound", 404));
    assert_eq!(code(&t.client.send(&DeleteBackupPlanRequest { plan: gone(), require_no_running_jobs: false }).await.unwrap_err()), ("PlanNotFound", 404));
    assert_eq!(code(&t.client.send(&UpdateBackupPlanRequest { plan: gone(), ..Default::default() }).await.unwrap_err()), ("PlanNotFound", 404));
    let e = t.client.call::<serde_json::Value>("ExecuteBackupPlan", &[]).await.unwrap_err();
    assert_eq!(code(&e), ("MissingParameter", 400));
}

/// 512 KiB at 64 KiB/s: a limited backup takes at least 8 seconds.
#[tokio::test]
async fn a_backup_speed_limit_limits_the_read_rate() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    write(&src.path().join("big.bin"), &random_bytes(512 * 1024, 3));
    let c = t.client.create_backup_client("slow", "cn-hangzhou", None).await.unwrap();
    let req = CreateBackupJobRequest {
        vault_id: c.vault_id.clone(),
        client_id: c.client_id.clone(),
        include: vec![src.path().display().to_string()],
        speed_limit: Some("0:24:64".into()),
        ..Default::default()
    };
    let started = Instant::now();
    let job = t.client.send(&req).await.unwrap().job_id;
    let j = wait_backup(&t.client, &job).await;
    let took = started.elapsed();
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert!(took >= Duration::from_secs(8), "a 512 KiB backup at 64 KiB/s took {took:?}");
    // Without a limit a backup of it is quick (the next slots of a busy machine allowing).
    let started = Instant::now();
    let fast = t.client.send(&CreateBackupJobRequest { speed_limit: None, ..req }).await.unwrap().job_id;
    wait_backup(&t.client, &fast).await;
    assert!(started.elapsed() < Duration::from_secs(6), "unlimited took {:?}", started.elapsed());
}

#[tokio::test]
async fn scheduled_runs_skip_while_the_previous_runs_and_disabled_plans_never_fire() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    write(&src.path().join("big.bin"), &random_bytes(512 * 1024, 9));
    let c = t.client.create_backup_client("sched", "cn-hangzhou", None).await.unwrap();
    let start = now() + 2;
    // Every 2 seconds, but each run takes at least 8 (64 KiB/s on 512 KiB).
    let busy = CreateBackupPlanRequest { speed_limit: "0|24|64".into(), ..file_plan(&c.vault_id, &c.client_id, "busy", format!("I|{start}|PT2S"), src.path()) };
    let busy = t.client.send(&busy).await.unwrap().plan_id;
    let off = CreateBackupPlanRequest { disabled: true, ..file_plan(&c.vault_id, &c.client_id, "off", format!("I|{start}|PT1S"), src.path()) };
    let off = t.client.send(&off).await.unwrap().plan_id;
    assert_eq!(plan(&t.client, &off).await.next_run_time, 0);

    let first = wait_for(Duration::from_secs(20), "the first scheduled run", || async { plan_jobs(&t.client, &busy).await.pop() }).await;
    assert_eq!((first.trigger_mode.as_str(), first.plan_id.as_str()), ("AUTO", busy.as_str()));
    // While it runs, the slots pass without a second run; run-now is refused too.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let jobs = plan_jobs(&t.client, &busy).await;
    assert_eq!(jobs.len(), 1, "slots were skipped while the first run ran: {jobs:?}");
    assert_eq!(jobs[0].job.status, "RUNNING");
    let e = t.client.send(&ExecuteBackupPlanRequest { plan: plan_ref(&busy) }).await.unwrap_err();
    assert_eq!(code(&e), ("PlanJobRunning", 409));
    let e = t.client.send(&DeleteBackupPlanRequest { plan: plan_ref(&busy), require_no_running_jobs: true }).await.unwrap_err();
    assert_eq!(code(&e), ("PlanJobRunning", 409));
    let p = plan(&t.client, &busy).await;
    assert!(p.next_run_time > now() - 2 && p.next_run_time <= now() + 2, "the next slot counts: {}", p.next_run_time);
    assert_eq!(wait_backup(&t.client, &first.job_id).await.job.status, "COMPLETE");
    // Once it ended, the next slot starts the next run.
    wait_until(Duration::from_secs(15), "a second scheduled run", || async { plan_jobs(&t.client, &busy).await.len() >= 2 }).await;
    assert!(plan_jobs(&t.client, &busy).await.iter().all(|j| j.trigger_mode == "AUTO"));
    t.client.send(&DisableBackupPlanRequest { plan: plan_ref(&busy) }).await.unwrap();
    let n = plan_jobs(&t.client, &busy).await.len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(plan_jobs(&t.client, &busy).await.len(), n, "a disabled plan does not fire");
    assert!(plan_jobs(&t.client, &off).await.is_empty(), "the plan created disabled never fired");
    // Enabled, it fires again.
    t.client.send(&EnableBackupPlanRequest { plan: plan_ref(&off) }).await.unwrap();
    wait_until(Duration::from_secs(10), "the enabled plan's run", || async { !plan_jobs(&t.client, &off).await.is_empty() }).await;
}

#[tokio::test]
async fn schedules_survive_a_restart_and_missed_runs_are_not_made_up() {
    let mut t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 4, 3);
    let c = t.client.create_backup_client("restart", "cn-hangzhou", None).await.unwrap();
    let t0 = now();
    let missed = t.client.send(&file_plan(&c.vault_id, &c.client_id, "missed", format!("I|{}|PT1H", t0 + 2), src.path())).await.unwrap().plan_id;
    let later = t.client.send(&file_plan(&c.vault_id, &c.client_id, "later", format!("I|{}|PT1H", t0 + 9), src.path())).await.unwrap().plan_id;
    t.stop().await;
    // Down while the first plan's slot passes.
    tokio::time::sleep(Duration::from_secs((t0 + 4 - now()).max(0) as u64)).await;
    let t = t.restart().await;
    wait_until(Duration::from_secs(10), "the missed plan moved to its next slot", || async { plan(&t.client, &missed).await.next_run_time == t0 + 2 + 3600 }).await;
    assert_eq!(plan(&t.client, &later).await.next_run_time, t0 + 9, "the schedule survived the restart");
    let j = wait_for(Duration::from_secs(25), "the later plan's run after the restart", || async { plan_jobs(&t.client, &later).await.pop() }).await;
    assert_eq!(j.trigger_mode, "AUTO");
    assert!(j.job.created_time >= t0 + 9, "not before its slot: {} < {}", j.job.created_time, t0 + 9);
    assert!(plan_jobs(&t.client, &missed).await.is_empty(), "a run missed while down is not made up");
    assert_eq!(wait_backup(&t.client, &j.job_id).await.job.status, "COMPLETE");
    assert_eq!(plan(&t.client, &later).await.next_run_time, t0 + 9 + 3600);
}

/// SQL Server databases on a plan (`SourceType=SQLSERVER`, `ClusterId`, `DatabaseNames`): a
/// scheduled run backs each database up with the plan's id, trigger and retention.
#[tokio::test]
async fn sql_server_databases_on_a_plan() {
    let t = TestServer::start().await;
    let dir = t.dir.path().join("sql-plan");
    mirrorvault::backend::demo::databases::seed(&dir).unwrap();
    let c = t.client.create_backup_client("sql", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let spec = mirrorvault::client::InstanceSpec { vault_id: c.vault_id.clone(), engine: "DEMO".into(), server_name: dir.display().to_string(), ..Default::default() };
    let i = t.client.create_sql_server_instance(&spec).await.unwrap();
    let sql = CreateBackupPlanRequest {
        vault_id: c.vault_id.clone(),
        source_type: "sqlserver".into(),
        plan_name: "databases".into(),
        schedule: format!("I|{}|PT1H", now() + 1),
        cluster_id: i.cluster_id.clone(),
        database_names: vec!["sales".into(), "inventory".into()],
        retention: Some(14),
        ..Default::default()
    };
    for (what, bad) in [
        ("no databases", CreateBackupPlanRequest { database_names: vec![], ..sql.clone() }),
        ("paths on a SQL plan", CreateBackupPlanRequest { path: vec![dir.display().to_string()], ..sql.clone() }),
        ("speed limit on a SQL plan", CreateBackupPlanRequest { speed_limit: "0|24|10".into(), ..sql.clone() }),
    ] {
        assert_eq!(code(&t.client.send(&bad).await.unwrap_err()).1, 400, "{what}");
    }
    let e = t.client.send(&CreateBackupPlanRequest { cluster_id: "cl-nope".into(), ..sql.clone() }).await.unwrap_err();
    assert_eq!(code(&e).1, 404);
    let id = t.client.send(&sql).await.unwrap().plan_id;
    let p = plan(&t.client, &id).await;
    assert_eq!((p.source_type.as_str(), p.cluster_id.as_str(), p.database_names.len()), ("SQLSERVER", i.cluster_id.as_str(), 2));
    assert!(p.paths.path.is_empty());
    let j = wait_for(Duration::from_secs(20), "the SQL plan's scheduled run", || async { plan_jobs(&t.client, &id).await.pop() }).await;
    let j = wait_backup(&t.client, &j.job_id).await;
    assert_eq!((j.job.status.as_str(), j.trigger_mode.as_str(), j.source_type.as_str()), ("COMPLETE", "AUTO", "SQLSERVER"), "{}", j.job.error_message);
    let snaps = t.running().state.catalog.list_snapshots(&c.vault_id, None, Some("SQLSERVER")).unwrap();
    assert_eq!(snaps.len(), 2);
    for s in &snaps {
        assert_eq!(s.meta["plan_id"].as_str(), Some(id.as_str()));
        assert_eq!(RetentionPolicy::from_meta(&s.meta).days, Some(14));
        assert!(s.meta["DatabaseName"].is_string(), "the SQL Server meta stays: {}", s.meta);
    }
}
