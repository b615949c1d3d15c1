//! Results kept by key and shared between the threads of a check: its
//! combinations parse, validate and lint the same texts again and again.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;

/// Results of a computation that depends only on its key, kept per key. At
/// most `kept` keys are kept; past them, results are computed each time, so
/// that no input grows it without end. Two threads asking for a new key at
/// once may both compute it; the result is the same.
pub struct Memo<K, V, S = std::hash::RandomState> {
    results: Mutex<Option<HashMap<K, V, S>>>,
    kept: usize,
}

impl<K: Hash + Eq, V: Clone, S: BuildHasher + Default> Memo<K, V, S> {
    pub const fn new(kept: usize) -> Self {
        Memo { results: Mutex::new(None), kept }
    }

    /// The result for `key`, computed by `compute` the first time.
    pub fn get_or(&self, key: K, compute: impl FnOnce() -> V) -> V {
        self.try_get_or(key, || Ok::<V, std::convert::Infallible>(compute())).unwrap_or_else(|never| match never {})
    }

    /// [`Memo::get_or`] for a computation that can fail; a failure is not kept.
    pub fn try_get_or<E>(&self, key: K, compute: impl FnOnce() -> Result<V, E>) -> Result<V, E> {
        if let Some(known) = self.results.lock().expect("not poisoned").as_ref().and_then(|results| results.get(&key)) {
            return Ok(known.clone());
        }
        let computed = compute()?;
        let mut results = self.results.lock().expect("not poisoned");
        let results = results.get_or_insert_with(|| HashMap::with_hasher(S::default()));
        if results.len() < self.kept {
            results.insert(key, computed.clone());
        }
        Ok(computed)
    }
}

/// How many documents (or renderings of a template) a check keeps results for.
pub const DOCUMENTS_KEPT: usize = 1 << 16;

impl<K: Hash + Eq, V: Clone, S: BuildHasher + Default> Default for Memo<K, V, S> {
    fn default() -> Self {
        Memo::new(DOCUMENTS_KEPT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_computed_once_per_key_and_a_failure_not_kept() {
        let memo: Memo<&str, usize> = Memo::new(2);
        let mut calls = 0;
        assert_eq!(memo.get_or("a", || { calls += 1; 1 }), 1);
        assert_eq!(memo.get_or("a", || { calls += 1; 2 }), 1);
        assert_eq!(calls, 1);
        assert_eq!(memo.try_get_or("b", || Err::<usize, &str>("no")), Err("no"));
        assert_eq!(memo.try_get_or("b", || Ok::<usize, &str>(3)), Ok(3));
        // Full: a third key is computed each time.
        assert_eq!(memo.get_or("c", || 4), 4);
        assert_eq!(memo.get_or("c", || 5), 5);
    }
}
