//! "Prune now" in the vault detail against a real backend: after a snapshot is deleted, the
//! button starts a prune job, the screen follows it to its end and shows what it freed, and the
//! vault's `StorageSize` falls.
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::command::UiCommand;
use mirrorvault::ui::widgets::format;

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::fixtures::{random_bytes, write};
use crate::support::{wait_backup, wait_prune, wait_until};

// Generous: under a loaded CI machine this test once needed more than 60 s.
const WAIT: Duration = Duration::from_secs(120);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

#[test]
fn prune_now_frees_a_deleted_snapshot_and_shows_what_it_freed() {
    // No grace period, so the packs of the deleted snapshot go at once.
    let backend = ConsoleFixture::start_with_config(false, DELAY, Some("[prune]\ngrace = \"0s\"\ninterval = \"24h\"\n"));
    let source = backend.dir.path().join("prune-src");
    let (vault_id, first) = backend.block_on(async {
        let c = backend.client.create_backup_client("prune-ui", "cn-hangzhou", None).await.expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async { backend.client.vault(&c.vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
        // A prune before anything is deleted: the automatic prune (once per `interval`) then
        // leaves the vault to the console's button.
        let p = wait_prune(&backend.client, &backend.client.create_prune_job(&c.vault_id, false).await.expect("first prune").job_id).await;
        assert_eq!(p.status, "COMPLETE", "{}", p.error_message);
        let mut snapshots = Vec::new();
        for (name, seed) in [("a.bin", 1), ("b.bin", 2)] {
            let _ = std::fs::remove_dir_all(&source);
            write(&source.join(name), &random_bytes(6 << 20, seed));
            let job = backend.client.create_backup_job(&c.vault_id, &c.client_id, &[source.display().to_string()], &[]).await.expect("backup job");
            let j = wait_backup(&backend.client, &job.job_id).await;
            assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
            snapshots.push(j.snapshot_id);
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        (c.vault_id, snapshots[0].clone())
    });
    backend.block_on(backend.client.delete_snapshot(&vault_id, &first)).expect("DeleteSnapshot");
    let before = backend.block_on(backend.client.vault(&vault_id)).unwrap().unwrap().storage_size;

    let mut h = console::harness(backend.app(), 1500.0, 1800.0);
    h.step();
    h.state_mut().push(UiCommand::OpenVault(vault_id.clone()));
    wait(&mut h, "the Prune now button", |h| h.query_by_label("Prune now").is_some() && h.query_by_label("Dry run").is_some());
    h.get_by_label("Prune now").click();
    // Waits for the job's end, whatever it is, so that a failure says what the screen got.
    wait(&mut h, "the prune result", |h| h.state().detail.as_ref().is_some_and(|d| d.prune.job.result.is_some()));
    h.step();
    let job = h.state().detail.as_ref().unwrap().prune.job.result.as_ref().unwrap().as_ref().expect("the prune job").clone();
    assert!(h.query_by_label("Prune complete").is_some(), "the screen says the prune completed: {job:?}");
    assert_eq!(job.status, "COMPLETE", "{}", job.error_message);
    assert!(!job.dry_run);
    assert!(job.bytes_freed > 0, "the deleted snapshot's data is freed: {job:?}");
    assert!(h.query_by_label("Bytes freed").is_some());
    let freed = format!("{} ({} bytes)", format::bytes(job.bytes_freed), job.bytes_freed);
    assert!(h.query_by_label(&freed).is_some(), "the screen shows the bytes freed ({freed})");
    let sizes = format!("{} before · {} after", format::bytes(job.storage_size_before), format::bytes(job.storage_size_after));
    assert!(h.query_by_label(&sizes).is_some(), "the screen shows the storage before and after ({sizes})");
    let after = backend.block_on(backend.client.vault(&vault_id)).unwrap().unwrap().storage_size;
    assert!(after < before, "StorageSize fell: {before} → {after}");
    assert_eq!(after, job.storage_size_after, "the vault's StorageSize is what the job left");
    h.check_accessibility();

    // A second prune while none runs works again; a dry run then reports nothing left to free.
    h.get_by_label("Dry run").click();
    h.step();
    h.get_by_label("Prune now").click();
    wait(&mut h, "the dry run's result", |h| h.state().detail.as_ref().is_some_and(|d| d.prune.job.result.as_ref().is_some_and(|r| r.as_ref().map_or(true, |j| j.dry_run))));
    h.step();
    let dry = h.state().detail.as_ref().unwrap().prune.job.result.as_ref().unwrap().as_ref().expect("the dry run").clone();
    assert!(h.query_by_label("Dry run complete (nothing deleted)").is_some(), "the screen says the dry run completed: {dry:?}");
    assert!(dry.dry_run && dry.bytes_freed == 0, "nothing is left to free: {dry:?}");
}
