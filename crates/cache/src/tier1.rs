//! Tier 1: the hot chunks in memory (current and next chunk of the playing track, both
//! variants), with exact byte accounting. Which chunks are hot is decided by the manager.

use crate::Variant;
use bytes::Bytes;
use std::collections::HashMap;

/// (track key hash, chunk, variant).
pub(crate) type HotKey = (u64, u64, Variant);

#[derive(Default)]
pub(crate) struct Tier1 {
    chunks: HashMap<HotKey, Bytes>,
    bytes: u64,
}

impl Tier1 {
    pub fn get(&self, key: &HotKey) -> Option<Bytes> {
        self.chunks.get(key).cloned()
    }

    pub fn contains(&self, key: &HotKey) -> bool {
        self.chunks.contains_key(key)
    }

    pub fn insert(&mut self, key: HotKey, data: Bytes) {
        self.bytes += data.len() as u64;
        if let Some(old) = self.chunks.insert(key, data) {
            self.bytes -= old.len() as u64;
        }
    }

    /// Keeps only the chunks for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&HotKey) -> bool) {
        let bytes = &mut self.bytes;
        self.chunks.retain(|k, v| {
            let k_ = keep(k);
            if !k_ {
                *bytes -= v.len() as u64;
            }
            k_
        });
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn count_track(&self, hash: u64) -> u64 {
        self.chunks.keys().filter(|k| k.0 == hash).count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_exact_through_insert_replace_and_retain() {
        let mut t = Tier1::default();
        t.insert((1, 0, Variant::Original), Bytes::from(vec![0; 100]));
        t.insert((1, 1, Variant::Original), Bytes::from(vec![0; 50]));
        assert_eq!(t.bytes(), 150);
        t.insert((1, 1, Variant::Original), Bytes::from(vec![0; 70]));
        assert_eq!(t.bytes(), 170);
        t.retain(|k| k.1 == 1);
        assert_eq!((t.bytes(), t.len()), (70, 1));
        t.clear();
        assert_eq!(t.bytes(), 0);
    }
}
