//! The seed's headline scenario end to end on the real server: a demo SQL Server instance in
//! region A → backup → mirror in region B → backup replicated → region A unavailable → instance
//! registered in region B on the mirror vault → restore → integrity and row counts verified.
use std::time::Duration;

use crate::support::*;
use mirrorvault::client::{InstanceSpec, SqlRestoreSpec};



#[tokio::test]
async fn restore_from_mirror_into_region_b_during_an_outage() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let a_dir = t.dir.path().join("sql-a");
    mirrorvault::backend::demo::databases::seed(&a_dir).unwrap();

    // region A: client + source vault + demo instance, backup of both databases
    let c = t.client.create_backup_client("sql-cluster-a", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let a = t.client.create_sql_server_instance(&InstanceSpec {
        vault_id: c.vault_id.clone(),
        engine: "DEMO".into(),
        server_name: a_dir.display().to_string(),
        sql_login: "sa".into(),
        sql_password: "Demo-Secret-Pw-1".into(),
        ..Default::default()
    }).await.unwrap();
    assert_eq!(a.status, "ONLINE", "{:?}", a.precheck);
    assert_eq!(a.precheck.engine_label, "Demo engine");
    let dbs = t.client.describe_sql_server_databases(&a.cluster_id).await.unwrap().databases.database;
    let names: Vec<_> = dbs.iter().map(|d| d.database_name.as_str()).collect();
    assert!(names.contains(&"sales") && names.contains(&"inventory"), "{names:?}");

    // mirror in region B, then a backup that replicates in real time
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-beijing", "sql-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    let job = t.client.create_sql_server_backup_job(&a.cluster_id, &["sales".into(), "inventory".into()]).await.unwrap();
    let j = wait_backup(&t.client, &job.job_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    wait_until(Duration::from_secs(30), "both SQL Server snapshots in the mirror", || async {
        t.client.describe_sql_server_snapshots(&m.vault_id, None, None).await.unwrap().snapshots.snapshot.len() == 2
    })
    .await;
    let sales = t.client.describe_sql_server_snapshots(&m.vault_id, Some(&a.cluster_id), Some("sales")).await.unwrap().snapshots.snapshot.remove(0);
    assert_eq!(sales.backup_type, "FULL");

    // a backup through an instance on the mirror is refused
    let b_dir = t.dir.path().join("sql-b");
    let b = t.client.create_sql_server_instance(&InstanceSpec { vault_id: m.vault_id.clone(), engine: "DEMO".into(), server_name: b_dir.display().to_string(), ..Default::default() }).await.unwrap();
    let e = t.client.create_sql_server_backup_job(&b.cluster_id, &["sales".into()]).await.unwrap_err();
    assert_eq!(code(&e), ("CannotBackupToMirrorVault", 409));

    // region A goes down
    t.client.set_region_outage("cn-hangzhou", true).await.unwrap();
    let servers = t.client.get_sql_servers_to_restore(&m.vault_id).await.unwrap().instances.instance;
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].cluster_id, a.cluster_id);
    let restorable = t.client.get_sql_server_databases_to_restore(&m.vault_id, &a.cluster_id).await.unwrap().databases.database;
    assert_eq!(restorable.len(), 2);

    // an instance in region A cannot be the target of a restore from the mirror in region B
    let spec = SqlRestoreSpec {
        vault_id: m.vault_id.clone(),
        snapshot_id: sales.snapshot_id.clone(),
        source_cluster_id: a.cluster_id.clone(),
        source_database_name: "sales".into(),
        cluster_id: a.cluster_id.clone(),
        target_database_name: "sales_dr".into(),
        ..Default::default()
    };
    let e = t.client.create_sql_server_restore(&spec).await.unwrap_err();
    assert_eq!(code(&e), ("InstanceNotInMirrorRegion", 409));

    // restore into the region-B instance, verified
    let r = t.client.create_sql_server_restore(&SqlRestoreSpec { cluster_id: b.cluster_id.clone(), ..spec.clone() }).await.unwrap();
    let done = wait_sql_restore(&t.client, &r.restore_id).await;
    assert_eq!(done.status, "COMPLETE", "{}", done.error_message);
    assert_eq!(done.percentage, 100);
    let v = done.verification.clone().expect("verification");
    assert!(v.integrity_ok && v.row_counts_match, "{v:?}");
    assert!(v.expected_row_counts.get("orders").copied().unwrap_or(0) > 0, "{v:?}");
    let report = done.report.expect("drill report");
    assert!(report.restored_from_mirror);
    assert_eq!((report.source_region_id.as_str(), report.restore_region_id.as_str()), ("cn-hangzhou", "cn-beijing"));
    assert!(report.rpo_seconds >= 0 && report.rto_seconds >= 0 && report.bytes_moved > 0);
    assert!(b_dir.join("sales_dr.sqlite").exists());

    // onto an existing database without ReplaceDatabase: 409, the existing one untouched
    let before = std::fs::read(b_dir.join("sales_dr.sqlite")).unwrap();
    let e = t.client.create_sql_server_restore(&SqlRestoreSpec { cluster_id: b.cluster_id.clone(), ..spec.clone() }).await.unwrap_err();
    assert_eq!(code(&e), ("DatabaseAlreadyExists", 409));
    assert!(std::fs::read(b_dir.join("sales_dr.sqlite")).unwrap() == before);
    let r = t.client.create_sql_server_restore(&SqlRestoreSpec { cluster_id: b.cluster_id.clone(), replace_database: true, ..spec.clone() }).await.unwrap();
    assert_eq!(wait_sql_restore(&t.client, &r.restore_id).await.status, "COMPLETE");

    // the password is never returned
    let listed = serde_json::to_string(&t.client.describe_sql_server_instances(None).await.unwrap().instances.instance).unwrap();
    assert!(!listed.contains("Demo-Secret-Pw-1"));
    let catalog = std::fs::read(t.dir.path().join("catalog.sqlite")).unwrap();
    assert!(!catalog.windows(16).any(|w| w == b"Demo-Secret-Pw-1"), "password stored in clear");

    // lifting the outage: replication goes on, nothing lost
    t.client.set_region_outage("cn-hangzhou", false).await.unwrap();
    let job = t.client.create_sql_server_backup_job(&a.cluster_id, &["inventory".into()]).await.unwrap();
    assert_eq!(wait_backup(&t.client, &job.job_id).await.job.status, "COMPLETE");
    wait_until(Duration::from_secs(30), "the third SQL Server snapshot in the mirror", || async {
        t.client.describe_sql_server_snapshots(&m.vault_id, None, None).await.unwrap().snapshots.snapshot.len() == 3
    })
    .await;
}

#[tokio::test]
async fn demo_instances_stay_inside_the_data_dir() {
    let t = TestServer::start().await;
    let v = t.vault("cn-hangzhou", "sql").await;
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("created-by-a-request");
    let spec = InstanceSpec { vault_id: v.clone(), engine: "DEMO".into(), server_name: target.display().to_string(), ..Default::default() };
    let e = t.client.precheck_sql_server(&spec).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    let e = t.client.create_sql_server_instance(&spec).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));
    assert!(!target.exists(), "a request created a directory outside the data dir");
    for bad in ["../escape", "a/b", "x y"] {
        let e = t.client.create_sql_server_instance(&InstanceSpec { server_name: bad.into(), ..spec.clone() }).await.unwrap_err();
        assert_eq!(code(&e), ("InvalidParameter", 400), "{bad}");
    }
    let ok = t.client.create_sql_server_instance(&InstanceSpec { server_name: "named-demo".into(), ..spec }).await.unwrap();
    assert_eq!(ok.status, "ONLINE");
    assert!(t.dir.path().join("sqlserver-demo/named-demo").is_dir());
}
