//! Alerts in the console against a real backend: when the mirror's region becomes unusable
//! (`SetRegionOutage`), the navigation shows a badge with the count and the Alerts screen the
//! alert, which can be acknowledged; when the region returns the alert clears.
use std::time::Duration;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use mirrorvault::ui::app::{ConsoleApp, Screen};
use mirrorvault::ui::command::UiCommand;

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::wait_until;

const WAIT: Duration = Duration::from_secs(60);

fn wait(
    h: &mut Harness<'static, ConsoleApp>,
    what: &str,
    cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool,
) {
    step_until(h, WAIT, what, cond)
}

#[test]
fn an_unusable_mirror_region_raises_an_alert_that_clears_when_it_returns() {
    let backend = ConsoleFixture::start(false, Duration::from_secs(3600));
    backend.block_on(async {
        let c = backend
            .client
            .create_backup_client("alerted", "cn-hangzhou", None)
            .await
            .expect("backup client");
        wait_until(WAIT, "the vault", || async {
            backend
                .client
                .vault(&c.vault_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|v| v.status == "CREATED")
        })
        .await;
        let m = backend
            .client
            .create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "alerted-dr", "")
            .await
            .expect("mirror");
        wait_until(WAIT, "the mirror", || async {
            backend
                .client
                .vault(&m.vault_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|v| v.status == "CREATED")
        })
        .await;
        assert!(!m.vault_id.is_empty());
    });
    let mut h = console::harness(backend.app(), 1440.0, 900.0);
    wait(&mut h, "the vaults", |h| {
        h.state().data.vaults.value().is_some_and(|v| v.len() == 2)
            && h.state().data.alerts.value().is_some()
    });
    assert!(
        h.query_by_label_contains("active").is_none(),
        "no badge without alerts"
    );

    backend
        .block_on(backend.client.set_region_outage("cn-shanghai", true))
        .expect("outage");
    h.state_mut().push(UiCommand::Refresh);
    wait(&mut h, "the badge", |h| {
        h.query_by_label("Alerts, 1 active").is_some()
    });
    h.get_by_label("Alerts, 1 active").click();
    wait(&mut h, "the Alerts screen", |h| {
        h.state().screen == Screen::Alerts && h.query_by_label("REGION_OUTAGE").is_some()
    });
    assert!(h
        .query_by_label_contains("Region cn-shanghai is unavailable")
        .is_some());
    h.get_by_label("Acknowledge").click();
    wait(&mut h, "the acknowledgement", |h| {
        h.query_by_label("acknowledged").is_some()
    });
    h.check_accessibility();

    // The Overview counts the vault in the region as alerted once the regions are re-read.
    h.state_mut().data.regions.invalidate();
    h.state_mut().push(UiCommand::Navigate(Screen::Overview));
    wait(&mut h, "the Overview's alert count", |h| {
        h.query_by_label_contains("1 vault with alerts").is_some()
    });

    backend
        .block_on(backend.client.set_region_outage("cn-shanghai", false))
        .expect("outage ends");
    h.state_mut().push(UiCommand::Refresh);
    wait(&mut h, "the badge to go", |h| {
        h.query_by_label_contains("active").is_none()
            && h.state().data.alerts.value().is_some_and(|a| a.is_empty())
    });
    h.state_mut().push(UiCommand::Navigate(Screen::Alerts));
    wait(&mut h, "no active alerts and the resolved one", |h| {
        h.query_by_label("No active alerts.").is_some()
            && h.query_by_label("REGION_OUTAGE").is_some()
    });
}
