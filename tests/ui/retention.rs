//! The vault detail's snapshot list and WORM switch against a real backend: each snapshot shows
//! its expiry; a snapshot is deleted only after its confirmation; the WORM switch opens an
//! irreversible-confirmation dialog that needs its "I understand" box; in a WORM vault the
//! delete buttons of unexpired snapshots are disabled with the reason.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::api::backup::CreateBackupJobRequest;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::command::UiCommand;

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::{make_tree, wait_backup, wait_until};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

/// A vault with two snapshots of one client: the first kept 3 days, the second until deleted.
fn vault_with_two_snapshots(backend: &ConsoleFixture, name: &str) -> String {
    let source = backend.dir.path().join(name);
    make_tree(&source, 4, 3);
    backend.block_on(async {
        let c = backend.client.create_backup_client(name, "cn-hangzhou", None).await.expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async { backend.client.vault(&c.vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") })
            .await;
        for retention in [Some("3"), None] {
            let req = CreateBackupJobRequest {
                vault_id: c.vault_id.clone(),
                client_id: c.client_id.clone(),
                include: vec![source.display().to_string()],
                retention: retention.map(str::to_string),
                ..Default::default()
            };
            let job = backend.client.send(&req).await.expect("backup").job_id;
            assert_eq!(wait_backup(&backend.client, &job).await.job.status, "COMPLETE");
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        c.vault_id
    })
}

fn open(backend: &ConsoleFixture, vault_id: &str) -> Harness<'static, ConsoleApp> {
    let mut h = console::harness(backend.app(), 1500.0, 1600.0);
    h.step();
    h.state_mut().push(UiCommand::OpenVault(vault_id.to_string()));
    wait(&mut h, "the vault's two snapshots", |h| {
        h.state().detail.as_ref().is_some_and(|d| d.snapshots.value().is_some_and(|s| s.len() == 2))
            && h.query_by_label("Turn on WORM…").is_some()
            && h.query_all_by_label("Delete…").count() == 2
    });
    h
}

#[test]
fn snapshots_show_their_expiry_and_are_deleted_only_after_confirmation() {
    let backend = ConsoleFixture::start(false, DELAY);
    let vault_id = vault_with_two_snapshots(&backend, "expiry-ui");
    let mut h = open(&backend, &vault_id);
    let snaps = h.state().detail.as_ref().unwrap().snapshots.value().unwrap().clone();
    let (newest, oldest) = (snaps[0].clone(), snaps[1].clone());
    assert_eq!((newest.expire_time, oldest.retention), (0, 3));
    assert!(h.query_by_label("Expires").is_some());
    assert!(h.query_by_label("never").is_some(), "the snapshot kept until deleted says so");
    assert!(
        h.query_all_by_label_contains(&mirrorvault::ui::widgets::format::datetime(oldest.expire_time)).next().is_some(),
        "the 3-day snapshot shows its ExpireTime"
    );

    // Delete… asks first; "Keep it" keeps it.
    let buttons: Vec<_> = h.query_all_by_label("Delete…").collect();
    assert_eq!(buttons.len(), 2);
    assert!(buttons.iter().all(|b| !b.accesskit_node().is_disabled()), "nothing protects these snapshots");
    buttons[1].click();
    wait(&mut h, "the confirmation", |h| h.query_all_by_label_contains(&format!("Delete snapshot {}?", oldest.snapshot_id)).next().is_some());
    h.get_by_label("Keep it").click();
    wait(&mut h, "the confirmation to close", |h| h.query_by_label("Delete snapshot").is_none());
    assert_eq!(backend.block_on(backend.client.describe_snapshots(&vault_id)).unwrap().snapshots.snapshot.len(), 2, "Keep it deleted something");

    // Delete… then Delete snapshot removes it from the backend and the list.
    h.query_all_by_label("Delete…").nth(1).unwrap().click();
    wait(&mut h, "the confirmation", |h| h.query_by_label("Delete snapshot").is_some());
    h.get_by_label("Delete snapshot").click();
    wait(&mut h, "the list without the deleted snapshot", |h| h.state().detail.as_ref().is_some_and(|d| d.snapshots.value().is_some_and(|s| s.len() == 1)));
    let left = backend.block_on(backend.client.describe_snapshots(&vault_id)).unwrap().snapshots.snapshot;
    assert_eq!(left.iter().map(|s| s.snapshot_id.clone()).collect::<Vec<_>>(), vec![newest.snapshot_id.clone()]);
    wait(&mut h, "the notice", |h| h.query_all_by_label_contains(&format!("Snapshot {} deleted.", oldest.snapshot_id)).next().is_some());
    h.check_accessibility();
}

#[test]
fn the_worm_switch_confirms_an_irreversible_change_and_disables_protected_deletes() {
    let backend = ConsoleFixture::start(false, DELAY);
    let vault_id = vault_with_two_snapshots(&backend, "worm-ui");
    let mut h = open(&backend, &vault_id);
    let worm_on = |b: &ConsoleFixture| b.block_on(b.client.vault(&vault_id)).unwrap().unwrap().worm_enabled;

    // Cancel changes nothing.
    h.get_by_label("Turn on WORM…").click();
    wait(&mut h, "the WORM dialog", |h| h.query_by_role_and_label(Role::Window, "Turn on WORM").is_some());
    h.get_by_label("Cancel").click();
    wait(&mut h, "the dialog to close", |h| h.query_by_role_and_label(Role::Window, "Turn on WORM").is_none());
    assert!(!worm_on(&backend));

    // The switch needs the "I understand" box.
    h.get_by_label("Turn on WORM…").click();
    wait(&mut h, "the WORM dialog", |h| h.query_by_label("Turn on WORM permanently").is_some());
    assert!(h.get_by_label("Turn on WORM permanently").accesskit_node().is_disabled(), "the irreversible switch waits for the acknowledgement");
    assert!(h.query_all_by_label_contains("This cannot be undone").next().is_some());
    h.get_by_label("I understand that WORM can never be turned off").click();
    h.step();
    assert!(!h.get_by_label("Turn on WORM permanently").accesskit_node().is_disabled());
    h.get_by_label("Turn on WORM permanently").click();
    wait(&mut h, "WORM on in the console", |h| {
        h.query_all_by_label_contains("WORM is on:").next().is_some() && h.query_by_role_and_label(Role::Window, "Turn on WORM").is_none()
    });
    assert!(worm_on(&backend), "the backend's vault is WORM");
    assert!(h.query_by_label("Turn on WORM…").is_none(), "no switch back");

    // Both snapshots are unexpired: their delete buttons are disabled.
    wait(&mut h, "disabled delete buttons", |h| {
        let buttons: Vec<_> = h.query_all_by_label("Delete…").collect();
        buttons.len() == 2 && buttons.iter().all(|b| b.accesskit_node().is_disabled())
    });
    h.check_accessibility();
}
