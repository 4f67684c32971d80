//! Retention, expiry and deletion through the real server (issue 16): `CreateBackupJob`
//! `Retention` → `Retention`/`ExpireTime` on the snapshot; expiry after a commit once the
//! retention clock passed `ExpireTime`; `DeleteSnapshot` (404, 409 while a restore reads it);
//! `SearchHistoricalSnapshots` (Query operations, paging by `NextToken`, sort, errors).
//!
//! Time: the tests move the server's retention clock ahead with its test knob
//! (`state.retention.set_clock_offset`) instead of waiting days; the system clock, the catalog
//! rows and every other timer stay as they are.
use std::time::Duration;

use mirrorvault::api::backup::*;
use mirrorvault::api::retention::*;
use mirrorvault::backend::retention::policy::DAY;

use crate::support::*;

/// Backs `path` up with an optional `Retention`; returns (job id, snapshot id).
pub async fn backup_kept(t: &TestServer, vault_id: &str, client_id: &str, path: &std::path::Path, retention: Option<&str>) -> (String, String) {
    let req = CreateBackupJobRequest {
        vault_id: vault_id.into(),
        client_id: client_id.into(),
        include: vec![path.display().to_string()],
        retention: retention.map(str::to_string),
        ..Default::default()
    };
    let job = t.client.send(&req).await.expect("create backup job").job_id;
    let j = wait_backup(&t.client, &job).await;
    assert_eq!(j.job.status, JOB_COMPLETE, "{}", j.job.error_message);
    (job, j.snapshot_id)
}

pub async fn snapshots(t: &TestServer, vault_id: &str) -> Vec<Snapshot> {
    t.client.describe_snapshots(vault_id).await.unwrap().snapshots.snapshot
}

#[tokio::test]
async fn backup_retention_sets_expire_time_and_expiry_removes_what_passed_it() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 3, 4);
    let c = t.client.create_backup_client("kept", "cn-hangzhou", None).await.unwrap();
    let (_, short) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), Some("2")).await;
    let (_, forever) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), None).await;
    let (_, long) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), Some("30")).await;
    let list = snapshots(&t, &c.vault_id).await;
    let s = list.iter().find(|s| s.snapshot_id == short).unwrap();
    assert_eq!((s.retention, s.expire_time), (2, s.complete_time + 2 * DAY));
    let f = list.iter().find(|s| s.snapshot_id == forever).unwrap();
    assert_eq!((f.retention, f.expire_time), (0, 0), "no Retention: kept until deleted");

    for bad in ["0", "36501", "seven", "-1"] {
        let req = CreateBackupJobRequest {
            vault_id: c.vault_id.clone(),
            client_id: c.client_id.clone(),
            include: vec![src.path().display().to_string()],
            retention: Some(bad.into()),
            ..Default::default()
        };
        let e = t.client.send(&req).await.unwrap_err();
        assert_eq!(code(&e), ("InvalidParameter", 400), "Retention={bad}");
        assert!(e.to_string().contains("Retention"), "{e}");
    }

    // Three days on: the next commit expires the 2-day snapshot, nothing else.
    let state = &t.running().state;
    assert_eq!(state.catalog.last_snapshot_deletion(&c.vault_id).unwrap(), None);
    state.retention.set_clock_offset(3 * DAY);
    let (_, newest) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), Some("4")).await;
    let ids: Vec<String> = snapshots(&t, &c.vault_id).await.into_iter().map(|s| s.snapshot_id).collect();
    assert!(!ids.contains(&short), "the expired snapshot is still listed: {ids:?}");
    for kept in [&forever, &long, &newest] {
        assert!(ids.contains(kept), "{kept} was removed: {ids:?}");
    }
    assert!(state.catalog.last_snapshot_deletion(&c.vault_id).unwrap().is_some());
    assert!(state.catalog.deleted_snapshot_ids(&c.vault_id).unwrap().contains(&short));
    let manifest = t.dir.path().join(format!("regions/cn-hangzhou/vaults/{}/snapshots/{short}", c.vault_id));
    assert!(!manifest.exists(), "the manifest of the expired snapshot is still in the location");
    let out = tempfile::tempdir().unwrap();
    let e = t.client.create_restore_job(&c.vault_id, &short, &out.path().display().to_string(), &[], false).await.unwrap_err();
    assert_eq!(code(&e), ("SnapshotNotFound", 404));

    // The hourly pass does the same without a commit; a restart does not bring it back.
    state.retention.set_clock_offset(3 * DAY + 2 * DAY);
    assert_eq!(mirrorvault::backend::retention::expire_all(state).await, 1, "the 4-day snapshot expires on the pass");
    let t = t.restart().await;
    let ids: Vec<String> = snapshots(&t, &c.vault_id).await.into_iter().map(|s| s.snapshot_id).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&forever) && ids.contains(&long) && !ids.contains(&newest) && !ids.contains(&short));
}

#[tokio::test]
async fn delete_snapshot_removes_at_once_and_is_refused_while_a_restore_reads_it() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    // Enough data that a restore still runs when the next request arrives.
    let mut rng = 7u64;
    let big: Vec<u8> = (0..24 * 1024 * 1024)
        .map(|_| {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng >> 33) as u8
        })
        .collect();
    std::fs::write(src.path().join("big.bin"), &big).unwrap();
    let c = t.client.create_backup_client("del", "cn-hangzhou", None).await.unwrap();
    let (_, first) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), None).await;
    std::fs::write(src.path().join("small.txt"), b"second").unwrap();
    let (_, second) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), None).await;

    let out = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&c.vault_id, &first, &out.path().display().to_string(), &[], false).await.unwrap();
    let e = t.client.delete_snapshot(&c.vault_id, &first).await.unwrap_err();
    assert_eq!(code(&e), ("SnapshotInUse", 409), "{e}");
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, JOB_COMPLETE, "the restore of a snapshot someone tried to delete: {}", j.job.error_message);

    // Wrong client or source type: refused, nothing removed.
    let wrong = DeleteSnapshotRequest { vault_id: c.vault_id.clone(), snapshot_id: first.clone(), instance_id: "c-someoneelse".into(), ..Default::default() };
    assert_eq!(code(&t.client.send(&wrong).await.unwrap_err()), ("SnapshotNotFound", 404));
    let wrong = DeleteSnapshotRequest { vault_id: c.vault_id.clone(), snapshot_id: first.clone(), source_type: "SQLSERVER".into(), ..Default::default() };
    assert_eq!(code(&t.client.send(&wrong).await.unwrap_err()), ("InvalidParameter", 400));

    // The Tea model's shape: SourceType ECS_FILE, InstanceId.
    let req = DeleteSnapshotRequest {
        vault_id: c.vault_id.clone(),
        snapshot_id: first.clone(),
        source_type: "ECS_FILE".into(),
        instance_id: c.client_id.clone(),
        ..Default::default()
    };
    t.client.send(&req).await.unwrap();
    let ids: Vec<String> = snapshots(&t, &c.vault_id).await.into_iter().map(|s| s.snapshot_id).collect();
    assert_eq!(ids, vec![second.clone()]);
    assert_eq!(code(&t.client.delete_snapshot(&c.vault_id, &first).await.unwrap_err()), ("SnapshotNotFound", 404));
    assert_eq!(code(&t.client.delete_snapshot("v-nosuchvault", &first).await.unwrap_err()), ("VaultNotFound", 404));
    assert!(t.running().state.catalog.deleted_snapshot_ids(&c.vault_id).unwrap().contains(&first));

    // What is left still restores and verifies (the deleted snapshot's chunks are only garbage).
    let out2 = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&c.vault_id, &second, &out2.path().display().to_string(), &[], false).await.unwrap();
    assert_eq!(wait_restore(&t.client, &r.restore_id).await.job.status, JOB_COMPLETE);
    assert_eq!(std::fs::read(rerooted(out2.path(), &src.path().join("big.bin"))).unwrap(), big);
    let v = wait_verify(&t.client, &t.client.create_verify_job(&c.vault_id, None, true).await.unwrap().job_id).await;
    assert!(v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty(), "{v:?}");
}

fn search(query: serde_json::Value) -> SearchHistoricalSnapshotsRequest {
    SearchHistoricalSnapshotsRequest { source_type: "ECS_FILE".into(), query: Some(query.to_string()), ..Default::default() }
}

async fn found(t: &TestServer, r: &SearchHistoricalSnapshotsRequest) -> Vec<String> {
    let a = t.client.send(r).await.unwrap();
    assert!(a.snapshots.snapshot.len() as i64 <= a.total_count);
    a.snapshots.snapshot.into_iter().map(|s| s.snapshot_id).collect()
}

#[tokio::test]
async fn search_historical_snapshots_filters_pages_and_sorts_in_sql() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 5, 3);
    let a = t.client.create_backup_client("a", "cn-hangzhou", None).await.unwrap();
    let b = t.client.create_backup_client("b", "cn-beijing", None).await.unwrap();
    let mut snaps = Vec::new(); // (job, snapshot, vault, client) in completion order
    for (i, c) in [&a, &b, &a, &b].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(1100)).await; // distinct CompleteTime seconds
        }
        let (job, snap) = backup_kept(&t, &c.vault_id, &c.client_id, src.path(), (i == 2).then_some("9")).await;
        snaps.push((job, snap, c.vault_id.clone(), c.client_id.clone()));
    }
    let ids = |idx: &[usize]| idx.iter().map(|i| snaps[*i].1.clone()).collect::<Vec<_>>();

    let all = t.client.send(&SearchHistoricalSnapshotsRequest { source_type: "File".into(), ..Default::default() }).await.unwrap();
    assert_eq!(all.total_count, 4);
    assert_eq!(all.snapshots.snapshot.iter().map(|s| s.snapshot_id.clone()).collect::<Vec<_>>(), ids(&[0, 1, 2, 3]), "CompleteTime ascending by default");
    let s2 = &all.snapshots.snapshot[2];
    assert_eq!(
        (s2.job_id.as_str(), s2.vault_id.as_str(), s2.client_id.as_str(), s2.instance_id.as_str()),
        (snaps[2].0.as_str(), a.vault_id.as_str(), a.client_id.as_str(), a.client_id.as_str())
    );
    assert_eq!((s2.status.as_str(), s2.retention, s2.expire_time), ("COMPLETE", 9, s2.complete_time + 9 * 86_400));
    assert_eq!(s2.paths.path, vec![src.path().display().to_string()]);
    assert!(s2.bytes_total > 0 && s2.create_time > 0 && s2.create_time <= s2.complete_time);
    assert_eq!(all.next_token, "");

    let q = |field: &str, op: &str, value: serde_json::Value| serde_json::json!([{"field": field, "operation": op, "value": value}]);
    assert_eq!(found(&t, &search(q("VaultId", "MATCH_TERM", a.vault_id.clone().into()))).await, ids(&[0, 2]));
    assert_eq!(found(&t, &search(q("InstanceId", "IN", serde_json::json!([b.client_id])))).await, ids(&[1, 3]));
    assert_eq!(found(&t, &search(q("InstanceId", "NOT_IN", serde_json::json!([b.client_id, "c-x"])))).await, ids(&[0, 2]));
    let t1 = all.snapshots.snapshot[1].complete_time;
    let t2 = all.snapshots.snapshot[2].complete_time;
    assert_eq!(found(&t, &search(q("CompleteTime", "GREATER_THAN_OR_EQUAL", t1.to_string().into()))).await, ids(&[1, 2, 3]));
    assert_eq!(found(&t, &search(q("CompleteTime", "GREATER_THAN", t1.into()))).await, ids(&[2, 3]));
    assert_eq!(found(&t, &search(q("CompleteTime", "LESS_THAN", t1.into()))).await, ids(&[0]));
    assert_eq!(found(&t, &search(q("CompleteTime", "LESS_THAN_OR_EQUAL", t1.into()))).await, ids(&[0, 1]));
    assert_eq!(found(&t, &search(q("CompleteTime", "BETWEEN", serde_json::json!([t1, t2])))).await, ids(&[1, 2]));
    assert_eq!(found(&t, &search(q("CompleteTime", "BETWEEN", format!("[{t1},{t2}]").into()))).await, ids(&[1, 2]), "a JSON array in a string");
    assert_eq!(found(&t, &search(q("PlanId", "MATCH_TERM", "plan-none".into()))).await, Vec::<String>::new());
    // Several conditions all hold.
    let both = serde_json::json!([{"field": "VaultId", "value": a.vault_id, "operation": "MATCH_TERM"}, {"field": "CreateTime", "value": t1, "operation": "GREATER_THAN"}]);
    assert_eq!(found(&t, &search(both)).await, ids(&[2]));

    // Paging: Limit + NextToken walks every match once, in order; DESC reverses.
    let mut token = None;
    let mut walked = Vec::new();
    for _ in 0..10 {
        let r = SearchHistoricalSnapshotsRequest {
            source_type: "ECS_FILE".into(),
            limit: Some(3),
            next_token: token.clone(),
            order: Some("DESC".into()),
            ..Default::default()
        };
        let page = t.client.send(&r).await.unwrap();
        assert_eq!((page.total_count, page.limit), (4, 3));
        walked.extend(page.snapshots.snapshot.into_iter().map(|s| s.snapshot_id));
        if page.next_token.is_empty() {
            break;
        }
        token = Some(page.next_token);
    }
    assert_eq!(walked, ids(&[3, 2, 1, 0]));
    let count_only = t.client.send(&SearchHistoricalSnapshotsRequest { source_type: "ECS_FILE".into(), limit: Some(0), ..Default::default() }).await.unwrap();
    assert_eq!((count_only.total_count, count_only.snapshots.snapshot.len()), (4, 0));
    let by_expiry = SearchHistoricalSnapshotsRequest {
        source_type: "FILE".into(),
        sort_by: Some("ExpireTime".into()),
        order: Some("DESC".into()),
        limit: Some(1),
        ..Default::default()
    };
    assert_eq!(found(&t, &by_expiry).await, ids(&[2]));
    assert!(found(&t, &SearchHistoricalSnapshotsRequest { source_type: "SQLSERVER".into(), ..Default::default() }).await.is_empty());

    // Bad input: 400 with the parameter named.
    let bad = [
        (search(q("Colour", "MATCH_TERM", "x".into())), "Query"),
        (search(q("VaultId", "LIKE", "x".into())), "Query"),
        (search(q("CompleteTime", "BETWEEN", serde_json::json!([1]))), "Query"),
        (search(q("CompleteTime", "GREATER_THAN", "yesterday".into())), "Query"),
        (SearchHistoricalSnapshotsRequest { source_type: "FILE".into(), query: Some("{not json".into()), ..Default::default() }, "Query"),
        (SearchHistoricalSnapshotsRequest { source_type: "FILE".into(), next_token: Some("garbage".into()), ..Default::default() }, "NextToken"),
        (SearchHistoricalSnapshotsRequest { source_type: "FILE".into(), sort_by: Some("Colour".into()), ..Default::default() }, "SortBy"),
        (SearchHistoricalSnapshotsRequest { source_type: "FILE".into(), order: Some("UP".into()), ..Default::default() }, "Order"),
        (SearchHistoricalSnapshotsRequest { source_type: "FILE".into(), limit: Some(5000), ..Default::default() }, "Limit"),
    ];
    for (r, wire) in bad {
        let e = t.client.send(&r).await.unwrap_err();
        assert_eq!(code(&e), ("InvalidParameter", 400), "{r:?}");
        assert!(e.to_string().contains(wire), "{wire}: {e}");
    }
    let e = t.client.send(&SearchHistoricalSnapshotsRequest::default()).await.unwrap_err();
    assert_eq!(code(&e), ("MissingParameter", 400));
}
