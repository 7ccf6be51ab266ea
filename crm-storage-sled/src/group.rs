//! Entries of the stored non-unique indexes, each listing one or more records.
//!
//! An entry's key is the index's prefix, the encoded key tuple and the smallest id it lists
//! (its head); its value is the other ids it lists, 16 bytes each, in ascending order (empty
//! when it lists only its head, which is the layout of schema 2). A commit that adds several
//! records under one key tuple writes one entry for up to [`GROUP_MEMBERS`] of them instead of
//! one each: an import batch's customers of one owner, its audit entries by one actor, a
//! customer's contacts. sled costs about the same per entry whatever its size, so this is what
//! makes an imported customer cost 7 entries instead of 10 (`docs/adr/0005-sled-layout.md`).
//!
//! A record leaving a tuple (deleted, or its indexed value changed) is found in its entry by
//! a backward range scan from `tuple ++ id`: the entry holding it has a head no greater than
//! its id, and ids are mostly time-ordered (UUID v7), so the entries between are those written
//! in the same moments, usually none. The entry is written again without it, under a new head
//! when the head left.

use std::collections::BTreeMap;

use crm_core::{Error, Result};
use sled::{Batch, Tree};
use uuid::Uuid;

/// The most records one entry lists.
pub(crate) const GROUP_MEMBERS: usize = 256;

fn corrupt(what: &str) -> Error {
    Error::backend_msg(format!("sled store: corrupt index entry: {what}"))
}

/// The records an entry lists, head first.
pub(crate) fn members<'v>(key: &[u8], value: &'v [u8]) -> Result<impl Iterator<Item = Uuid> + 'v> {
    let head: [u8; 16] = key
        .get(key.len().saturating_sub(16)..)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| corrupt("key shorter than an id"))?;
    if !value.len().is_multiple_of(16) {
        return Err(corrupt("value is not a list of ids"));
    }
    let rest = value.chunks_exact(16).map(|c| {
        // `chunks_exact(16)` yields 16-byte slices only.
        Uuid::from_slice(c).unwrap_or_default()
    });
    Ok(std::iter::once(Uuid::from_bytes(head)).chain(rest))
}

/// Adds entries listing `ids` under `tuple` (the index prefix and key tuple) to `batch`: the
/// ids in ascending order, [`GROUP_MEMBERS`] per entry.
fn put(batch: &mut Batch, tuple: &[u8], ids: &mut [Uuid]) {
    ids.sort_unstable();
    for chunk in ids.chunks(GROUP_MEMBERS) {
        let Some((head, rest)) = chunk.split_first() else {
            continue;
        };
        let mut key = Vec::with_capacity(tuple.len() + 16);
        key.extend_from_slice(tuple);
        key.extend_from_slice(head.as_bytes());
        let value: Vec<u8> = rest.iter().flat_map(|id| *id.as_bytes()).collect();
        batch.insert(key, value);
    }
}

/// A commit's changes to the stored non-unique indexes: which records leave and which join
/// which key tuples.
#[derive(Default)]
pub(crate) struct Changes<'a> {
    leave: Vec<(&'a [u8], Uuid)>,
    join: BTreeMap<&'a [u8], Vec<Uuid>>,
}

impl<'a> Changes<'a> {
    /// `id` is no longer listed under `tuple`.
    pub(crate) fn leave(&mut self, tuple: &'a [u8], id: Uuid) {
        self.leave.push((tuple, id));
    }

    /// `id` is now listed under `tuple`.
    pub(crate) fn join(&mut self, tuple: &'a [u8], id: Uuid) {
        self.join.entry(tuple).or_default().push(id);
    }

    /// Adds the writes that make the changes to `batch`, reading the entries the leaving
    /// records are in. A record not found where it should be listed (which a consistent store
    /// never has) is left alone, as a removal of a missing key would be.
    pub(crate) fn write(self, data: &Tree, batch: &mut Batch) -> Result<()> {
        // Entries losing members, by key, with the members they keep.
        let mut edited: BTreeMap<Vec<u8>, Vec<Uuid>> = BTreeMap::new();
        for (tuple, id) in self.leave {
            let mut end = Vec::with_capacity(tuple.len() + 16);
            end.extend_from_slice(tuple);
            end.extend_from_slice(id.as_bytes());
            for item in data.range(tuple..=end.as_slice()).rev() {
                let (k, v) = item.map_err(Error::backend)?;
                if k.len() != tuple.len() + 16 {
                    return Err(corrupt("key of unexpected length"));
                }
                if let Some(kept) = edited.get_mut(&k[..]) {
                    if let Some(p) = kept.iter().position(|m| *m == id) {
                        kept.remove(p);
                        break;
                    }
                    continue;
                }
                let mut kept: Vec<Uuid> = members(&k, &v)?.collect();
                if let Some(p) = kept.iter().position(|m| *m == id) {
                    kept.remove(p);
                    edited.insert(k.to_vec(), kept);
                    break;
                }
            }
        }
        for (key, mut kept) in edited {
            let tuple = key.get(..key.len() - 16).unwrap_or_default().to_vec();
            batch.remove(key);
            put(batch, &tuple, &mut kept);
        }
        for (tuple, mut ids) in self.join {
            put(batch, tuple, &mut ids);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn tree() -> (sled::Db, Tree) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let t = db.open_tree("t").unwrap();
        (db, t)
    }

    fn listed(data: &Tree, tuple: &[u8]) -> Vec<Uuid> {
        let mut out: Vec<Uuid> = data
            .scan_prefix(tuple)
            .flat_map(|item| {
                let (k, v) = item.unwrap();
                members(&k, &v).unwrap().collect::<Vec<_>>()
            })
            .collect();
        out.sort_unstable();
        out
    }

    fn ids(n: usize) -> Vec<Uuid> {
        let mut v: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        v.sort_unstable();
        v
    }

    fn apply(data: &Tree, c: Changes<'_>) {
        let mut b = Batch::default();
        c.write(data, &mut b).unwrap();
        data.apply_batch(b).unwrap();
    }

    #[test]
    fn records_joining_one_tuple_in_one_commit_share_an_entry() {
        let (_db, data) = tree();
        let ids = ids(3);
        let mut c = Changes::default();
        for id in ids.iter().rev() {
            c.join(b"iowner\0A", *id);
        }
        apply(&data, c);
        assert_eq!(data.len(), 1);
        assert_eq!(listed(&data, b"iowner\0A"), ids);
    }

    #[test]
    fn an_entry_lists_at_most_group_members_records() {
        let (_db, data) = tree();
        let ids = ids(GROUP_MEMBERS + 1);
        let mut c = Changes::default();
        for id in &ids {
            c.join(b"iactor\0X", *id);
        }
        apply(&data, c);
        assert_eq!(data.len(), 2);
        assert_eq!(listed(&data, b"iactor\0X"), ids);
    }

    #[test]
    fn a_leaving_record_is_removed_from_its_entry_whether_head_or_member() {
        let (_db, data) = tree();
        let id = Uuid::from_u128;
        let mut c = Changes::default();
        for n in [10, 20, 30, 40] {
            c.join(b"iowner\0A", id(n));
        }
        apply(&data, c);
        // A record of another commit whose id lies between the group's: the backward scan
        // for 30 or 40 passes its entry first.
        let mut c = Changes::default();
        c.join(b"iowner\0A", id(25));
        apply(&data, c);
        assert_eq!(data.len(), 2);

        // The head leaves: the rest is written again under the next id.
        let mut c = Changes::default();
        c.leave(b"iowner\0A", id(10));
        apply(&data, c);
        assert_eq!(
            listed(&data, b"iowner\0A"),
            vec![id(20), id(25), id(30), id(40)]
        );
        assert!(data
            .get(
                b"iowner\0A"
                    .iter()
                    .chain(id(20).as_bytes())
                    .copied()
                    .collect::<Vec<_>>()
            )
            .unwrap()
            .is_some());

        // Two members of one entry leave in one commit, and the record between them too.
        let mut c = Changes::default();
        c.leave(b"iowner\0A", id(40));
        c.leave(b"iowner\0A", id(30));
        c.leave(b"iowner\0A", id(25));
        apply(&data, c);
        assert_eq!(listed(&data, b"iowner\0A"), vec![id(20)]);

        // The last one leaves: nothing is left under the tuple.
        let mut c = Changes::default();
        c.leave(b"iowner\0A", id(20));
        apply(&data, c);
        assert_eq!(data.len(), 0);
    }

    #[test]
    fn leaving_one_tuple_and_joining_another_moves_the_record() {
        let (_db, data) = tree();
        let ids = ids(2);
        let mut c = Changes::default();
        c.join(b"iowner\0A", ids[0]);
        c.join(b"iowner\0A", ids[1]);
        apply(&data, c);
        let mut c = Changes::default();
        c.leave(b"iowner\0A", ids[1]);
        c.join(b"iowner\0B", ids[1]);
        apply(&data, c);
        assert_eq!(listed(&data, b"iowner\0A"), vec![ids[0]]);
        assert_eq!(listed(&data, b"iowner\0B"), vec![ids[1]]);
    }

    #[test]
    fn a_record_not_listed_leaves_nothing_changed() {
        let (_db, data) = tree();
        let ids = ids(2);
        let mut c = Changes::default();
        c.join(b"iowner\0A", ids[0]);
        apply(&data, c);
        let mut c = Changes::default();
        c.leave(b"iowner\0A", ids[1]);
        apply(&data, c);
        assert_eq!(listed(&data, b"iowner\0A"), vec![ids[0]]);
    }

    #[test]
    fn a_value_that_is_not_a_list_of_ids_is_reported_corrupt() {
        assert!(members(&[0u8; 20], &[1, 2, 3]).is_err());
        assert!(members(&[0u8; 3], &[]).is_err());
    }
}
