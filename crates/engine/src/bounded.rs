//! A tiny map with a size bound that forgets the least recently used entry: for per-track
//! facts (timeline, profile) that are cheap to keep and costly to recompute, without letting
//! a large library grow memory.

pub(crate) struct Bounded<K, V> {
    cap: usize,
    tick: u64,
    entries: Vec<(K, V, u64)>,
}

impl<K: PartialEq, V: Clone> Bounded<K, V> {
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            tick: 0,
            entries: Vec::new(),
        }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.iter_mut().find(|(k, _, _)| k == key).map(|e| {
            e.2 = tick;
            e.1.clone()
        })
    }

    pub fn insert(&mut self, key: K, value: V) {
        self.tick += 1;
        if let Some(e) = self.entries.iter_mut().find(|(k, _, _)| *k == key) {
            e.1 = value;
            e.2 = self.tick;
            return;
        }
        if self.entries.len() >= self.cap {
            if let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.2)
                .map(|(i, _)| i)
            {
                self.entries.swap_remove(oldest);
            }
        }
        self.entries.push((key, value, self.tick));
    }

    pub fn remove(&mut self, key: &K) {
        self.entries.retain(|(k, _, _)| k != key);
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.entries.shrink_to_fit();
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn forgets_the_least_recently_used() {
        let mut m = Bounded::new(2);
        m.insert(1, "a");
        m.insert(2, "b");
        assert_eq!(m.get(&1), Some("a"));
        m.insert(3, "c");
        assert_eq!(m.get(&2), None);
        assert_eq!(m.get(&1), Some("a"));
        assert_eq!(m.get(&3), Some("c"));
        assert_eq!(m.len(), 2);
    }
}
