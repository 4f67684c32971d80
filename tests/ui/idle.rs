//! An idle console: on a static Overview (nothing running, no label that changes by the second)
//! it asks for its next frame only when the next poll is due, and its polls back off.
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::pacing::FAST_POLL;

use crate::support::console::{self, ConsoleFixture};
use crate::support::{wait_until, wait_until_blocking};

const WAIT: Duration = Duration::from_secs(60);

fn repaint_delay(h: &Harness<'static, ConsoleApp>) -> Duration {
    h.output().viewport_output.get(&egui::ViewportId::ROOT).map(|v| v.repaint_delay).unwrap_or(Duration::ZERO)
}

#[test]
fn a_static_overview_asks_for_no_frame_before_the_next_poll_and_polls_back_off() {
    let backend = ConsoleFixture::start(false, Duration::from_secs(30 * 60));
    backend.block_on(async {
        let c = backend.client.create_backup_client("idle", "cn-hangzhou", None).await.expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async { backend.client.vault(&c.vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
    });
    let mut h = console::harness(backend.app(), 1440.0, 900.0);
    wait_until_blocking(WAIT, "the card and a healthy backend", || {
        h.step();
        h.query_by_label("Vault idle").is_some() && h.query_by_label("Embedded backend healthy").is_some()
    });
    // Once the requests settled, the console asks for its next frame no sooner than the poll
    // interval (it used to ask for one every second).
    wait_until_blocking(WAIT, "a frame after which the console asks for no frame before the next poll", || {
        h.step();
        repaint_delay(&h) >= FAST_POLL - Duration::from_millis(100)
    });
    // With nothing running, each poll waits longer than the one before.
    wait_until_blocking(WAIT, "the polls to back off", || {
        h.step();
        std::thread::sleep(Duration::from_millis(100));
        h.state().pacing.interval() >= FAST_POLL * 4
    });
    // ... and between polls asks for no frame before the (longer) next one.
    wait_until_blocking(WAIT, "a frame after which the console waits for the backed-off poll", || {
        h.step();
        repaint_delay(&h) >= FAST_POLL * 2
    });
}
