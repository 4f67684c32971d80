//! File fidelity through the API (issue #15): what a backup could not read, and what a restore
//! could not apply, reach the job rows of `DescribeBackupJobs2` / `DescribeRestoreJobs2`.
use std::path::PathBuf;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_entry_gives_partial_complete_and_a_socket_is_listed_as_not_applied() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    make_tree(&data, 3, 10);
    let sock = data.join("listener.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    // Reading /proc/self/mem at offset 0 fails with EIO (nothing is mapped there), even for
    // root: a regular file the backup cannot read.
    let unreadable = PathBuf::from("/proc/self/mem");
    let c = t.client.create_backup_client("files", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;

    let include = vec![data.display().to_string(), unreadable.display().to_string()];
    let job = t.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await.unwrap();
    let j = wait_backup(&t.client, &job.job_id).await;
    assert_eq!(j.job.status, "PARTIAL_COMPLETE", "{}", j.job.error_message);
    assert_eq!(j.skipped_entries.len(), 1, "{:?}", j.skipped_entries);
    assert!(j.skipped_entries[0].starts_with("/proc/self/mem: cannot read file"), "{:?}", j.skipped_entries);
    assert!(j.changed_entries.is_empty(), "{:?}", j.changed_entries);
    assert!(!j.snapshot_id.is_empty(), "a partial backup still commits its snapshot");

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("restore");
    let r = t.client.create_restore_job(&c.vault_id, &j.snapshot_id, &target.display().to_string(), &[], false).await.unwrap();
    let rj = wait_restore(&t.client, &r.restore_id).await;
    assert_eq!(rj.job.status, "COMPLETE", "{}", rj.job.error_message);
    assert!(rj.failed_files.is_empty(), "{:?}", rj.failed_files);
    assert_eq!(rj.metadata_not_applied.len(), 1, "{:?}", rj.metadata_not_applied);
    assert!(rj.metadata_not_applied[0].starts_with(&format!("{}: socket not recreated", sock.display())), "{:?}", rj.metadata_not_applied);
    assert!(std::fs::symlink_metadata(rerooted(&target, &sock)).is_err(), "a socket is not recreated");
    // Every other entry restored as it was (the socket taken out of the source for the
    // comparison, the directory's mtime put back).
    let mtime = filetime::FileTime::from_last_modification_time(&std::fs::metadata(&data).unwrap());
    drop(_listener);
    std::fs::remove_file(&sock).unwrap();
    filetime::set_file_mtime(&data, mtime).unwrap();
    assert_trees_equal_content_mode_mtime(&data, &rerooted(&target, &data));
}
