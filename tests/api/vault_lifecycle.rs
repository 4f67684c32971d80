//! A vault's identity kept in its location (a lost catalog adopts vaults by their names and
//! mirror relationship) and crash-safe vault deletion (tombstone first, finished at restart).
use std::path::Path;
use std::time::Duration;

use crate::support::*;

/// Every object under a vault's prefix in a local region.
fn objects_of(region_dir: &Path, vault_id: &str) -> Vec<std::path::PathBuf> {
    let dir = region_dir.join("vaults").join(vault_id);
    if dir.exists() { files_under(&dir) } else { Vec::new() }
}

/// The catalog's status of a vault, read straight from SQLite (the server is stopped).
fn set_catalog_status(data_dir: &Path, vault_id: &str, status: &str) {
    let conn = rusqlite::Connection::open(data_dir.join("catalog.sqlite")).unwrap();
    let n = conn.execute("UPDATE vaults SET status = ?2 WHERE vault_id = ?1", rusqlite::params![vault_id, status]).unwrap();
    assert_eq!(n, 1, "the vault's catalog row");
}

#[tokio::test]
async fn a_lost_catalog_adopts_vaults_with_their_names_and_mirror_relationship() {
    let t = TestServer::start_with(Duration::from_secs(0)).await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 5, 6);
    let c = t.client.create_backup_client("finance-files", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "finance-dr", "the DR copy").await.unwrap();
    t.wait_created(&m.vault_id).await;
    t.client.sync_replication_vault_now(&m.vault_id).await.unwrap();
    wait_until(Duration::from_secs(30), "the snapshot in the mirror", || async { t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.len() == 1 }).await;
    // a rename reaches the location too
    let _: serde_json::Value = t.client.call("UpdateVault", &[("VaultId", c.vault_id.clone()), ("VaultName", "finance-renamed".into()), ("Description", "payroll and ledgers".into())]).await.unwrap();
    // the backup client must go before its vault could be deleted; here the catalog is simply lost
    let old_dir = t.dir.path().to_path_buf();
    let mut t = t;
    t.stop().await;

    let new_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(new_dir.path().join("regions")).unwrap();
    for r in ["cn-hangzhou", "cn-shanghai"] {
        std::fs::rename(old_dir.join("regions").join(r), new_dir.path().join("regions").join(r)).unwrap();
    }
    std::fs::copy(old_dir.join("master.key"), new_dir.path().join("master.key")).unwrap();
    let t2 = TestServer::start_in(new_dir, Duration::from_secs(3600)).await;
    wait_until(Duration::from_secs(20), "both vaults adopted", || async {
        t2.client.vault(&m.vault_id).await.ok().flatten().is_some() && t2.client.vault(&c.vault_id).await.ok().flatten().is_some()
    })
    .await;
    let sv = t2.client.vault(&c.vault_id).await.unwrap().unwrap();
    assert_eq!((sv.vault_name.as_str(), sv.description.as_str()), ("finance-renamed", "payroll and ledgers"));
    assert!(!sv.replication);
    assert_eq!(sv.replication_target_vault_id, m.vault_id, "the source knows its mirror again");
    let mv = t2.client.vault(&m.vault_id).await.unwrap().unwrap();
    assert_eq!((mv.vault_name.as_str(), mv.description.as_str()), ("finance-dr", "the DR copy"));
    assert!(mv.replication, "the mirror stays a mirror (read-only)");
    assert_eq!(mv.replication_source_vault_id, c.vault_id);
    assert_eq!(mv.status, "CREATED");
    wait_until(Duration::from_secs(20), "the mirror's snapshot catalogued", || async { t2.client.describe_snapshots(&m.vault_id).await.map(|r| r.snapshots.snapshot.len() == 1).unwrap_or(false) }).await;
}

#[tokio::test]
async fn delete_vault_removes_its_data_and_a_crash_midway_is_finished_at_restart() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 9, 6);
    let region_dir = t.dir.path().join("regions/cn-beijing");

    // a normal delete: nothing of the vault is left in the location
    let plain = t.vault("cn-beijing", "short-lived").await;
    assert!(!objects_of(&region_dir, &plain).is_empty());
    let _: serde_json::Value = t.client.call("DeleteVault", &[("VaultId", plain.clone())]).await.unwrap();
    assert!(objects_of(&region_dir, &plain).is_empty(), "{:?}", objects_of(&region_dir, &plain));
    assert!(t.client.vault(&plain).await.unwrap().is_none());

    // two vaults with data, whose deletes "crash" at different moments
    let mut ids = Vec::new();
    for name in ["crash-after-mark", "crash-after-tombstone"] {
        let c = t.client.create_backup_client(name, "cn-beijing", None).await.unwrap();
        t.wait_created(&c.vault_id).await;
        backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
        let _: serde_json::Value = t.client.call("DeleteBackupClient", &[("ClientId", c.client_id.clone())]).await.unwrap();
        ids.push(c.vault_id);
    }
    let keep = t.vault("cn-beijing", "stays").await;
    let mut t = t;
    t.stop().await;
    // 1: the catalog row was marked DELETING, nothing else happened
    set_catalog_status(t.dir.path(), &ids[0], "DELETING");
    // 2: also the tombstone was written and part of the data (config first) removed
    set_catalog_status(t.dir.path(), &ids[1], "DELETING");
    let vdir = region_dir.join("vaults").join(&ids[1]);
    std::fs::write(vdir.join("deleting"), br#"{"deleted":1}"#).unwrap();
    std::fs::remove_file(vdir.join("config")).unwrap();
    let t = t.restart().await;
    for id in &ids {
        wait_until(Duration::from_secs(20), format!("the delete of {id} finished"), || async { t.client.vault(id).await.map(|v| v.is_none()).unwrap_or(false) }).await;
        assert!(objects_of(&region_dir, id).is_empty(), "{id}: {:?}", objects_of(&region_dir, id));
    }
    let kept = t.client.vault(&keep).await.unwrap().expect("an untouched vault stays");
    assert_eq!(kept.status, "CREATED");
}

#[tokio::test]
async fn a_tombstoned_vault_in_a_location_is_never_adopted_back() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 11, 4);
    let c = t.client.create_backup_client("half-deleted", "cn-shanghai", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    let old_dir = t.dir.path().to_path_buf();
    let mut t = t;
    t.stop().await;
    // the delete had written its tombstone (config still there) when the machine and its
    // catalog were lost; before, the vault came back as recovered-<id>
    let vdir = old_dir.join("regions/cn-shanghai/vaults").join(&c.vault_id);
    std::fs::write(vdir.join("deleting"), br#"{"deleted":1}"#).unwrap();
    let new_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(new_dir.path().join("regions")).unwrap();
    std::fs::rename(old_dir.join("regions/cn-shanghai"), new_dir.path().join("regions/cn-shanghai")).unwrap();
    std::fs::copy(old_dir.join("master.key"), new_dir.path().join("master.key")).unwrap();
    let t2 = TestServer::start_in(new_dir, Duration::from_secs(3600)).await;
    let region_dir = t2.dir.path().join("regions/cn-shanghai");
    wait_until(Duration::from_secs(20), "the interrupted delete finished", || async { objects_of(&region_dir, &c.vault_id).is_empty() }).await;
    assert!(t2.client.vault(&c.vault_id).await.unwrap().is_none(), "a deleted vault came back");
}
