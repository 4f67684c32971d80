//! The snapshot browser of the Restore dialog: the snapshot's tree through `BrowseFiles`, one
//! page per expanded folder (a "more…" button asks for the next), with sizes and a tick box per
//! folder and file. The ticked paths become the restore's `Include` (a ticked folder takes
//! everything below it). Requests run on the runtime (`Net::spawn`); `pump` starts the pages the
//! UI asked for and moves the settled ones in, so drawing never waits.
use std::collections::{BTreeSet, HashMap, HashSet};

use egui::{RichText, Ui};
use poll_promise::Promise;

use super::{format, muted, palette};
use crate::api::browse::{BrowseFilesResponse, Node, NODE_DIRECTORY};
use crate::client::ClientError;
use crate::ui::request::Net;

/// Entries asked for per page.
pub const PAGE: i64 = 200;

type Pending = Promise<Result<BrowseFilesResponse, ClientError>>;
/// The snapshot's row, when found: (snapshot id, client id).
type Lookup = Promise<Result<Option<(String, String)>, ClientError>>;

#[derive(Default)]
struct Dir {
    nodes: Vec<Node>,
    next_token: String,
    total: i64,
    loading: Option<Pending>,
    error: Option<String>,
}

pub struct SnapshotTree {
    vault_id: String,
    /// The snapshot browsed: given, or the vault's latest file snapshot once looked up.
    pub snapshot_id: Option<String>,
    /// The backup client the snapshot was taken of (its `ClientId`), once looked up.
    pub snapshot_client_id: Option<String>,
    /// The snapshot's row (the given one, or the latest file snapshot): (id, client id).
    lookup: Option<Lookup>,
    looked_up: bool,
    /// Why there is nothing to browse (no snapshot, or the lookup failed).
    pub problem: Option<String>,
    dirs: HashMap<String, Dir>,
    expanded: HashSet<String>,
    /// Ticked paths (absolute, as `Node.Subtree`).
    pub ticked: BTreeSet<String>,
    /// Pages the UI asked for: (directory, token).
    wanted: Vec<(String, Option<String>)>,
}

impl SnapshotTree {
    pub fn new(vault_id: String, snapshot_id: Option<String>) -> SnapshotTree {
        SnapshotTree {
            vault_id,
            snapshot_id,
            snapshot_client_id: None,
            lookup: None,
            looked_up: false,
            problem: None,
            dirs: HashMap::new(),
            expanded: HashSet::new(),
            ticked: BTreeSet::new(),
            wanted: Vec::new(),
        }
    }

    /// The ticked paths without those a ticked folder already holds: the restore's `Include`.
    pub fn include(&self) -> Vec<String> {
        self.ticked
            .iter()
            .filter(|p| !self.under_ticked(p))
            .cloned()
            .collect()
    }

    /// True when a folder above `path` is ticked.
    fn under_ticked(&self, path: &str) -> bool {
        let mut p = std::path::Path::new(path).parent();
        while let Some(a) = p {
            if self.ticked.contains(a.to_string_lossy().as_ref()) {
                return true;
            }
            p = a.parent();
        }
        false
    }

    /// True while any request runs.
    pub fn is_loading(&self) -> bool {
        self.lookup.is_some() || self.dirs.values().any(|d| d.loading.is_some())
    }

    /// Starts the requests the tree needs and moves settled answers in. Call once per frame.
    pub fn pump(&mut self, net: &Net, ctx: &egui::Context) {
        if !self.looked_up {
            self.looked_up = true;
            let (vault_id, wanted) = (self.vault_id.clone(), self.snapshot_id.clone());
            self.lookup = Some(net.spawn(ctx, move |c| async move {
                let snapshots = c.describe_snapshots(&vault_id).await?.snapshots.snapshot;
                let row = match wanted {
                    Some(id) => snapshots.into_iter().find(|s| s.snapshot_id == id),
                    None => snapshots
                        .into_iter()
                        .filter(|s| {
                            s.source_type.is_empty() || s.source_type.eq_ignore_ascii_case("FILE")
                        })
                        .max_by_key(|s| (s.complete_time, s.start_time)),
                };
                Ok(row.map(|s| (s.snapshot_id, s.client_id)))
            }));
        }
        if let Some(p) = self.lookup.take() {
            // A given snapshot is browsed at once; the lookup only adds its client.
            let given = self.snapshot_id.is_some();
            match p.try_take() {
                Ok(Ok(Some((id, client_id)))) => {
                    self.snapshot_id = Some(id);
                    self.snapshot_client_id = Some(client_id).filter(|c| !c.is_empty());
                }
                Ok(Ok(None)) if !given => self.problem = Some("The vault holds no file snapshot yet.".into()),
                Ok(Err(e)) if !given => self.problem = Some(format!("Could not list the snapshots: {e}")),
                Ok(_) => {}
                Err(p) => self.lookup = Some(p),
            }
        }
        let Some(snapshot_id) = self.snapshot_id.clone() else {
            return;
        };
        if !self.dirs.contains_key("/") {
            self.expanded.insert("/".into());
            self.wanted.push(("/".into(), None));
        }
        for (path, token) in std::mem::take(&mut self.wanted) {
            let dir = self.dirs.entry(path.clone()).or_default();
            if dir.loading.is_some() {
                continue;
            }
            dir.error = None;
            let (vault_id, snapshot_id) = (self.vault_id.clone(), snapshot_id.clone());
            dir.loading = Some(net.spawn(ctx, move |c| async move {
                c.browse_files(&vault_id, &snapshot_id, &path, PAGE, token.as_deref())
                    .await
            }));
        }
        for dir in self.dirs.values_mut() {
            let Some(p) = dir.loading.take() else {
                continue;
            };
            match p.try_take() {
                Ok(Ok(page)) => {
                    dir.nodes.extend(page.nodes.node);
                    dir.next_token = page.next_token;
                    dir.total = page.total_count;
                }
                Ok(Err(e)) => dir.error = Some(e.to_string()),
                Err(p) => dir.loading = Some(p),
            }
        }
    }

    fn toggle(&mut self, path: &str) {
        if !self.expanded.remove(path) {
            self.expanded.insert(path.to_string());
            if !self.dirs.contains_key(path) {
                self.wanted.push((path.to_string(), None));
            }
        }
    }
}

/// The tree, in a scroll area.
pub fn ui(ui: &mut Ui, tree: &mut SnapshotTree) {
    if let Some(problem) = &tree.problem {
        ui.label(RichText::new(problem).color(palette::WARN));
        return;
    }
    if tree.snapshot_id.is_none() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(muted(ui, "Finding the latest snapshot…"));
        });
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical()
            .max_height(280.0)
            .auto_shrink([false, true])
            .show(ui, |ui| dir_ui(ui, tree, "/", 0));
    });
}

fn dir_ui(ui: &mut Ui, tree: &mut SnapshotTree, path: &str, depth: usize) {
    let Some(dir) = tree.dirs.get(path) else {
        return;
    };
    let nodes = dir.nodes.clone();
    let (loading, error, more, shown, total) = (
        dir.loading.is_some(),
        dir.error.clone(),
        !dir.next_token.is_empty(),
        dir.nodes.len(),
        dir.total,
    );
    let indent = depth as f32 * 18.0;
    for node in &nodes {
        let is_dir = node.node_type == NODE_DIRECTORY;
        let open = is_dir && tree.expanded.contains(&node.subtree);
        // Ids keyed by path: rows arriving above keep the ids of the rows below stable.
        ui.push_id(&node.subtree, |ui| {
            ui.horizontal(|ui| {
                ui.add_space(indent);
                if is_dir {
                    let arrow = if open { "⏷" } else { "▶" };
                    let verb = if open { "Collapse" } else { "Expand" };
                    let r = ui.add(
                        egui::Button::new(arrow)
                            .frame(false)
                            .min_size(egui::vec2(18.0, 0.0)),
                    );
                    r.widget_info(|| {
                        egui::WidgetInfo::labeled(
                            egui::Role::Button,
                            true,
                            format!("{verb} {}", node.name),
                        )
                    });
                    if r.clicked() {
                        tree.toggle(&node.subtree);
                    }
                } else {
                    ui.add_space(22.0);
                }
                let inherited = tree.under_ticked(&node.subtree);
                let mut on = inherited || tree.ticked.contains(&node.subtree);
                // A name that is not UTF-8 arrives with U+FFFD for its bad bytes; the fonts lack it.
                let name = node.name.replace('\u{FFFD}', "?");
                let label = if is_dir { format!("{name}/") } else { name };
                let r = ui.add_enabled(!inherited, egui::Checkbox::new(&mut on, label));
                if r.changed() {
                    if on {
                        tree.ticked.insert(node.subtree.clone());
                    } else {
                        tree.ticked.remove(&node.subtree);
                    }
                }
                let size = if is_dir {
                    format!(
                        "{} · {}",
                        format::bytes(node.size),
                        format::plural(node.files, "item")
                    )
                } else if node.node_type == "file" {
                    format::bytes(node.size)
                } else {
                    node.node_type.clone()
                };
                ui.label(muted(ui, size));
            })
        });
        if open {
            dir_ui(ui, tree, &node.subtree, depth + 1);
        }
    }
    ui.horizontal(|ui| {
        ui.add_space(indent + 22.0);
        if loading {
            ui.spinner();
            ui.label(muted(ui, "loading…"));
        } else if let Some(e) = error {
            ui.label(
                RichText::new(format!("Could not read this folder: {e}")).color(palette::ERROR),
            );
            if ui.small_button("Retry").clicked() {
                let token = tree
                    .dirs
                    .get(path)
                    .map(|d| d.next_token.clone())
                    .filter(|t| !t.is_empty());
                tree.wanted.push((path.to_string(), token));
            }
        } else if more {
            let token = tree.dirs.get(path).map(|d| d.next_token.clone());
            if ui
                .small_button("more…")
                .on_hover_text(format!("{shown} of {total} shown; show the next {PAGE}"))
                .clicked()
            {
                tree.wanted.push((path.to_string(), token));
            }
        } else if shown == 0 {
            ui.label(muted(ui, "(empty)"));
        }
    });
}
