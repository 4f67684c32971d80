//! `mirrorvault`: the console (default), the headless backend (`serve`) and admin commands.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use mirrorvault::backend::{self, ServeOptions, TlsSetting, ENV_KEY_ID, ENV_KEY_SECRET};
use mirrorvault::client::Trust;
use mirrorvault::signing::Credentials;
use mirrorvault::backend::storage::{KeyStore, Location, LocationConfig, MasterKey, Repo};

#[derive(Parser)]
#[command(name = "mirrorvault", version, about = "Backup vaults with cross-region mirror vaults: console and backend")]
struct Cli {
    /// Point the console at a remote backend instead of the embedded one.
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// Pin the remote backend's TLS certificate by its SHA-256 fingerprint, as `serve` prints it
    /// (colons and case do not matter).
    #[arg(long, value_name = "HEX", requires = "endpoint")]
    fingerprint: Option<String>,
    /// Data dir of the embedded backend (console) or of `serve`.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the backend headless.
    Serve(ServeArgs),
    /// Master key backup and restore, and KMS keys for EncryptType=KMS vaults.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Look into a vault's storage location without the catalog.
    Vault {
        #[command(subcommand)]
        command: VaultCommand,
    },
    /// Benchmark backup, incremental, mirror sync, lag, restore (vs restic/rustic), API, console, memory.
    Bench(mirrorvault::bench::BenchArgs),
    /// The backup agent on a protected host: runs its client's backups and restores here.
    /// `agent register` mints and saves the client's scoped key first (DIR/agent.toml, 0600).
    Agent(AgentArgs),
}

#[derive(Args)]
struct AgentArgs {
    #[command(subcommand)]
    command: Option<AgentCommand>,
    /// The backup client this host is (`ClientId`).
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// Pin the backend's TLS certificate by its SHA-256 fingerprint, as `serve` prints it
    /// (saved by `register`; colons and case do not matter).
    #[arg(id = "agent_fingerprint", long = "fingerprint", value_name = "HEX", global = true)]
    fingerprint: Option<String>,
}

#[derive(Subcommand)]
enum AgentCommand {
    /// Mint the client's scoped key with the account key (MIRRORVAULT_ACCESS_KEY_ID/_SECRET,
    /// used once) and save it with the endpoint in the agent's data dir.
    Register,
}

/// The agent's data dir when --data-dir is not given.
fn default_agent_dir() -> PathBuf {
    directories::ProjectDirs::from("com", "mirrorvault", "mirrorvault-agent")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".mirrorvault-agent"))
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8765")]
    listen: SocketAddr,
    /// Delay before a new mirror copies the source's historical snapshots.
    #[arg(long, default_value = "90m", value_parser = humantime::parse_duration)]
    historical_sync_delay: Duration,
    /// Seed demo content on first start.
    #[arg(long)]
    demo: bool,
    /// Speak HTTPS with the data dir's self-signed certificate (DATA/tls/, made on first use).
    /// HTTPS is also used, with that certificate, whenever --listen is not a loopback address.
    #[arg(long, conflicts_with = "tls_cert")]
    tls: bool,
    /// Speak HTTPS with this PEM certificate (or chain, leaf first); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

impl ServeArgs {
    fn tls(&self) -> TlsSetting {
        match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => TlsSetting::Files { cert: cert.clone(), key: key.clone() },
            _ if self.tls => TlsSetting::SelfSigned,
            _ => TlsSetting::Auto,
        }
    }
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Print the master key (or write it to --out, mode 0600) for safekeeping.
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Install a master key exported from another machine (refuses to replace a different one without --force).
    Import {
        file: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Generate a key in the backend's KMS key store.
    GenerateKms { key_id: String },
    /// Import a 256-bit key (64 hex digits) into the KMS key store.
    ImportKms { key_id: String, hex: String },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// List a vault's snapshots from its location alone.
    Inspect {
        /// The region's location directory (e.g. DATA/regions/cn-hangzhou).
        #[arg(long)]
        location: PathBuf,
        /// The vault; without it, list the vaults in the location.
        #[arg(long)]
        vault_id: Option<String>,
        /// The master key file (default DATA/master.key).
        #[arg(long)]
        key_file: Option<PathBuf>,
    },
    /// Restore a snapshot straight from a vault's location (no catalog, no server): the
    /// disaster-recovery path when everything but the location and the master key is lost.
    Restore {
        #[arg(long)]
        location: PathBuf,
        #[arg(long)]
        vault_id: String,
        /// Default: the newest snapshot.
        #[arg(long)]
        snapshot_id: Option<String>,
        /// Absolute directory; the snapshot's absolute paths are re-rooted under it.
        #[arg(long)]
        target: PathBuf,
        #[arg(long)]
        key_file: Option<PathBuf>,
        #[arg(long)]
        overwrite: bool,
    },
}

fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("com", "mirrorvault", "mirrorvault")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".mirrorvault"))
}

fn env_credentials() -> Option<Credentials> {
    match (std::env::var(ENV_KEY_ID), std::env::var(ENV_KEY_SECRET)) {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Some(Credentials { access_key_id: id, access_key_secret: secret }),
        _ => None,
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    // Colours only on a terminal: journald and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).init();
}

async fn shutdown_signal() {
    mirrorvault::platform::shutdown_requested().await;
    tracing::info!("shutting down");
}

fn main() -> anyhow::Result<()> {
    mirrorvault::platform::tune_malloc();
    init_logging();
    let cli = Cli::parse();
    if let Some(Command::Agent(args)) = &cli.command {
        return agent_command(&cli, args);
    }
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    match cli.command {
        Some(Command::Serve(args)) => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(async move {
                let opts = ServeOptions {
                    data_dir: data_dir.clone(),
                    listen: args.listen,
                    historical_sync_delay: args.historical_sync_delay,
                    demo: args.demo,
                    credentials: env_credentials(),
                };
                let server = backend::start_with_tls(opts, &args.tls(), Some(Box::pin(shutdown_signal()))).await?;
                if let Some(path) = &server.credentials_file {
                    if server.credentials_created {
                        println!("credentials written to {}", path.display());
                    } else {
                        println!("credentials in {}", path.display());
                    }
                }
                println!("listening on {}", server.endpoint());
                if let Some(fingerprint) = &server.tls_fingerprint {
                    println!("tls certificate sha256 fingerprint: {fingerprint}");
                }
                use std::io::Write;
                std::io::stdout().flush()?;
                server.wait().await;
                anyhow::Ok(())
            })
        }
        Some(Command::Key { command }) => key_command(&data_dir, command),
        Some(Command::Vault { command: VaultCommand::Inspect { location, vault_id, key_file } }) => {
            let rt = tokio::runtime::Runtime::new()?;
            rt.block_on(inspect(location, vault_id, key_file.unwrap_or_else(|| data_dir.join("master.key"))))
        }
        Some(Command::Vault { command: VaultCommand::Restore { location, vault_id, snapshot_id, target, key_file, overwrite } }) => {
            let rt = tokio::runtime::Runtime::new()?;
            let key_file = key_file.unwrap_or_else(|| data_dir.join("master.key"));
            rt.block_on(restore_from_location(location, vault_id, snapshot_id, target, key_file, overwrite))
        }
        Some(Command::Bench(args)) => Ok(mirrorvault::bench::run(args).map(|_| ())?),
        Some(Command::Agent(_)) => unreachable!("handled above"),
        None => {
            let trust = Trust { fingerprint: cli.fingerprint, ca_file: None };
            Ok(mirrorvault::launcher::run_console(cli.endpoint, &trust, data_dir, env_credentials())?)
        }
    }
}

fn agent_command(cli: &Cli, args: &AgentArgs) -> anyhow::Result<()> {
    let opts = mirrorvault::agent::AgentOptions {
        endpoint: cli.endpoint.clone(),
        client_id: args.client_id.clone(),
        data_dir: cli.data_dir.clone().unwrap_or_else(default_agent_dir),
        fingerprint: args.fingerprint.clone(),
        account: env_credentials(),
    };
    let rt = tokio::runtime::Runtime::new()?;
    match args.command {
        Some(AgentCommand::Register) => {
            let path = rt.block_on(mirrorvault::agent::register(&opts))?;
            println!("agent key saved in {}; start the agent with: mirrorvault agent --data-dir {}", path.display(), opts.data_dir.display());
            Ok(())
        }
        None => Ok(rt.block_on(mirrorvault::agent::run(opts, shutdown_signal()))?),
    }
}

fn key_command(data_dir: &std::path::Path, command: KeyCommand) -> anyhow::Result<()> {
    let key_path = data_dir.join("master.key");
    match command {
        KeyCommand::Export { out } => {
            let key = MasterKey::load(&key_path).with_context(|| format!("no master key at {}", key_path.display()))?;
            match out {
                Some(path) => {
                    mirrorvault::platform::write_private(&path, key.export_string().as_bytes())?;
                    println!("master key written to {} (mode 0600)", path.display());
                }
                None => println!("{}", key.export_string()),
            }
        }
        KeyCommand::Import { file, force } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let key = MasterKey::from_export_string(text.trim())?;
            if let Ok(existing) = MasterKey::load(&key_path) {
                if existing.export_string() != key.export_string() && !force {
                    anyhow::bail!("{} holds a different master key; pass --force to replace it (vaults written with it become unreadable)", key_path.display());
                }
            }
            std::fs::create_dir_all(data_dir)?;
            mirrorvault::platform::write_private(&key_path, key.export_string().as_bytes())?;
            println!("master key installed at {}", key_path.display());
        }
        KeyCommand::GenerateKms { key_id } => {
            let store = KeyStore::open(&data_dir.join("kms"), MasterKey::load_or_create(&key_path)?)?;
            store.generate(&key_id)?;
            println!("KMS key {key_id} generated");
        }
        KeyCommand::ImportKms { key_id, hex } => {
            let store = KeyStore::open(&data_dir.join("kms"), MasterKey::load_or_create(&key_path)?)?;
            store.import(&key_id, &hex)?;
            println!("KMS key {key_id} imported");
        }
    }
    Ok(())
}

async fn inspect(location: PathBuf, vault_id: Option<String>, key_file: PathBuf) -> anyhow::Result<()> {
    let loc = Location::open(&LocationConfig::Local { path: location })?;
    let Some(vault_id) = vault_id else {
        for v in loc.list_vaults().await? {
            println!("{v}");
        }
        return Ok(());
    };
    let key = MasterKey::load(&key_file).with_context(|| format!("cannot read the master key {}", key_file.display()))?;
    let repo = Repo::open(&loc, &vault_id, &key).await?;
    println!("{:<26} {:<20} {:>14} {:>8}  paths", "snapshot", "completed", "bytes", "items");
    for s in repo.list_snapshots().await? {
        let when = humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(s.complete_time.max(0) as u64));
        println!("{:<26} {:<20} {:>14} {:>8}  {}", s.snapshot_id, when.to_string(), s.bytes_total, s.items_total, s.paths.join(", "));
    }
    Ok(())
}

async fn restore_from_location(location: PathBuf, vault_id: String, snapshot_id: Option<String>, target: PathBuf, key_file: PathBuf, overwrite: bool) -> anyhow::Result<()> {
    use mirrorvault::backend::storage::{Progress, RestoreRequest};
    let loc = Location::open(&LocationConfig::Local { path: location })?;
    let key = MasterKey::load(&key_file).with_context(|| format!("cannot read the master key {}", key_file.display()))?;
    let repo = Repo::open(&loc, &vault_id, &key).await?;
    let snapshot_id = match snapshot_id {
        Some(s) => s,
        None => repo.list_snapshots().await?.pop().map(|s| s.snapshot_id).context("the vault holds no snapshot")?,
    };
    let stats = repo
        .restore(RestoreRequest { snapshot_id: snapshot_id.clone(), target: target.clone(), include: vec![], overwrite }, std::sync::Arc::new(Progress::default()))
        .await?;
    println!("restored {snapshot_id}: {} files, {} bytes into {}", stats.files_restored, stats.bytes_restored, target.display());
    if !stats.failed_files.is_empty() {
        anyhow::bail!("{} file(s) could not be restored: {}", stats.failed_files.len(), stats.failed_files.join("; "));
    }
    Ok(())
}
