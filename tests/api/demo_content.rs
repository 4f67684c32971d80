//! Demo content: what a newcomer sees on first start of a demo backend.
use std::time::{Duration, Instant};

use mirrorvault::api::backup::{JOB_COMPLETE, JOB_RUNNING};
use mirrorvault::api::vault::Vault;

use crate::support::{wait_until, TestServer};

const MIB: i64 = 1 << 20;

/// Starts a demo backend and waits until its content is seeded (both mirrors, the SQL one in
/// sync, finance-fileserver's two backups).
async fn seeded_demo() -> (TestServer, Vec<Vault>) {
    let t = TestServer::options().delay(Duration::from_secs(180)).demo().start().await;
    let client = t.client.clone();
    wait_until(Duration::from_secs(120), "the demo content", || async {
        let vaults = client.all_vaults().await.unwrap();
        let by = |n: &str| vaults.iter().find(|v| v.vault_name == n);
        let sql_in_sync = by("sqlserver-cluster-a-dr").is_some_and(|v| v.snapshot_count == 2 && v.replication_status == "IN_SYNC");
        let capped = by("web-01-dr").is_some_and(|v| v.replication_rate_limit > 0);
        let finance_done = by("finance-fileserver").is_some_and(|v| v.snapshot_count == 2);
        vaults.len() == 5 && sql_in_sync && capped && finance_done
    })
    .await;
    // The seeding's last step (a restart before it would seed again).
    let state = t.running().state.clone();
    wait_until(Duration::from_secs(10), "the demo marked as seeded", || {
        let seeded = state.catalog.setting("demo_seeded").unwrap().is_some();
        async move { seeded }
    })
    .await;
    let vaults = t.client.all_vaults().await.unwrap();
    (t, vaults)
}

fn by(vaults: &[Vault], name: &str) -> Vault {
    vaults.iter().find(|v| v.vault_name == name).unwrap_or_else(|| panic!("no vault {name}")).clone()
}

#[tokio::test]
async fn demo_seeds_both_mirror_states_and_a_drill_ready_sql_vault() {
    let (t, vaults) = seeded_demo().await;
    let client = t.client.clone();
    let web_dr = by(&vaults, "web-01-dr");
    assert!(web_dr.replication);
    assert_eq!(web_dr.replication_status, "WAITING_HISTORICAL");
    let finance = by(&vaults, "finance-fileserver");
    assert!(!finance.has_mirror());
    assert_eq!(finance.snapshot_count, 2);
    let instances = client.describe_sql_server_instances(None).await.unwrap().instances.instance;
    assert_eq!(instances.len(), 1);
    assert_eq!(instances[0].engine_label, "Demo engine");
    // a second start does not seed again
    let mut t = t.restart().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(t.client.all_vaults().await.unwrap().len(), 5);
    t.stop().await;
}

#[tokio::test]
async fn demo_file_servers_hold_tens_of_mib_and_the_mirror_is_capped_to_about_half_a_minute() {
    let (t, vaults) = seeded_demo().await;
    for name in ["finance-fileserver", "web-01"] {
        let v = by(&vaults, name);
        let snapshots = t.client.describe_snapshots(&v.vault_id).await.unwrap().snapshots.snapshot;
        let biggest = snapshots.iter().map(|s| s.bytes_total).max().unwrap_or(0);
        assert!(biggest >= 30 * MIB, "{name}: a snapshot of {biggest} bytes");
        assert!(v.storage_size >= 20 * MIB, "{name} stores {} bytes", v.storage_size);
    }
    // web-01-dr's historical sync (all of web-01) takes about 30 s at its cap.
    let (web, web_dr) = (by(&vaults, "web-01"), by(&vaults, "web-01-dr"));
    let seconds = web.storage_size / web_dr.replication_rate_limit;
    assert!((20..=40).contains(&seconds), "cap {} B/s for {} B: {seconds} s", web_dr.replication_rate_limit, web.storage_size);
    assert_eq!(by(&vaults, "sqlserver-cluster-a-dr").replication_rate_limit, 0, "only one demo mirror is capped");
}

#[tokio::test]
async fn back_up_now_on_a_demo_file_server_shows_progress_and_speed_but_not_for_other_clients() {
    let (t, vaults) = seeded_demo().await;
    let finance = by(&vaults, "finance-fileserver");
    // As the console's "Back up now" does: the client's paths from its latest snapshot, no SpeedLimit.
    let clients = t.client.describe_backup_clients(Some(&finance.vault_id)).await.unwrap().backup_clients.backup_client;
    let snapshots = t.client.describe_snapshots(&finance.vault_id).await.unwrap().snapshots.snapshot;
    let latest = snapshots.iter().max_by_key(|s| (s.complete_time, s.start_time)).unwrap();
    let job_id = t.client.create_backup_job(&finance.vault_id, &clients[0].client_id, &latest.paths, &[]).await.unwrap().job_id;
    let started = Instant::now();
    let mut moving = None;
    let job = loop {
        let jobs = t.client.describe_backup_jobs(None, Some(&job_id)).await.unwrap().backup_jobs.backup_job;
        let job = jobs.into_iter().next().expect("the job");
        let p = &job.job;
        if p.status == JOB_RUNNING && p.bytes_done > 0 && p.bytes_done < p.bytes_total && p.speed > 0 {
            moving.get_or_insert((p.bytes_done, p.bytes_total, p.speed));
        }
        if p.status != JOB_RUNNING && p.status != "CREATED" {
            break job;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the backup did not end: {job:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job.job.status, JOB_COMPLETE, "{job:?}");
    let (done, total, speed) = moving.expect("progress between 0 and the total, with a speed, at least once");
    eprintln!("demo Back up now: {done} of {total} bytes at {speed} B/s; took {:?}", started.elapsed());
    assert!(started.elapsed() >= Duration::from_secs(3), "a demo backup takes a few seconds: {:?}", started.elapsed());
    // The demo's speed belongs to the demo's own clients only.
    let catalog = &t.running().state.catalog;
    assert!(catalog.demo_speed_limit(&clients[0].client_id).unwrap().is_some());
    let user = t.client.create_backup_client("user-fs", "cn-hangzhou", Some(&finance.vault_id)).await.unwrap();
    assert_eq!(catalog.demo_speed_limit(&user.client_id).unwrap(), None, "a client a user creates has no demo speed");
}
