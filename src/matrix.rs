//! The matrix: which flag combinations to check, and the values of each.
//!
//! The axes are the flags of the values model with their domains and
//! dependencies. A flag whose dependency does not hold is left out of a
//! combination (it keeps its default and changes nothing), so combinations
//! a dependency makes identical are never generated twice. `full` takes
//! every remaining combination; `pairwise` a small set that still covers
//! every pair of axis values that can occur together. Each combination's
//! values are the spec's `check.values` with the flags set on top.

use std::collections::{BTreeMap, BTreeSet};
use crate::place::Place;

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
    /// Stable, readable id: the flags that differ from their defaults
    /// (`backup+sink-s3`), or `scenario-<name>` for a named scenario.
    pub id: String,
    pub flags: Assignment,
    /// The values file of a named scenario, merged over the spec's `check.values`.
    pub scenario: Option<Place>,
}

impl Combination {
    /// The flags as `path=value` words: `backup.enabled=true backup.sink=s3`.
    pub fn describe(&self) -> String {
        let word = |(path, value): (&String, &serde_json::Value)| match value {
            serde_json::Value::String(text) => format!("{path}={text}"),
            other => format!("{path}={other}"),
        };
        self.flags.iter().map(word).collect::<Vec<_>>().join(" ")
    }
}

/// How combinations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Every combination.
    #[default]
    Full,
    /// Few combinations that still cover every pair of axis values.
    Pairwise,
}

/// Covers every pair of (flag = value) that occurs together in some
/// combination of `all`, greedily: each step takes the combination that
/// covers the most pairs not yet covered.
pub fn pairwise(all: &[Combination]) -> Vec<Combination> {
    let pairs = |c: &Combination| -> Vec<(String, String)> {
        let items: Vec<String> = c.flags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut out = Vec::new();
        for (i, a) in items.iter().enumerate() {
            for b in &items[i + 1..] {
                out.push((a.clone(), b.clone()));
            }
        }
        out
    };
    let candidates: Vec<Vec<(String, String)>> = all.iter().map(pairs).collect();
    let mut uncovered: BTreeSet<(String, String)> = candidates.iter().flatten().cloned().collect();
    let mut chosen = Vec::new();
    while !uncovered.is_empty() {
        let (best, _) = candidates
            .iter()
            .enumerate()
            .map(|(i, ps)| (i, ps.iter().filter(|p| uncovered.contains(*p)).count()))
            .max_by_key(|&(i, covered)| (covered, std::cmp::Reverse(i)))
            .expect("an uncovered pair comes from some combination");
        for pair in &candidates[best] {
            uncovered.remove(pair);
        }
        chosen.push(all[best].clone());
    }
    chosen
}

/// The named scenarios of a spec: each `*.yaml` of its scenarios directory.
pub fn scenarios(spec: &LoadedSpec) -> Result<Vec<Combination>, BadInput> {
    let Some(dir) = spec.spec.check.scenarios.as_deref().map(|d| spec.resolve(d)) else { return Ok(Vec::new()) };
    let paths = dir.files("yaml").map_err(|e| {
        crate::diagnostic::Diagnostic::plain(format!("cannot read the scenarios directory {dir}: {e}"))
            .with_help("create it, or remove `check.scenarios` from the spec (its path is relative to the spec file)")
    })?;
    let mut out = Vec::new();
    for path in paths {
        let mut combination = Combination { id: format!("scenario-{}", path.stem()), flags: Assignment::new(), scenario: Some(path) };
        let loaded = values(spec, &combination)?;
        combination.flags = flags_of(&loaded.tree.to_json());
        out.push(combination);
    }
    Ok(out)
}

/// The flags a values tree sets, leaving out those whose dependency does not hold.
pub fn flags_of(values: &serde_json::Value) -> Assignment {
    let mut flags = Assignment::new();
    for flag in values::flags() {
        if applies(&flag, &flags) {
            let value = flag.path.split('.').fold(values, |node, key| &node[key]).clone();
            flags.insert(flag.path, value);
        }
    }
    flags
}

/// The combinations a check runs: the strategy's, then the scenarios,
/// keeping those whose id matches `only` (a glob: `*` matches anything).
pub fn select(spec: &LoadedSpec, strategy: Strategy, only: Option<&str>) -> Result<Vec<Combination>, BadInput> {
    let all = full(&spec.spec, &values::flags());
    let mut chosen = match strategy {
        Strategy::Full => all,
        Strategy::Pairwise => pairwise(&all),
    };
    chosen.extend(scenarios(spec)?);
    if let Some(pattern) = only {
        let regex = regex::Regex::new(&format!("^{}$", regex::escape(pattern).replace(r"\*", ".*"))).expect("an escaped glob is a valid pattern");
        chosen.retain(|c| regex.is_match(&c.id));
    }
    Ok(chosen)
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
    Combination { id, flags, scenario: None }
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
/// pass with `-f`: the spec's `check.values`, then the scenario file or the flags.
pub fn user_tree(spec: &LoadedSpec, combination: &Combination) -> Result<Node, BadInput> {
    let mut tree = spec.tree.get("check.values").cloned().unwrap_or_else(|| Node::empty_map(Origin::Default));
    if let Some(path) = &combination.scenario {
        values::merge_maps(&mut tree, crate::source::load_place(path)?);
        return Ok(tree);
    }
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
    Ok(tree)
}

/// The checked values of a combination.
pub fn values(spec: &LoadedSpec, combination: &Combination) -> Result<LoadedValues, BadInput> {
    values::from_user_tree_over(&spec.spec, user_tree(spec, combination)?, spec.defaults().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_whose_dependency_fails_is_not_varied() {
        let combinations = full(&crate::spec::load(None).unwrap().spec, &values::flags());
        // postgresql: enabled (auth.create 2 ways) or not = 3; backup: off, or (s3, pvc with create 2 ways)
        // with verify 2 ways = 1 + 3 * 2 = 7; viaHook 2; rules 2; network policies 2.
        assert_eq!(combinations.len(), 3 * 7 * 2 * 2 * 2);
        assert!(combinations.iter().all(|c| c.flags.get("backup.enabled") == Some(&true.into()) || !c.flags.contains_key("backup.sink")));
    }

    #[test]
    fn pairwise_covers_every_pair_with_fewer_combinations() {
        let all = full(&crate::spec::load(None).unwrap().spec, &values::flags());
        let chosen = pairwise(&all);
        assert!(chosen.len() < all.len() / 3, "{} of {}", chosen.len(), all.len());
        let pairs = |c: &Combination| {
            let items: Vec<String> = c.flags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            items.iter().enumerate().flat_map(|(i, a)| items[i + 1..].iter().map(move |b| (a.clone(), b.clone()))).collect::<Vec<_>>()
        };
        let needed: BTreeSet<_> = all.iter().flat_map(pairs).collect();
        let covered: BTreeSet<_> = chosen.iter().flat_map(pairs).collect();
        assert_eq!(needed, covered);
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
