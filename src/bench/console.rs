//! Console frame time: the real Overview screen (`ui::screens::overview::ui`, the console's own
//! drawing code) with N synthetic vault cards, in a headless `egui::Context` loop (layout +
//! tessellation, no GPU renderer), scrolling through the grid so different cards are laid out.
use std::time::Instant;

use crate::api::region::Region;
use crate::api::vault::{self as v, Vault};
use crate::ui::app::Data;
use crate::ui::screens::overview::{self, OverviewState};

/// `n` vaults of every kind a card shows: plain, mirrored (in sync, syncing, waiting), mirrors,
/// errors, initializing.
pub fn synthetic_vaults(n: usize) -> Vec<Vault> {
    let regions = ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"];
    let now = chrono_now();
    (0..n)
        .map(|i| {
            let mut vault = Vault {
                vault_id: format!("v-{i:06}"),
                vault_name: format!("vault-{i:04}-{}", ["web", "db", "files", "logs", "erp"][i % 5]),
                description: "benchmark vault".into(),
                vault_region_id: regions[i % 4].into(),
                vault_type: "STANDARD".into(),
                status: v::STATUS_CREATED.into(),
                storage_size: (i as i64 + 1) * 7_654_321,
                bytes_done: (i as i64 + 1) * 12_345_678,
                snapshot_count: (i % 40) as i64,
                created_time: now - 86_400 * 30,
                updated_time: now - 60,
                encrypt_type: "HBR_PRIVATE".into(),
                latest_backup_time: now - (i as i64 % 7200),
                backup_client_names: vec![format!("client-{i}")],
                ..Default::default()
            };
            match i % 8 {
                0 | 1 => {
                    vault.replication_source_vault = true;
                    vault.replication_target_vault_id = format!("m-{i:06}");
                    vault.replication_target_region_id = regions[(i + 1) % 4].into();
                    vault.replication_status = v::REPL_IN_SYNC.into();
                    vault.latest_replication_time = now - 5;
                    vault.replication_lag_seconds = (i % 3) as i64;
                    vault.replication_progress.historical_replication_progress = 100;
                }
                2 => {
                    vault.replication = true;
                    vault.replication_source_vault_id = format!("v-{:06}", i.saturating_sub(2));
                    vault.replication_source_region_id = regions[(i + 3) % 4].into();
                    vault.replication_source_vault_name = format!("vault-{:04}", i.saturating_sub(2));
                    vault.replication_status = v::REPL_SYNCING.into();
                    vault.replication_progress.historical_replication_progress = (i % 100) as i64;
                    vault.replication_bytes_pending = 123_456_789;
                    vault.replication_eta = 340;
                }
                3 => {
                    vault.replication_source_vault = true;
                    vault.replication_target_vault_id = format!("m-{i:06}");
                    vault.replication_target_region_id = regions[(i + 2) % 4].into();
                    vault.replication_status = v::REPL_WAITING_HISTORICAL.into();
                    vault.historical_replication_start_time = now + 3600;
                }
                4 if i % 16 == 4 => {
                    vault.status = v::STATUS_ERROR.into();
                    vault.vault_status_message = "The storage location cannot be written".into();
                }
                5 if i % 32 == 5 => vault.status = v::STATUS_INITIALIZING.into(),
                _ => {}
            }
            vault
        })
        .collect()
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Frame times (ms) of `frames` frames of the Overview with `n` cards in a 1360×860 window, after
/// `warmup` frames. Each frame scrolls the grid a little (wheel events), and includes
/// tessellation of the shapes the frame produced.
pub fn frame_times(n: usize, frames: usize, warmup: usize) -> Vec<f64> {
    let ctx = egui::Context::default();
    crate::ui::style::apply(&ctx);
    let mut data = Data::default();
    data.vaults.set_value(synthetic_vaults(n));
    data.regions.set_value(
        ["cn-hangzhou", "cn-shanghai", "cn-beijing", "ap-southeast-1"]
            .iter()
            .map(|r| Region { region_id: r.to_string(), local_name: format!("Region {r}"), storage_location: String::new(), outage: false })
            .collect(),
    );
    let mut state = OverviewState::default();
    let mut commands = Vec::new();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1360.0, 860.0));
    let mut out = Vec::with_capacity(frames);
    let mut t = 0.0f64;
    for f in 0..(frames + warmup) {
        let mut input = egui::RawInput { screen_rect: Some(screen), time: Some(t), ..Default::default() };
        input.events.push(egui::Event::PointerMoved(egui::pos2(700.0, 400.0)));
        // scroll down through the grid, then back up
        let dir = if (f / 150) % 2 == 0 { -1.0 } else { 1.0 };
        input.events.push(egui::Event::MouseWheel { unit: egui::MouseWheelUnit::Point, delta: egui::vec2(0.0, dir * 120.0), modifiers: egui::Modifiers::NONE, phase: egui::TouchPhase::Move, source: egui::MouseWheelSource::Wheel });
        t += 1.0 / 60.0;
        let start = Instant::now();
        let mut output = ctx.run_ui(input, |ui| {
            egui::CentralPanel::default().show(ui, |ui| overview::ui(ui, &mut state, &data, &mut commands));
        });
        let prims = ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        // no renderer: fonts atlas updates are dropped unapplied on purpose
        output.textures_delta.clear();
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        std::hint::black_box(prims);
        commands.clear();
        if f >= warmup {
            out.push(ms);
        }
    }
    out
}
