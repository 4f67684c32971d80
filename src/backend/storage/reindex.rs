//! Index entries rebuilt from pack headers (restic's `repair index`): a pack ends with its
//! encrypted header and the header's length, so two range reads tell which blobs it holds
//! without its index file. Prune uses it for packs no loaded index lists: a pack whose index
//! file was damaged or lost gets indexed again if it holds data a snapshot needs, and is a
//! leak otherwise.

use std::collections::HashMap;

use futures::StreamExt;

use super::error::StorageError;
use super::ids::{pack_object, to_hex, Id};
use super::index::{IndexFile, IndexPack};
use super::repo::Repo;

/// Header reads at once.
const HEADERS_IN_PARALLEL: usize = 8;

impl Repo {
    /// The index entry of one pack, from its header (`size` = the pack's stored size).
    pub(crate) async fn read_pack_header(
        &self,
        pack: &Id,
        size: u64,
    ) -> Result<IndexPack, StorageError> {
        let object = pack_object(pack);
        if size < 4 {
            return Err(StorageError::corrupt(&object, "pack too short"));
        }
        let key = format!("vaults/{}/{object}", self.vault_id());
        let trailer = self.location().get_range(&key, size - 4..size).await?;
        let hlen = u64::from(u32::from_le_bytes(
            trailer[..4]
                .try_into()
                .map_err(|_| StorageError::corrupt(&object, "short read"))?,
        ));
        if hlen + 4 > size {
            return Err(StorageError::corrupt(&object, "bad pack header length"));
        }
        let header = self
            .location()
            .get_range(&key, size - 4 - hlen..size - 4)
            .await?;
        let blobs = super::pack::decode_header(self.keys(), &header, &object)?;
        Ok(IndexPack {
            id: to_hex(pack),
            size,
            blobs,
        })
    }

    /// Headers of `packs` (id -> size): the readable ones, and the names of those that are not.
    pub(crate) async fn read_pack_headers(
        &self,
        packs: &HashMap<Id, u64>,
    ) -> Result<(Vec<IndexPack>, Vec<String>), StorageError> {
        let owned: Vec<(Id, u64)> = packs.iter().map(|(id, size)| (*id, *size)).collect();
        let results: Vec<(Id, Result<IndexPack, StorageError>)> = futures::stream::iter(owned)
            .map(|(id, size)| async move { (id, self.read_pack_header(&id, size).await) })
            .buffer_unordered(HEADERS_IN_PARALLEL)
            .collect()
            .await;
        let (mut ok, mut bad) = (Vec::new(), Vec::new());
        for (id, r) in results {
            match r {
                Ok(p) => ok.push(p),
                Err(e @ StorageError::Unavailable(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(vault = %self.vault_id(), pack = %to_hex(&id), error = %e, "unreadable pack header");
                    bad.push(pack_object(&id));
                }
            }
        }
        Ok((ok, bad))
    }

    /// restic's `repair index`: every pack present in the vault that no loaded index lists is
    /// indexed again from its header (one new index file). Returns the packs indexed.
    pub async fn rebuild_index(&self) -> Result<usize, StorageError> {
        let present = self.list_packs().await?;
        let missing: HashMap<Id, u64> = {
            let idx = self.index();
            present
                .into_iter()
                .filter(|(id, _)| !idx.packs.contains_key(id))
                .collect()
        };
        if missing.is_empty() {
            return Ok(0);
        }
        let (packs, _) = self.read_pack_headers(&missing).await?;
        let n = packs.len();
        if n > 0 {
            self.write_index(&IndexFile { packs }).await?;
        }
        Ok(n)
    }
}
