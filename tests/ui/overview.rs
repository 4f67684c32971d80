//! The Overview against a real backend (no demo content): the grid lays a mirror's card
//! directly after its source's, whatever the filters hide.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use mirrorvault::ui::app::ConsoleApp;

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
