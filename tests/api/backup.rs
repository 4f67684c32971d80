//! Data plane through the API: backup, restore, verify, the mirror rule, bad paths, corruption.
use crate::support::*;

#[tokio::test]
async fn backup_restore_verify_round_trip() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    make_tree(&data, 7, 60);
    let c = t.client.create_backup_client("files", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;

    let s1 = backup(&t.client, &c.vault_id, &c.client_id, &[&data]).await;
    // incremental: change one file, add one
    std::fs::write(data.join("docs/nested/new.txt"), b"new file").unwrap();
    std::fs::write(data.join("file-0.bin"), b"rewritten").unwrap();
    let s2 = backup(&t.client, &c.vault_id, &c.client_id, &[&data]).await;
    let snaps = t.client.describe_snapshots(&c.vault_id).await.unwrap().snapshots.snapshot;
    assert_eq!(snaps.len(), 2);
    let second = snaps.iter().find(|s| s.snapshot_id == s2).unwrap();
    assert_eq!(second.parent_snapshot_id, s1);
    assert!(second.bytes_added < 200_000, "incremental stored {} bytes", second.bytes_added);
    let v = t.client.vault(&c.vault_id).await.unwrap().unwrap();
    assert_eq!(v.snapshot_count, 2);
    assert!(v.storage_size > 0 && v.bytes_done > 0 && v.latest_backup_time > 0);

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("restore");
    let r = t.client.create_restore_job(&c.vault_id, &s2, &target.display().to_string(), &[], false).await.unwrap();
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_eq!(j.job.progress, 100);
    assert_trees_equal_content_mode_mtime(&data, &target.join(data.strip_prefix("/").unwrap()));

    // existing target without Overwrite: 409, with it: fine
    let e = t.client.create_restore_job(&c.vault_id, &s2, &target.display().to_string(), &[], false).await.unwrap_err();
    assert_eq!(code(&e), ("RestoreTargetExists", 409));
    let r = t.client.create_restore_job(&c.vault_id, &s1, &target.display().to_string(), &[], true).await.unwrap();
    assert_eq!(wait_restore(&t.client, &r.restore_id).await.job.status, "COMPLETE");
    // relative and traversal paths
    for bad in ["relative/dir", "/tmp/../etc", "/a/./b"] {
        let e = t.client.create_restore_job(&c.vault_id, &s2, bad, &[], false).await.unwrap_err();
        assert_eq!(code(&e), ("InvalidParameter", 400), "{bad}");
    }
    let e = t.client.create_backup_job(&c.vault_id, &c.client_id, &["../etc".into()], &[]).await.unwrap_err();
    assert_eq!(code(&e), ("InvalidParameter", 400));

    let vj = t.client.create_verify_job(&c.vault_id, None, true).await.unwrap();
    let v = wait_verify(&t.client, &vj.job_id).await;
    assert_eq!(v.job.status, "COMPLETE");
    assert!(v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty() && v.damaged_files.is_empty(), "{v:?}");
}

#[tokio::test]
async fn no_backup_into_a_mirror_but_restore_from_it() {
    let t = TestServer::start_with(std::time::Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 3, 10);
    let c = t.client.create_backup_client("files", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    let e = t.client.create_backup_job(&m.vault_id, &c.client_id, &[src.path().display().to_string()], &[]).await.unwrap_err();
    assert_eq!(code(&e), ("CannotBackupToMirrorVault", 409));
    // a backup after the mirror exists replicates in real time and restores from the mirror
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    wait_until(std::time::Duration::from_secs(30), "the snapshot in the mirror", || async {
        t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.iter().any(|x| x.snapshot_id == s)
    })
    .await;
    let out = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&m.vault_id, &s, &out.path().display().to_string(), &[], false).await.unwrap();
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_trees_equal_content_mode_mtime(src.path(), &out.path().join(src.path().strip_prefix("/").unwrap()));
}

#[tokio::test]
async fn flipped_byte_is_named_by_verify_and_fails_restore() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let mut big = vec![0u8; 2 * 1024 * 1024];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut big);
    std::fs::write(src.path().join("victim.bin"), &big).unwrap();
    let c = t.client.create_backup_client("files", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let s = backup(&t.client, &c.vault_id, &c.client_id, &[src.path()]).await;
    // flip a byte in the middle of the largest pack
    let data_dir = t.dir.path().join("regions/cn-hangzhou/vaults").join(&c.vault_id).join("data");
    let mut packs: Vec<_> = files_under(&data_dir);
    packs.sort_by_key(|p| std::fs::metadata(p).unwrap().len());
    let pack = packs.last().expect("a pack").clone();
    let mut bytes = std::fs::read(&pack).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&pack, &bytes).unwrap();

    let vj = t.client.create_verify_job(&c.vault_id, None, true).await.unwrap();
    let v = wait_verify(&t.client, &vj.job_id).await;
    let pack_name = pack.file_name().unwrap().to_string_lossy().to_string();
    assert!(v.damaged_objects.iter().any(|o| o.contains(&pack_name)), "{v:?}");
    assert_eq!(v.damaged_snapshots, vec![s.clone()]);
    assert!(v.damaged_files.iter().any(|f| f.contains("victim.bin")), "{v:?}");

    let out = tempfile::tempdir().unwrap();
    let r = t.client.create_restore_job(&c.vault_id, &s, &out.path().display().to_string(), &[], false).await.unwrap();
    let j = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(j.job.status, "FAILED");
    assert!(j.job.error_message.contains("victim.bin"), "{}", j.job.error_message);
    let restored = out.path().join(src.path().strip_prefix("/").unwrap()).join("victim.bin");
    assert!(std::fs::read(&restored).map(|b| b != big).unwrap_or(true), "wrong bytes must never be restored as good");
}

