//! S3 specifics beyond the location suite: a prefixed location's description, no secret in a
//! config's Debug output, and a backup / restore / copy round trip between two buckets.

use mirrorvault::backend::storage::*;

use crate::support::fixtures::{random_bytes, text_bytes, write};
use crate::support::s3::{s3_cfg, start_s3, SK};
use crate::support::store::{new_repo, progress, req, restore_req};
use crate::support::tree::{assert_trees_equal_content_mode_mtime, rerooted};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_backup_restore_copy_roundtrip() {
    let tmp = tempfile::tempdir().unwrap();
    let s3root = tmp.path().join("s3");
    std::fs::create_dir_all(s3root.join("region-a")).unwrap();
    std::fs::create_dir_all(s3root.join("region-b")).unwrap();
    let addr = start_s3(&s3root).await;

    let src = tmp.path().join("src");
    write(&src.join("big.bin"), &random_bytes(20 << 20, 1));
    write(&src.join("text.txt"), &text_bytes(300_000, 2));
    write(&src.join("d/small.txt"), b"small");
    std::os::unix::fs::symlink("text.txt", src.join("link")).unwrap();

    let master = MasterKey::generate();
    let loc_a = Location::open(&s3_cfg(addr, "region-a", "mv/prod")).unwrap();
    assert_eq!(loc_a.describe(), "s3://region-a/mv/prod");
    assert!(!format!("{:?}", s3_cfg(addr, "region-a", "")).contains(SK));
    loc_a.check().await.unwrap();
    let repo = new_repo(&loc_a, "vault-a", &master).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    write(&src.join("d/new.txt"), b"new");
    let mut r2 = req("s2", &[&src]);
    r2.parent_snapshot_id = Some("s1".into());
    let m2 = repo.backup(r2, progress()).await.unwrap();
    assert!(m2.bytes_added < 1 << 20);
    assert_eq!(loc_a.list_vaults().await.unwrap(), vec!["vault-a"]);

    let repo = Repo::open(&loc_a, "vault-a", &master).await.unwrap();
    assert_eq!(repo.list_snapshots().await.unwrap().len(), 2);
    let t1 = tmp.path().join("t1");
    let stats = repo.restore(restore_req("s2", &t1), progress()).await.unwrap();
    assert!(stats.failed_files.is_empty());
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&t1, &src));

    let loc_b = Location::open(&s3_cfg(addr, "region-b", "")).unwrap();
    let mirror = Repo::create(&loc_b, "vault-b", &master, repo.data_key(), "HBR_PRIVATE", None).await.unwrap();
    let stats = repo.copy_snapshot_to(&mirror, "s2", 0, progress()).await.unwrap();
    assert!(stats.packs_copied >= 2, "{stats:?}");
    let report = mirror.verify(None, true, progress()).await.unwrap();
    assert!(report.damaged_objects.is_empty(), "{report:?}");
    let t2 = tmp.path().join("t2");
    mirror.restore(restore_req("s2", &t2), progress()).await.unwrap();
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&t2, &src));

    loc_a.delete_vault("vault-a").await.unwrap();
    assert!(loc_a.list_vaults().await.unwrap().is_empty());
    loc_a.set_offline(true);
    assert!(matches!(loc_a.check().await, Err(StorageError::Unavailable(_))));
}
