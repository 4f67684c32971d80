//! The console (eframe). Being written: see src/ui/app.rs once it lands.
use std::path::PathBuf;

use crate::client::Credentials;

pub fn run_console(_endpoint: Option<String>, _data_dir: PathBuf, _credentials: Option<Credentials>) -> anyhow::Result<()> {
    anyhow::bail!("the console is not built yet; use `mirrorvault serve`")
}
