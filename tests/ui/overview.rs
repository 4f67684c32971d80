//! The Overview against a real backend (no demo content): the Create vault dialog (a vault
//! created through it, an empty name and a refused request shown inside it) and the grid that
//! lays a mirror's card directly after its source's, whatever the filters hide.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::api::vault::Vault;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::screens::overview::EMPTY_TEXT;
use mirrorvault::ui::widgets::create_vault_dialog::{OPEN_BUTTON, TITLE};

use crate::support::console::{self, step_until, ConsoleFixture};

const WAIT: Duration = Duration::from_secs(40);
/// Long enough that a new mirror stays in its countdown for the whole test.
const DELAY: Duration = Duration::from_secs(30 * 60);

fn harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    console::harness(app, 1500.0, 1100.0)
}

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

fn vaults(backend: &ConsoleFixture) -> Vec<Vault> {
    backend.block_on(backend.client.all_vaults()).expect("all_vaults")
}

fn dialog_open(h: &Harness<'static, ConsoleApp>) -> bool {
    h.query_by_role_and_label(Role::Dialog, TITLE).is_some()
}

/// An empty backend's Overview, then its Create vault dialog with the regions loaded.
fn open_dialog(backend: &ConsoleFixture) -> Harness<'static, ConsoleApp> {
    let mut h = harness(backend.app());
    wait(&mut h, "the empty Overview", |h| h.query_by_label(EMPTY_TEXT).is_some() && h.state().data.regions.value().is_some());
    h.get_by_label(OPEN_BUTTON).click();
    wait(&mut h, "the Create vault dialog", |h| dialog_open(h) && h.state().vault_dialog.as_ref().is_some_and(|d| d.region.is_some()));
    h
}

fn type_into(h: &mut Harness<'static, ConsoleApp>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::Dialog, TITLE).get_by_label(label).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_role_and_label(Role::Dialog, TITLE).get_by_label(label).type_text(text);
    h.step();
}

/// Opens the dialog's combo box `label` and picks the option whose label starts with `option`.
fn choose(h: &mut Harness<'static, ConsoleApp>, label: &str, option: &str) {
    h.step();
    h.get_by_role_and_label(Role::Dialog, TITLE).get_by_label(label).click();
    wait(h, &format!("the {label} list"), |h| h.query_by_role(Role::ListBox).is_some());
    let list = h.get_by_role(Role::ListBox);
    list.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.starts_with(option))).click();
    wait(h, &format!("the {label} list to close"), |h| h.query_by_role(Role::ListBox).is_none());
}

#[test]
fn a_vault_created_in_the_dialog_exists_and_gets_its_card() {
    let backend = ConsoleFixture::start(false, DELAY);
    let mut h = open_dialog(&backend);
    h.check_accessibility();

    type_into(&mut h, "Name", "ledger");
    choose(&mut h, "Region", "cn-beijing");
    type_into(&mut h, "Description", "General ledger exports");
    let dialog = h.get_by_role_and_label(Role::Dialog, TITLE);
    assert!(dialog.query_by_label_contains("WORM can never be turned off").is_some(), "the WORM warning shows");
    dialog.get_by_label("WORM (write once, read many)").click();
    h.step();
    assert!(h.state().vault_dialog.as_ref().unwrap().worm);
    h.get_by_role_and_label(Role::Dialog, TITLE).get_by_role_and_label(Role::Button, "Create").click();
    wait(&mut h, "the dialog to close after creating", |h| !dialog_open(h));

    let all = vaults(&backend);
    assert_eq!(all.len(), 1, "one click = one vault: {all:?}");
    let v = &all[0];
    assert_eq!((v.vault_name.as_str(), v.vault_region_id.as_str(), v.description.as_str()), ("ledger", "cn-beijing", "General ledger exports"));
    assert_eq!(v.encrypt_type, "HBR_PRIVATE");
    assert!(v.worm_enabled, "the WORM box was ticked");
    assert!(!v.is_mirror());

    wait(&mut h, "the new vault's card", |h| h.query_by_label("Vault ledger").is_some());
    assert!(h.get_by_label("Vault ledger").query_by_label_contains("cn-beijing").is_some());
    assert!(h.state().notices.iter().any(|n| !n.is_error && n.text.contains("ledger")), "a notice says the vault was created");
    assert!(h.query_by_label(EMPTY_TEXT).is_none());
}

#[test]
fn an_empty_name_or_a_refused_request_shows_its_error_in_the_dialog() {
    let backend = ConsoleFixture::start(false, DELAY);
    let mut h = open_dialog(&backend);

    // An empty name: nothing is sent, the dialog says why.
    h.get_by_role_and_label(Role::Dialog, TITLE).get_by_role_and_label(Role::Button, "Create").click();
    wait(&mut h, "the empty name's message", |h| h.get_by_role_and_label(Role::Dialog, TITLE).query_by_label("Enter a name for the vault.").is_some());
    assert!(!h.state().vault_dialog.as_ref().unwrap().create.is_running());

    // A refused request (a KMS key the backend does not hold): the code and the message show,
    // the dialog stays open with its fields.
    type_into(&mut h, "Name", "keyed");
    assert!(h.query_by_label("Enter a name for the vault.").is_none(), "the message goes once a name is typed");
    choose(&mut h, "Encryption", "KMS key");
    type_into(&mut h, "KMS key ID", "no-such-key");
    h.get_by_role_and_label(Role::Dialog, TITLE).get_by_role_and_label(Role::Button, "Create").click();
    wait(&mut h, "the backend's refusal", |h| h.query_by_role_and_label(Role::Dialog, TITLE).is_some_and(|d| d.query_by_label_contains("KmsKeyNotFound: ").is_some()));
    let node = h.get_by_role_and_label(Role::Dialog, TITLE).get_by_label_contains("KmsKeyNotFound: ").accesskit_node();
    let message = node.value().or(node.label()).unwrap_or_default();
    assert!(message.contains("no-such-key"), "the message names the key: {message}");
    for _ in 0..5 {
        h.step();
    }
    assert!(dialog_open(&h), "the dialog stays open after a refusal");
    assert_eq!(h.state().vault_dialog.as_ref().unwrap().name, "keyed");
    assert!(vaults(&backend).is_empty(), "no vault was created");

    // Esc closes it.
    h.key_press(egui::Key::Escape);
    wait(&mut h, "the dialog to close on Esc", |h| !dialog_open(h));
}

#[test]
fn a_mirror_card_follows_its_source_on_the_same_row_whatever_the_filter() {
    let backend = ConsoleFixture::start(false, DELAY);
    // By name the mirror would come last; standalone vaults come before and after its source.
    backend.block_on(async {
        let c = &backend.client;
        for name in ["alpha", "bravo"] {
            c.create_vault("cn-hangzhou", name, "").await.expect("create vault");
        }
        let source = c.create_vault("cn-hangzhou", "charlie", "").await.expect("create source").vault_id;
        c.create_vault("cn-hangzhou", "delta", "").await.expect("create vault");
        c.create_replication_vault(&source, "cn-hangzhou", "cn-beijing", "zulu-dr", "").await.expect("create mirror");
    });
    let mut h = harness(backend.app());
    let names = ["alpha", "bravo", "charlie", "delta", "zulu-dr"];
    wait(&mut h, "the five cards", |h| names.iter().all(|n| h.query_by_label(&format!("Vault {n}")).is_some()));
    h.step();
    // A card (an accessibility group) has no rect of its own: its name button, in its upper-left corner, has.
    let rect = |h: &Harness<'static, ConsoleApp>, name: &str| h.get_by_label(&format!("Vault {name}")).get_by_role_and_label(Role::Button, name).rect();

    // Reading order (rows top to bottom, cards left to right): the mirror right after its source.
    let mut order: Vec<(f32, f32, &str)> = names.iter().map(|n| (rect(&h, n).top(), rect(&h, n).left(), *n)).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let order: Vec<&str> = order.iter().map(|o| o.2).collect();
    assert_eq!(order, ["alpha", "bravo", "charlie", "zulu-dr", "delta"]);

    // Three columns here: the pair does not fit the first row's last place, so it starts the
    // second row together, and the mirror's card is the next one to the right of its source's.
    let (alpha, bravo, source, mirror, delta) = (rect(&h, "alpha"), rect(&h, "bravo"), rect(&h, "charlie"), rect(&h, "zulu-dr"), rect(&h, "delta"));
    assert!(bravo.bottom() < source.top(), "the pair starts a new row: bravo {bravo:?}, charlie {source:?}");
    assert!((mirror.top() - source.top()).abs() < 1.0 && (delta.top() - source.top()).abs() < 1.0, "one row: charlie {source:?}, zulu-dr {mirror:?}, delta {delta:?}");
    assert!((source.left() - alpha.left()).abs() < 1.0, "the source starts its row");
    let pitch = bravo.left() - alpha.left();
    assert!((mirror.left() - source.left() - pitch).abs() < 1.0, "the mirror is one card to the right of its source: charlie {source:?}, zulu-dr {mirror:?}");

    // A mirror whose source the filter hides still shows: by name, and by region.
    h.state_mut().overview.search = "zulu".into();
    wait(&mut h, "the search to leave the mirror alone", |h| h.query_by_label("Vault charlie").is_none());
    assert!(h.query_by_label("Vault zulu-dr").is_some(), "the mirror shows without its source");
    h.state_mut().overview.search.clear();
    h.state_mut().overview.region = Some("cn-beijing".into());
    wait(&mut h, "the region filter", |h| h.query_by_label("Vault alpha").is_none());
    assert!(h.query_by_label("Vault zulu-dr").is_some(), "the mirror in cn-beijing shows without its source in cn-hangzhou");
    h.state_mut().overview.region = Some("cn-hangzhou".into());
    wait(&mut h, "the other region", |h| h.query_by_label("Vault zulu-dr").is_none());
    assert!(h.query_by_label("Vault charlie").is_some());
}
