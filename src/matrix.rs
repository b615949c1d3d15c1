//! The matrix: which flag combinations to check, and the values of each.
//!
//! The axes are the flags of the values model with their domains and
//! dependencies. A flag whose dependency does not hold is left out of a
//! combination (it keeps its default and changes nothing), so combinations
//! a dependency makes identical are never generated twice. `full` takes
//! every remaining combination; `pairwise` a small set that still covers
//! every pair of axis values that can occur together. Each combination's
//! values are the spec's `check.values` with the flags set on top.

use std::collections::BTreeMap;

use crate::diagnostic::BadInput;
use crate::diagnostic::Origin;
use crate::source::Node;
use crate::spec::{LoadedSpec, Spec};
use crate::values::{self, Flag, LoadedValues};

/// Flag path → value, for the flags a combination sets.
pub type Assignment = BTreeMap<String, serde_json::Value>;

/// One combination of flag values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Combination {
    /// Stable, readable id: the flags that differ from their defaults (`backup+sink-s3`).
    pub id: String,
    pub flags: Assignment,
}

/// Whether `flag`'s dependency holds under `assignment`.
fn applies(flag: &Flag, assignment: &Assignment) -> bool {
    flag.requires.as_ref().is_none_or(|(path, value)| assignment.get(path) == Some(value))
}

/// Every combination, with flags whose dependency fails left out.
pub fn full(spec: &Spec, flags: &[Flag]) -> Vec<Combination> {
    let mut assignments = vec![Assignment::new()];
    for flag in flags {
        assignments = assignments
            .into_iter()
            .flat_map(|partial| {
                if !applies(flag, &partial) {
                    return vec![partial];
                }
                flag.domain
                    .iter()
                    .map(|value| {
                        let mut next = partial.clone();
                        next.insert(flag.path.clone(), value.clone());
                        next
                    })
                    .collect()
            })
            .collect();
    }
    let defaults = values::flag_defaults(spec);
    assignments.into_iter().map(|assignment| combination(flags, &defaults, assignment)).collect()
}

fn combination(all: &[Flag], defaults: &Assignment, flags: Assignment) -> Combination {
    let tokens: Vec<String> = all
        .iter()
        .filter_map(|flag| {
            let value = flags.get(&flag.path)?;
            (defaults.get(&flag.path) != Some(value)).then(|| token(flag, value))
        })
        .collect();
    let id = if tokens.is_empty() { "defaults".to_string() } else { tokens.join("+") };
    Combination { id, flags }
}

/// A flag's value in an id: `backup` for `backup.enabled=true`, `no-postgresql`
/// for `postgresql.enabled=false`, `sink-s3`, `auth-create`.
fn token(flag: &Flag, value: &serde_json::Value) -> String {
    let segments: Vec<&str> = flag.path.split('.').collect();
    let name = match segments.as_slice() {
        [.., owner, "enabled"] => owner.to_string(),
        [.., owner, last] => format!("{owner}-{last}"),
        [only] => only.to_string(),
        [] => String::new(),
    };
    match value {
        serde_json::Value::Bool(true) => name,
        serde_json::Value::Bool(false) => format!("no-{name}"),
        other => format!("{}-{}", segments.last().copied().unwrap_or_default(), other.as_str().unwrap_or_default()),
    }
}

/// The values a combination is rendered with, as the tree a user would
/// pass with `-f`: the spec's `check.values`, then the flags.
pub fn user_tree(spec: &LoadedSpec, combination: &Combination) -> Node {
    let mut tree = spec.tree.get("check.values").cloned().unwrap_or_else(|| Node::empty_map(Origin::Default));
    let mut flags = serde_json::Map::new();
    for (path, value) in &combination.flags {
        let mut target = &mut flags;
        let mut keys: Vec<&str> = path.split('.').collect();
        let last = keys.pop().expect("a flag path has a key");
        for key in keys {
            target = target
                .entry(key.to_string())
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
                .as_object_mut()
                .expect("flag paths nest in maps");
        }
        target.insert(last.to_string(), value.clone());
    }
    values::merge_maps(&mut tree, Node::from_json(&serde_json::Value::Object(flags), &Origin::Default));
    tree
}

/// The checked values of a combination.
pub fn values(spec: &LoadedSpec, combination: &Combination) -> Result<LoadedValues, BadInput> {
    values::from_user_tree(&spec.spec, user_tree(spec, combination))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_whose_dependency_fails_is_not_varied() {
        let combinations = full(&crate::spec::load(None).unwrap().spec, &values::flags());
        // postgresql: enabled (auth.create 2 ways) or not = 3; backup: off, s3, pvc (create 2 ways) = 4;
        // viaHook 2; rules 2.
        assert_eq!(combinations.len(), 3 * 4 * 2 * 2);
        assert!(combinations.iter().all(|c| c.flags.get("backup.enabled") == Some(&true.into()) || !c.flags.contains_key("backup.sink")));
    }

    #[test]
    fn ids_are_unique_and_name_what_differs_from_the_defaults() {
        let combinations = full(&crate::spec::load(None).unwrap().spec, &values::flags());
        let ids: std::collections::BTreeSet<&str> = combinations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), combinations.len());
        assert!(ids.contains("defaults"));
        assert!(ids.contains("backup+sink-s3"), "{ids:?}");
        assert!(ids.contains("no-postgresql"), "{ids:?}");
    }
}
