//! An agent killed with SIGKILL in the middle of a backup: the job ends FAILED within the job
//! lease (never RUNNING forever), no snapshot is committed, and once the agent is back a new
//! backup restores byte-identically and the vault verifies clean.
use std::time::Duration;

use mirrorvault::api::backup::CreateBackupJobRequest;

use crate::support::agents::{backend_as_nobody, client_with_agent, dir_for, restore_on};
use crate::support::child::Agent;
use crate::support::{assert_trees_equal_content_mode_mtime, make_tree, rerooted, wait_backup, wait_for, wait_verify};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_killed_mid_backup_fails_the_job_and_the_next_backup_is_whole() {
    let base = tempfile::tempdir().unwrap();
    let b = backend_as_nobody(base.path());
    let agent_dir = base.path().join("agent");
    let (client_id, vault_id, mut agent) = client_with_agent(&b, "cn-hangzhou", "crashy", &agent_dir).await;
    let src = dir_for(base.path(), "src", None, 0o700);
    make_tree(&src, 21, 30);
    std::fs::write(src.join("large.bin"), crate::support::fixtures::random_bytes(24 << 20, 8)).unwrap();

    // Slowed down (2 MiB/s all day), so the kill lands mid-backup.
    let slow = CreateBackupJobRequest {
        vault_id: vault_id.clone(),
        client_id: client_id.clone(),
        source_type: "FILE".into(),
        include: vec![src.display().to_string()],
        speed_limit: Some("0:24:2048".into()),
        ..Default::default()
    };
    let job_id = b.client.send(&slow).await.unwrap().job_id;
    wait_for(Duration::from_secs(60), "the backup RUNNING on the agent with data read", || async {
        let j = b.client.describe_backup_jobs(None, Some(&job_id)).await.unwrap().backup_jobs.backup_job.remove(0);
        (j.job.status == "RUNNING" && j.job.bytes_done > 0).then_some(())
    })
    .await;
    agent.kill9();
    let killed_at = std::time::Instant::now();
    let j = wait_backup(&b.client, &job_id).await;
    assert_eq!(j.job.status, "FAILED", "{j:?}");
    assert!(j.job.error_message.contains("stopped reporting"), "{}", j.job.error_message);
    assert!(killed_at.elapsed() < Duration::from_secs(30), "failed after {:?}", killed_at.elapsed());
    assert!(b.client.describe_snapshots(&vault_id).await.unwrap().snapshots.snapshot.is_empty(), "no partial snapshot");

    let agent = Agent::start(&agent_dir);
    let include = vec![src.display().to_string()];
    let done = wait_backup(&b.client, &b.client.create_backup_job(&vault_id, &client_id, &include, &[]).await.unwrap().job_id).await;
    assert_eq!(done.job.status, "COMPLETE", "{done:?}\n{}", agent.output());
    let target = dir_for(base.path(), "restored", None, 0o700).join("t");
    let r = restore_on(&b.client, &vault_id, &done.snapshot_id, &target, &client_id).await;
    assert_eq!(r.job.status, "COMPLETE", "{r:?}");
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&target, &src));
    let v = wait_verify(&b.client, &b.client.create_verify_job(&vault_id, None, true).await.unwrap().job_id).await;
    assert!(v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty() && v.damaged_files.is_empty(), "{v:?}");
}
