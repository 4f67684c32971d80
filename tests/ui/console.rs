//! The console against the REAL embedded backend (demo content, temp dir, 127.0.0.1:0):
//! clicking, typing and asserting through AccessKit with egui_kittest. No mocks.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::api::vault::Vault;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::command::UiCommand;

use crate::support::console::{self, step_until, ConsoleFixture};

const WAIT: Duration = Duration::from_secs(40);
const DEMO_WAIT: Duration = Duration::from_secs(180);
/// Long enough that a new mirror stays in its countdown for the whole test.
const DELAY: Duration = Duration::from_secs(30 * 60);

fn harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    console::harness(app, 1500.0, 1100.0)
}

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

/// A demo backend with its content seeded, and a console showing its cards.
fn demo() -> (ConsoleFixture, Harness<'static, ConsoleApp>, Vec<Vault>) {
    let backend = ConsoleFixture::start(true, DELAY);
    let vaults = backend.wait_for_demo(DEMO_WAIT);
    let mut h = harness(backend.app());
    wait(&mut h, "the demo cards", |h| {
        h.query_by_label("Vault web-01-dr").is_some() && h.query_by_label("Vault finance-fileserver").is_some() && h.query_by_label("Vault web-01").is_some()
    });
    // Backup clients (for "Back up now") arrive with their own request.
    wait(&mut h, "the backup clients", |h| h.state().data.clients.value().is_some());
    h.step();
    (backend, h, vaults)
}

fn vault<'a>(vaults: &'a [Vault], name: &str) -> &'a Vault {
    vaults.iter().find(|v| v.vault_name == name).unwrap_or_else(|| panic!("no vault {name}"))
}

fn dialog_open(h: &Harness<'static, ConsoleApp>) -> bool {
    h.query_by_role_and_label(Role::Window, "Create Mirror Vault").is_some()
}

/// Opens Create Mirror Vault from finance-fileserver's card and waits for its regions.
fn open_dialog_for_finance(h: &mut Harness<'static, ConsoleApp>) {
    h.get_by_label("Create mirror vault for finance-fileserver").click();
    wait(h, "the dialog and its regions", |h| {
        dialog_open(h) && h.state().mirror_dialog.as_ref().is_some_and(|d| d.regions.value().is_some() && d.region.is_some())
    });
}

fn set_name(h: &mut Harness<'static, ConsoleApp>, name: &str) {
    // Select the suggested name and type over it.
    let field = h.get_by_role_and_label(Role::Window, "Create Mirror Vault").get_by_label("Vault name");
    field.focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_role_and_label(Role::Window, "Create Mirror Vault").get_by_label("Vault name").type_text(name);
    h.step();
    h.step();
}

fn mirrors_of(backend: &ConsoleFixture, source_id: &str) -> Vec<Vault> {
    backend.block_on(backend.client.all_vaults()).expect("all_vaults").into_iter().filter(|v| v.replication_source_vault_id == source_id).collect()
}

#[test]
fn mirror_icon_opens_the_dialog_for_its_vault_without_the_source_region() {
    let (_backend, mut h, vaults) = demo();
    let finance = vault(&vaults, "finance-fileserver");

    // The icons of a mirror and of an already mirrored vault are disabled.
    let mirror_icon = h.get_by_label("Create mirror vault for web-01-dr");
    assert!(mirror_icon.accesskit_node().is_disabled(), "a mirror vault's icon must be disabled");
    let mirrored_icon = h.get_by_label("Create mirror vault for web-01");
    assert!(mirrored_icon.accesskit_node().is_disabled(), "an already mirrored vault's icon must be disabled");
    assert!(!h.get_by_label("Create mirror vault for finance-fileserver").accesskit_node().is_disabled());

    open_dialog_for_finance(&mut h);
    h.check_accessibility();
    let dialog = h.get_by_role_and_label(Role::Window, "Create Mirror Vault");
    let source = dialog.get_by_label("Source vault").value().unwrap_or_default();
    assert!(source.starts_with("finance-fileserver"), "source field shows {source:?}");
    assert_eq!(h.state().mirror_dialog.as_ref().unwrap().source.vault_id, finance.vault_id);

    // The regions offered never include the source's region, in state and in the open list.
    let offered = h.state().mirror_dialog.as_ref().unwrap().regions.value().unwrap().clone();
    assert!(!offered.is_empty(), "some region must be offered");
    assert!(!offered.contains(&finance.vault_region_id), "the source region {} was offered: {offered:?}", finance.vault_region_id);
    h.get_by_role_and_label(Role::Window, "Create Mirror Vault").get_by_label("Region").click();
    wait(&mut h, "the region list", |h| h.query_by_role(Role::ListBox).is_some());
    let list = h.get_by_role(Role::ListBox);
    let options: Vec<String> = list.query_all_by(|n| n.role() == Role::Button).filter_map(|n| n.accesskit_node().label()).collect();
    assert_eq!(options.len(), offered.len(), "the open region list shows {options:?}");
    assert!(options.iter().all(|o| !o.starts_with(&finance.vault_region_id)), "the open region list offers the source region: {options:?}");

    // Esc closes the dialog.
    h.key_press(egui::Key::Escape);
    h.step();
    h.key_press(egui::Key::Escape);
    wait(&mut h, "the dialog to close on Esc", |h| !dialog_open(h));
}

#[test]
fn a_33_character_name_is_refused_in_the_ui() {
    let (backend, mut h, vaults) = demo();
    let finance = vault(&vaults, "finance-fileserver");
    open_dialog_for_finance(&mut h);

    let name = "a".repeat(33);
    set_name(&mut h, &name);
    assert_eq!(h.state().mirror_dialog.as_ref().unwrap().name, name);
    let dialog = h.get_by_role_and_label(Role::Window, "Create Mirror Vault");
    assert!(dialog.query_by_label("33/32").is_some(), "the counter must read 33/32");
    assert!(dialog.query_by_label("At most 32 characters").is_some(), "the inline message must show");
    assert!(dialog.get_by_label("Create").accesskit_node().is_disabled(), "Create must be disabled");

    // Neither a click nor Enter sends it.
    dialog.get_by_label("Create").click();
    h.step();
    h.key_press(egui::Key::Enter);
    for _ in 0..10 {
        h.step();
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(!h.state().mirror_dialog.as_ref().unwrap().create.is_running());
    assert!(mirrors_of(&backend, &finance.vault_id).is_empty(), "no mirror may be created");

    // 32 characters are fine.
    set_name(&mut h, &"b".repeat(32));
    let dialog = h.get_by_role_and_label(Role::Window, "Create Mirror Vault");
    assert!(dialog.query_by_label("32/32").is_some());
    assert!(dialog.query_by_label("At most 32 characters").is_none());
    assert!(!dialog.get_by_label("Create").accesskit_node().is_disabled());
}

#[test]
fn a_backend_refusal_shows_inline_with_its_code_and_the_dialog_stays_open() {
    let (backend, mut h, vaults) = demo();
    let finance = vault(&vaults, "finance-fileserver").clone();
    open_dialog_for_finance(&mut h);
    set_name(&mut h, "finance-dr");

    // Another administrator mirrors the vault through the API while the dialog is open.
    let region = h.state().mirror_dialog.as_ref().unwrap().region.clone().unwrap();
    backend
        .block_on(backend.client.create_replication_vault(&finance.vault_id, &finance.vault_region_id, &region, "raced-in", ""))
        .expect("the raced mirror is created");

    h.get_by_role_and_label(Role::Window, "Create Mirror Vault").get_by_label("Create").click();
    wait(&mut h, "the inline error", |h| h.query_by_label_contains("ReplicationVaultAlreadyExists").is_some());
    assert!(dialog_open(&h), "the dialog must stay open after a backend error");
    let mirrors = mirrors_of(&backend, &finance.vault_id);
    assert_eq!(mirrors.len(), 1, "only the raced mirror exists: {mirrors:?}");
    assert_eq!(mirrors[0].vault_name, "raced-in");
}

#[test]
fn double_clicking_create_makes_exactly_one_mirror_whose_card_counts_down() {
    let (backend, mut h, vaults) = demo();
    let finance = vault(&vaults, "finance-fileserver").clone();
    open_dialog_for_finance(&mut h);
    set_name(&mut h, "finance-dr");

    let create = h.get_by_role_and_label(Role::Window, "Create Mirror Vault").get_by_label("Create");
    create.click();
    create.click();
    h.step();
    // The guard is in the dialog's state, not only in the disabled button: more submits,
    // in the same frame and by Enter, change nothing.
    h.state_mut().push(UiCommand::SubmitCreateMirror);
    h.state_mut().push(UiCommand::SubmitCreateMirror);
    h.key_press(egui::Key::Enter);
    wait(&mut h, "the dialog to close after creating", |h| !dialog_open(h));

    let mirrors = mirrors_of(&backend, &finance.vault_id);
    assert_eq!(mirrors.len(), 1, "one click = one mirror, got {mirrors:?}");
    assert_eq!(mirrors[0].vault_name, "finance-dr");
    assert_ne!(mirrors[0].vault_region_id, finance.vault_region_id);

    // The new mirror's card appears with its countdown; the source's icon is now disabled.
    wait(&mut h, "the new mirror card", |h| h.query_by_label("Vault finance-dr").is_some());
    wait(&mut h, "the countdown on the mirror card", |h| {
        h.query_by_label("Vault finance-dr").is_some_and(|card| card.query_by_label_contains("Historical sync in ").is_some())
    });
    let card = h.get_by_label("Vault finance-dr");
    assert!(card.query_by_label_contains("Mirror of finance-fileserver").is_some());
    let source_card = h.get_by_label("Vault finance-fileserver");
    assert!(source_card.query_by_label_contains("Historical sync in ").is_some(), "the source card shows the countdown too");
    wait(&mut h, "the source's icon to be disabled", |h| h.get_by_label("Create mirror vault for finance-fileserver").accesskit_node().is_disabled());
    // Still exactly one, after everything settled.
    assert_eq!(mirrors_of(&backend, &finance.vault_id).len(), 1);
}

#[test]
fn a_mirror_card_offers_restore_and_no_backup() {
    let (backend, mut h, _vaults) = demo();
    let mirror = h.get_by_label("Vault web-01-dr");
    assert!(mirror.query_by_label("Restore…").is_some(), "a mirror card offers Restore…");
    assert!(mirror.query_by_label("Back up now").is_none(), "a mirror card must not offer Back up now");
    assert!(mirror.query_by_label_contains("Mirror of web-01 (cn-shanghai").is_some(), "a mirror card names its source");
    let source = h.get_by_label("Vault web-01");
    assert!(source.query_by_label("Back up now").is_some(), "a source vault with a file client offers Back up now");
    assert!(source.query_by_label("Restore…").is_none());
    assert!(source.query_by_label_contains("Mirror in cn-beijing").is_some());

    // Restore… opens the Restore dialog; Browse… fills in the folder the (replaced) picker
    // returns, and Restore restores into it: a real restore job.
    h.get_by_label("Vault web-01-dr").get_by_label("Restore…").click();
    wait(&mut h, "the restore dialog", |h| h.query_by_role_and_label(Role::Window, "Restore snapshot").is_some());
    h.get_by_role_and_label(Role::Window, "Restore snapshot").get_by_label("Browse…").click();
    wait(&mut h, "the picked folder", |h| h.state().restore_dialog.as_ref().is_some_and(|d| d.target.ends_with("restore-target")));
    h.step();
    h.get_by_role_and_label(Role::Window, "Restore snapshot").get_by_role_and_label(Role::Button, "Restore").click();
    wait(&mut h, "the restore's notice", |h| !h.state().notices.is_empty());
    assert!(h.state().restore_dialog.is_none(), "the dialog closes when the restore starts");
    let notice = h.state().notices.last().unwrap();
    // The mirror may have no snapshot yet (historical sync pending): then it says so, in red.
    if notice.is_error {
        assert!(notice.text.contains("no file snapshot"), "unexpected restore failure: {}", notice.text);
    } else {
        let jobs = backend.block_on(backend.client.describe_restore_jobs(None, None)).unwrap().restore_jobs.restore_job;
        assert_eq!(jobs.len(), 1, "one restore job: {jobs:?}");
        assert!(jobs[0].target_path.ends_with("restore-target"));
    }
}

#[test]
fn navigation_lists_the_screens_in_order_and_shows_health() {
    let (_backend, mut h, _vaults) = demo();
    let nav: Vec<String> = ["Overview", "Backup clients", "SQL Server", "Jobs", "Settings"].iter().map(|s| s.to_string()).collect();
    let mut tops = Vec::new();
    for label in &nav {
        tops.push(h.get_by_role_and_label(Role::Button, label).rect().top());
    }
    assert!(tops.windows(2).all(|w| w[0] < w[1]), "navigation order is wrong: {tops:?}");
    wait(&mut h, "the health status", |h| h.query_by_label("Embedded backend healthy").is_some());
    h.get_by_role_and_label(Role::Button, "Settings").click();
    wait(&mut h, "the settings screen", |h| h.query_by_label("Historical sync delay").is_some());
    let secret = h.state().connection.credentials.access_key_secret.clone();
    assert!(h.query_by_label_contains(&secret).is_none(), "the secret must never show in full");
    assert!(h.query_by_label("30m 00s").is_some(), "the historical sync delay from DescribeSettings");
}
