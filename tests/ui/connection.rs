//! Connection states against a real backend: a wrong secret says "Credentials rejected" with a
//! way to Settings and no spinner beside the error; a backend that stops answering keeps the
//! last values on screen with the error above them.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use mirrorvault::ui::app::{ConsoleApp, Screen};
use mirrorvault::ui::command::UiCommand;

use crate::support::console::{self, step_until, ConsoleFixture};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn harness(app: ConsoleApp) -> Harness<'static, ConsoleApp> {
    console::harness(app, 1440.0, 900.0)
}

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

/// Steps for `d` of real time (the console keeps refreshing meanwhile).
fn idle(h: &mut Harness<'static, ConsoleApp>, d: Duration) {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end {
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_wrong_secret_says_credentials_rejected_with_a_way_to_settings_and_no_spinner() {
    let backend = ConsoleFixture::start(false, DELAY);
    let mut h = harness(backend.app_with_secret("not-the-secret"));
    wait(&mut h, "the refusal", |h| h.query_all_by_label_contains("SignatureDoesNotMatch").next().is_some());
    // The state is stable: more refreshes change nothing.
    idle(&mut h, Duration::from_secs(4));
    assert!(h.query_all_by_label("Credentials rejected").count() >= 1, "the console must say the credentials were rejected");
    assert!(h.query_by_label("Loading vaults…").is_none(), "no 'Loading vaults…' beside the error");
    assert!(h.query_by_label("Backend healthy").is_none(), "a refused key is not a healthy backend");
    assert!(h.query_by_label_contains("Could not load vaults").is_none(), "the refusal is said once, in the banner");
    h.check_accessibility();

    h.get_by_role_and_label(Role::Button, "Open Settings").click();
    wait(&mut h, "the Settings screen", |h| h.state().screen == Screen::Settings);
    h.step();
    assert!(h.query_by_label("Historical sync delay").is_some() || h.query_by_label_contains("AccessKey").is_some(), "the Settings screen shows");
    assert!(h.query_by_role_and_label(Role::Button, "Open Settings").is_none(), "no Settings button on the Settings screen");
}

#[test]
fn a_failed_refresh_keeps_the_previous_values_with_the_error_above_them() {
    let mut backend = ConsoleFixture::start(false, DELAY);
    backend.block_on(backend.client.create_backup_client("keeps-values", "cn-hangzhou", None)).expect("backup client");
    let mut h = harness(backend.app());
    wait(&mut h, "the card and a healthy backend", |h| h.query_by_label("Vault keeps-values").is_some() && h.query_by_label("Embedded backend healthy").is_some());

    backend.stop_backend();
    h.state_mut().push(UiCommand::Refresh);
    wait(&mut h, "the refresh to fail", |h| h.query_by_label_contains("Could not load vaults").is_some());
    wait(&mut h, "the status line to say unreachable", |h| h.query_all_by_label("Backend unreachable").count() >= 1);
    // The card's name button (the card itself is a group without bounds of its own).
    let card = h.get_by_label("Vault keeps-values").get_by_role_and_label(Role::Button, "keeps-values").rect();
    let error = h.get_by_label_contains("Could not load vaults").rect();
    assert!(error.bottom() <= card.top(), "the error ({error:?}) must sit above the kept card ({card:?})");
    assert!(h.query_by_label("Embedded backend healthy").is_none());
    assert!(h.query_by_label("Loading vaults…").is_none());
}
