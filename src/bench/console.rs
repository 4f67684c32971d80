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

/// The console's idle CPU: what one static Overview costs while nobody touches it.
pub struct IdleCpu {
    /// CPU time (user + system) of the console process over the window, in % of one core.
    pub percent_of_core: f64,
    pub window: std::time::Duration,
}

/// Kills a child process when dropped (the bench's console window and its backend).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the real console (`exe`, the `mirrorvault` binary) on the X display in `$DISPLAY` against
/// a demo backend in a separate `exe serve` process, so only the console's own work is counted;
/// waits `settle` for the cards, then reads the console's CPU time over `window`. Under Xvfb the
/// renderer is software (llvmpipe/lavapipe), so every frame costs real CPU.
pub fn idle_cpu(exe: &std::path::Path, work: &std::path::Path, settle: std::time::Duration, window: std::time::Duration) -> crate::bench::error::BenchResult<IdleCpu> {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};

    use crate::bench::error::{bail, BenchError, IoContext as _};

    if std::env::var_os("DISPLAY").is_none() {
        bail!("no X display (DISPLAY is unset): run under Xvfb, e.g. `xvfb-run -a mirrorvault bench`");
    }
    let (key_id, secret) = ("LTAIbenchconsoleidle", "bench-console-idle-secret");
    let home = work.join("console-idle-home");
    let runtime_dir = home.join("xdg-runtime");
    std::fs::create_dir_all(&runtime_dir).context("create the console's home")?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&runtime_dir, std::fs::Permissions::from_mode(0o700)).context("chmod XDG_RUNTIME_DIR")?;
    }
    let mut server = Command::new(exe)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--historical-sync-delay", "24h", "--data-dir"])
        .arg(work.join("console-idle-backend"))
        .env(crate::backend::ENV_KEY_ID, key_id)
        .env(crate::backend::ENV_KEY_SECRET, secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start {} serve", exe.display()))?;
    let stdout = server.stdout.take().ok_or_else(|| BenchError::Failed("no stdout".into()))?;
    let server = KillOnDrop(server);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let endpoint = lines.by_ref().map_while(Result::ok).find_map(|l| l.strip_prefix("listening on ").map(|e| e.trim().to_string()));
    let Some(endpoint) = endpoint else { bail!("{} serve exited without printing its address", exe.display()) };
    std::thread::spawn(move || for _ in lines.by_ref() {});

    let console = Command::new(exe)
        .arg("--endpoint")
        .arg(&endpoint)
        .arg("--data-dir")
        .arg(work.join("console-idle-data"))
        .env(crate::backend::ENV_KEY_ID, key_id)
        .env(crate::backend::ENV_KEY_SECRET, secret)
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_RUNTIME_DIR", &runtime_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start the console {}", exe.display()))?;
    let console = KillOnDrop(console);
    let pid = console.0.id();
    std::thread::sleep(settle);
    let Some(before) = crate::bench::measure::cpu_ticks(pid) else { bail!("the console exited during start-up (no X display or renderer?)") };
    let started = Instant::now();
    std::thread::sleep(window);
    let Some(after) = crate::bench::measure::cpu_ticks(pid) else { bail!("the console exited while measured") };
    let elapsed = started.elapsed().as_secs_f64();
    drop(console);
    drop(server);
    // Linux reports CPU times in USER_HZ ticks, 100 a second on every architecture it runs on.
    let seconds = (after - before) as f64 / 100.0;
    Ok(IdleCpu { percent_of_core: seconds / elapsed * 100.0, window })
}
