//! What the UI asks for. `*_ui` functions push these; `ConsoleApp::run_commands` acts on them
//! after drawing (requests, file dialogs, navigation).
use std::path::PathBuf;

use super::app::Screen;
use super::screens::sql_wizard::WizardCommand;
use super::widgets::create_vault_dialog::CreateVaultCommand;

#[derive(Clone, Debug, PartialEq)]
pub enum UiCommand {
    Navigate(Screen),
    /// Open a vault's detail view.
    OpenVault(String),
    /// Refresh vaults and backup clients now.
    Refresh,
    OpenCreateMirror { vault_id: String },
    /// Submit the Create Mirror Vault dialog with its current fields.
    SubmitCreateMirror,
    CloseCreateMirror,
    /// Open, submit or close the Overview's Create vault dialog.
    CreateVault(CreateVaultCommand),
    /// Back up a vault's file clients again, with the paths of their latest snapshots.
    BackUpNow { vault_id: String },
    /// Open the Restore dialog for a snapshot (the latest when `None`).
    OpenRestore { vault_id: String, snapshot_id: Option<String> },
    /// Ask the folder picker (rfd, or the test's replacement) for the Restore dialog's folder.
    BrowseRestoreFolder,
    CloseRestore,
    /// Restore a snapshot (the latest when `None`) into `target` on the host `on`: the
    /// `include`d paths only unless empty.
    Restore { vault_id: String, snapshot_id: Option<String>, target: PathBuf, include: Vec<String>, overwrite: bool, on: RestoreOn },
    SyncNow { vault_id: String },
    DeleteVault { vault_id: String },
    /// Delete one snapshot of the open vault (after its confirmation).
    DeleteSnapshot { vault_id: String, snapshot_id: String },
    /// Turn WORM on for the open vault (after the irreversible-confirmation dialog).
    EnableWorm { vault_id: String },
    /// Start a prune job on the open vault (a dry run reports, deletes nothing).
    PruneNow { vault_id: String, dry_run: bool },
    CreateBackupClient { name: String, region_id: String },
    DeleteBackupClient { client_id: String, client_name: String },
    SetDarkMode(bool),
    /// Open the SQL Server restore wizard, on a mirror vault when given.
    OpenSqlWizard { vault_id: Option<String> },
    /// An action of the open restore wizard.
    SqlWizard(WizardCommand),
    /// Back up every database of a SQL Server instance (on a source vault).
    BackUpSqlInstance { cluster_id: String },
    /// Mark a region unavailable (outage drill) or available again.
    SetRegionOutage { region_id: String, outage: bool },
    /// Save the Settings screen's connection fields to the console's settings file.
    SaveConnection,
    /// Put `text` on the clipboard and say so (`what` names it: "Job ID").
    CopyText { text: String, what: String },
}

/// The backup client (host) a restore runs on: its `ClientId` in `CreateRestoreJob`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreOn {
    /// The snapshot's own client, looked up when the restore starts (the dialog did not know it
    /// yet); the backend when that client is gone.
    Original,
    /// This client: on its agent's host, or in the backend when it has no agent.
    Client(String),
    /// No client: the job runs in the backend.
    Backend,
}
