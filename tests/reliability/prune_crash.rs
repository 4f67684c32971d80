//! Reliability: a prune killed at each of its phases (the real binary, aborted like kill -9 by
//! the test hook `MIRRORVAULT_PRUNE_ABORT_AT=<phase>` — no cleanup runs) and restarted on the
//! same data dir: the vault verifies clean (ReadData), the next prune finishes the work, the
//! kept snapshot restores byte for byte and the deleted snapshot's bytes are gone.
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::child::{Backend, Launch};
use crate::support::fixtures::{random_bytes, write};
use crate::support::{
    assert_trees_equal_content_mode_mtime, backup, creds, rerooted, wait_prune, wait_restore,
    wait_verify,
};
use mirrorvault::client::Client;

const PHASES: [&str; 5] = [
    "decided",
    "rewritten",
    "indexed",
    "index-cleaned",
    "deleting",
];

fn launch(dir: &Path, abort_at: Option<&str>) -> Backend {
    Backend::start(&Launch {
        data_dir: dir,
        delay: "1h",
        credentials: creds(),
        rust_log: "info",
        extra_env: abort_at
            .map(|p| ("MIRRORVAULT_PRUNE_ABORT_AT".to_string(), p.to_string()))
            .into_iter()
            .collect(),
    })
}

async fn assert_verifies(c: &Client, vault: &str, phase: &str) {
    let vj = c.create_verify_job(vault, None, true).await.unwrap();
    let v = wait_verify(c, &vj.job_id).await;
    assert_eq!(v.job.status, "COMPLETE", "{phase}: {}", v.job.error_message);
    assert!(
        v.damaged_objects.is_empty()
            && v.damaged_snapshots.is_empty()
            && v.damaged_files.is_empty(),
        "{phase}: {v:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_killed_at_each_phase_loses_nothing_and_the_next_prune_finishes() {
    for phase in PHASES {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(data.join("config.toml"), "[prune]\ngrace = \"0s\"\n").unwrap();
        let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
        let b = random_bytes(1 << 20, 2);
        write(&one.join("a.bin"), &random_bytes(4 << 20, 1));
        write(&one.join("b.bin"), &b);
        write(&two.join("b.bin"), &b);
        write(&two.join("c.bin"), &random_bytes(2 << 20, 3));
        write(&tmp.path().join("three/d.bin"), &random_bytes(1 << 20, 4));

        let mut be = launch(&data, Some(phase));
        let c = be
            .client
            .create_backup_client("crash", "cn-hangzhou", None)
            .await
            .unwrap();
        crate::support::wait_until(Duration::from_secs(30), "vault created", || async {
            be.client.vault(&c.vault_id).await.unwrap().unwrap().status == "CREATED"
        })
        .await;
        let s1 = backup(&be.client, &c.vault_id, &c.client_id, &[&one]).await;
        let s2 = backup(&be.client, &c.vault_id, &c.client_id, &[&two]).await;
        let s3 = backup(
            &be.client,
            &c.vault_id,
            &c.client_id,
            &[&tmp.path().join("three")],
        )
        .await;
        let vault_dir = data.join("regions/cn-hangzhou/vaults").join(&c.vault_id);
        // s1 and s3 removed (as DeleteSnapshot does in storage): one pack to rewrite, one to delete.
        std::fs::remove_file(vault_dir.join("snapshots").join(&s1)).unwrap();
        std::fs::remove_file(vault_dir.join("snapshots").join(&s3)).unwrap();
        let before = be
            .client
            .vault(&c.vault_id)
            .await
            .unwrap()
            .unwrap()
            .storage_size;
        be.client
            .create_prune_job(&c.vault_id, false)
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while be.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "{phase}: the backend did not abort:\n{}",
                be.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            be.output().contains(&format!("aborting at phase {phase}")),
            "{phase}: {}",
            be.output()
        );

        let mut be = launch(&data, None);
        assert_verifies(&be.client, &c.vault_id, phase).await;
        let j = be
            .client
            .create_prune_job(&c.vault_id, false)
            .await
            .unwrap();
        let p = wait_prune(&be.client, &j.job_id).await;
        assert_eq!(p.status, "COMPLETE", "{phase}: {}", p.error_message);
        assert_verifies(&be.client, &c.vault_id, phase).await;
        let target = tmp.path().join("restore");
        let r = be
            .client
            .create_restore_job(&c.vault_id, &s2, &target.display().to_string(), &[], false)
            .await
            .unwrap();
        let rj = wait_restore(&be.client, &r.restore_id).await;
        assert_eq!(
            rj.job.status, "COMPLETE",
            "{phase}: {}",
            rj.job.error_message
        );
        assert_trees_equal_content_mode_mtime(&two, &rerooted(&target, &two));
        let after = be.client.vault(&c.vault_id).await.unwrap().unwrap();
        assert!(
            before - after.storage_size > 4 << 20,
            "{phase}: {before} -> {}: {p:?}",
            after.storage_size
        );
        assert_eq!(
            after.storage_size, after.storage_size_referenced,
            "{phase}: nothing left over"
        );
        // Nothing is left for a third prune.
        let j = be
            .client
            .create_prune_job(&c.vault_id, false)
            .await
            .unwrap();
        let p = wait_prune(&be.client, &j.job_id).await;
        assert_eq!(
            (p.packs_deleted, p.packs_rewritten),
            (0, 0),
            "{phase}: {p:?}"
        );
        be.terminate();
        eprintln!("phase {phase}: ok");
    }
}
