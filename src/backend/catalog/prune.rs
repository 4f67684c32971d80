//! What prune keeps in the catalog besides its job rows (`JobKind::Prune` in `jobs`): the
//! vaults' measured sizes (`storage_size` = what the location holds, `storage_size_referenced`
//! = the part the index and snapshots reference) and when a vault was last pruned.
use rusqlite::{params, OptionalExtension};

use super::{Catalog, CatalogResult};

impl Catalog {
    /// Both sizes of a vault, as measured by listing its location prefix.
    pub fn set_storage_sizes(
        &self,
        vault_id: &str,
        total: i64,
        referenced: i64,
    ) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE vaults SET storage_size = ?2, storage_size_referenced = ?3 WHERE vault_id = ?1",
            params![vault_id, total, referenced],
        )?;
        Ok(())
    }

    /// When the newest prune job of the vault was created (any status).
    pub fn last_prune_created(&self, vault_id: &str) -> CatalogResult<Option<i64>> {
        let conn = self.read();
        let t: Option<Option<i64>> = conn
            .query_row(
                "SELECT MAX(created_time) FROM jobs WHERE kind = 'PRUNE' AND vault_id = ?1",
                params![vault_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(t.flatten())
    }
}
