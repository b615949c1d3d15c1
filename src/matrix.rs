//! The matrix: which flag combinations to check, and the values of each.
//!
//! The axes are the flags of the values model with their domains and
//! dependencies. A flag whose dependency does not hold is left out of a
//! combination (it keeps its default and changes nothing), so combinations
//! a dependency makes identical are never generated twice. `full` takes
//! every remaining combination; `pairwise` a small set that still covers
//! every pair of axis values that can occur together. Each combination's
//! values are the spec's `check.values` with the flags set on top.

use std::collections::BTreeSet;

use crate::diagnostic::{BadInput, Origin};
use crate::place::Place;
use crate::source::Node;
use crate::spec::{LoadedSpec, Spec};
use crate::values::flags::{flag_defaults, model_flags, Flag, FlagValue};
use crate::values::{self, LoadedValues};

pub use crate::values::flags::Assignment;

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
        self.flags.describe()
    }
}

/// How combinations are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Strategy {
    /// Every combination the dependencies between flags leave distinct.
    #[default]
    Full,
    /// Few combinations that cover every pair of flag values.
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

/// A pairwise set built without listing the full matrix, for flags too
/// many to enumerate: each new combination starts from a pair not yet
/// covered (with what its flags need), then gives every other flag that
/// applies the value that covers the most new pairs (the default on a tie).
/// A pair is coverable when what its two flags need does not conflict.
pub fn pairwise_over(flags: &[Flag], defaults: &Assignment) -> Vec<Combination> {
    if flags.is_empty() {
        return vec![combination(flags, defaults, Assignment::new())];
    }
    // Sets (flag = value) with what it needs (the dependencies, transitively,
    // each at a value it allows, and what the value itself needs), or says it conflicts.
    fn settle(flags: &[Flag], flag: &Flag, value: &FlagValue, into: &mut Assignment, depth: usize) -> bool {
        if depth > flags.len() {
            return false;
        }
        match into.get(&flag.path) {
            Some(existing) if existing != value => return false,
            Some(_) => {}
            None => into.insert(flag.path.clone(), value.clone()),
        }
        for (own, path, needed) in &flag.value_requires {
            if own == value && !flags.iter().find(|f| f.path == *path).is_some_and(|f| settle(flags, f, needed, into, depth + 1)) {
                return false;
            }
        }
        let Some((path, allowed)) = &flag.requires else { return true };
        let Some(owner) = flags.iter().find(|f| f.path == *path) else { return false };
        let value = match into.get(path) {
            Some(existing) if allowed.contains(existing) => existing.clone(),
            Some(_) => return false,
            None => match allowed.first() {
                Some(first) => first.clone(),
                None => return false,
            },
        };
        settle(flags, owner, &value, into, depth + 1)
    }
    let pair_seed = |(f, a): (&Flag, &FlagValue), (g, b): (&Flag, &FlagValue)| -> Option<Assignment> {
        // Each order once: the one set first decides a dependency both share.
        [((f, a), (g, b)), ((g, b), (f, a))].into_iter().find_map(|((x, v), (y, w))| {
            let mut seed = Assignment::new();
            (settle(flags, x, v, &mut seed, 0) && settle(flags, y, w, &mut seed, 0)).then_some(seed)
        })
    };
    type Item = (usize, FlagValue);
    let mut uncovered: BTreeSet<(Item, Item)> = BTreeSet::new();
    let mut seeds: std::collections::BTreeMap<(Item, Item), Assignment> = std::collections::BTreeMap::new();
    for (i, f) in flags.iter().enumerate() {
        for (j, g) in flags.iter().enumerate().skip(i + 1) {
            for a in &f.domain {
                for b in &g.domain {
                    if let Some(both) = pair_seed((f, a), (g, b)) {
                        let pair = ((i, a.clone()), (j, b.clone()));
                        uncovered.insert(pair.clone());
                        seeds.insert(pair, both);
                    }
                }
            }
        }
    }
    let mut chosen: Vec<Assignment> = Vec::new();
    if let [only] = flags {
        chosen = only.domain.iter().filter_map(|v| Some(v).filter(|v| settle(flags, only, v, &mut Assignment::new(), 0)).map(|v| Assignment::from_iter([(only.path.clone(), v.clone())]))).collect();
    }
    while let Some(seed) = uncovered.iter().next().cloned() {
        let mut assignment = seeds[&seed].clone();
        for (index, flag) in flags.iter().enumerate() {
            if assignment.get(&flag.path).is_some() || !flag.applies(&assignment) {
                continue;
            }
            let gain = |value: &FlagValue| {
                flags[..index]
                    .iter()
                    .enumerate()
                    .filter_map(|(other, f)| Some(((other, assignment.get(&f.path)?.clone()), (index, value.clone()))))
                    .filter(|pair| uncovered.contains(pair))
                    .count()
            };
            let best = flag.valid_values(&assignment).enumerate().max_by_key(|(position, value)| (gain(value), std::cmp::Reverse(*position))).map(|(_, v)| v.clone());
            if let Some(value) = best {
                assignment.insert(flag.path.clone(), value);
            }
        }
        // A flag set by a seed whose own dependency came out unmet is dropped, as the full matrix would.
        let assignment: Assignment = Assignment::of_tree(flags, &assignment.to_tree());
        let items: Vec<Item> = flags.iter().enumerate().filter_map(|(i, f)| Some((i, assignment.get(&f.path)?.clone()))).collect();
        for (x, a) in items.iter().enumerate() {
            for b in &items[x + 1..] {
                uncovered.remove(&(a.clone(), b.clone()));
            }
        }
        uncovered.remove(&seed);
        chosen.push(assignment);
    }
    chosen.sort();
    chosen.dedup();
    chosen.into_iter().map(|assignment| combination(flags, defaults, assignment)).collect()
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
        combination.flags = Assignment::of_tree(model_flags(), &loaded.json);
        out.push(combination);
    }
    Ok(out)
}

/// The combinations a check runs: the strategy's, then the scenarios,
/// keeping those whose id matches `only` (a glob: `*` matches anything).
pub fn select(spec: &LoadedSpec, strategy: Strategy, only: Option<&str>) -> Result<Vec<Combination>, BadInput> {
    let all = full(&spec.spec, model_flags());
    let mut chosen = match strategy {
        Strategy::Full => all,
        Strategy::Pairwise => pairwise(&all),
    };
    chosen.extend(scenarios(spec)?);
    if let Some(pattern) = only {
        retain_matching(&mut chosen, pattern);
    }
    Ok(chosen)
}

/// Keeps the combinations whose id matches a glob (`*` matches anything).
pub fn retain_matching(combinations: &mut Vec<Combination>, pattern: &str) {
    let regex = regex::Regex::new(&format!("^{}$", regex::escape(pattern).replace(r"\*", ".*"))).expect("an escaped glob is a valid pattern");
    combinations.retain(|c| regex.is_match(&c.id));
}

/// Every combination of the values model's flags, with flags whose dependency fails left out.
pub fn full(spec: &Spec, flags: &[Flag]) -> Vec<Combination> {
    full_over(flags, &flag_defaults(spec))
}

/// Every combination of `flags`, whose ids name what differs from `defaults`.
pub fn full_over(flags: &[Flag], defaults: &Assignment) -> Vec<Combination> {
    full_within(flags, defaults, usize::MAX).expect("no limit")
}

/// [`full_over`], or `None` when there are more than `limit` combinations
/// (found out without listing more than `limit` times a flag's values).
pub fn full_within(flags: &[Flag], defaults: &Assignment, limit: usize) -> Option<Vec<Combination>> {
    let mut assignments = vec![Assignment::new()];
    for flag in flags {
        assignments = assignments
            .into_iter()
            .flat_map(|partial| {
                if !flag.applies(&partial) {
                    return vec![partial];
                }
                flag.valid_values(&partial).map(|value| partial.with(&flag.path, value)).collect()
            })
            .collect();
        if assignments.len() > limit {
            return None;
        }
    }
    Some(assignments.into_iter().map(|assignment| combination(flags, defaults, assignment)).collect())
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
fn token(flag: &Flag, value: &FlagValue) -> String {
    let keys = flag.path.keys();
    let name = match keys {
        [.., owner, last] if last == "enabled" => owner.clone(),
        [.., owner, last] => format!("{owner}-{last}"),
        [only] => only.clone(),
        [] => String::new(),
    };
    match value {
        FlagValue::Bool(true) => name,
        FlagValue::Bool(false) => format!("no-{name}"),
        FlagValue::Choice(text) if text.is_empty() => format!("no-{}", keys.last().map(String::as_str).unwrap_or_default()),
        FlagValue::Choice(text) => format!("{}-{text}", keys.last().map(String::as_str).unwrap_or_default()),
    }
}

/// The values a combination is rendered with, as the tree a user would
/// pass with `-f`: the spec's `check.values`, then the scenario file or the flags.
pub fn user_tree(spec: &LoadedSpec, combination: &Combination) -> Result<Node, BadInput> {
    let mut tree = check_values(spec);
    if let Some(path) = &combination.scenario {
        crate::source::merge_maps(&mut tree, crate::source::load_place(path)?);
        return Ok(tree);
    }
    crate::source::merge_maps(&mut tree, Node::from_json(&combination.flags.to_tree(), &Origin::Default));
    Ok(tree)
}

/// The spec's `check.values`: what every combination's values start from.
pub fn check_values(spec: &LoadedSpec) -> Node {
    spec.tree.get("check.values").cloned().unwrap_or_else(|| Node::empty_map(Origin::Default))
}

/// The checked values of a combination.
pub fn values(spec: &LoadedSpec, combination: &Combination) -> Result<LoadedValues, BadInput> {
    values::from_user_tree(&spec.spec, user_tree(spec, combination)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_whose_dependency_fails_is_not_varied() {
        let combinations = full(&crate::spec::load(None).unwrap().spec, model_flags());
        // postgresql: off, or a StatefulSet or CloudNativePG with auth.create 2 ways = 1 + 2 + 2.
        // Backups for any database: off, or dump to s3 or pvc (create 2 ways) with verify 2 ways = 1 + 3 * 2 = 7;
        // with CloudNativePG also barman: tier pitr (recovery 2 ways) or daily, each with integration 2 ways,
        // or none, which archives nothing, so the integration is not varied = 2 * (2 + 1) + 1 = 7, with
        // verify 2 ways (a flag depends on one other, so it varies under tier none too, to no effect) = 14.
        // viaHook 2; rules 2; network policies 2; Velero 2.
        assert_eq!(combinations.len(), ((1 + 2) * 7 + 2 * (7 + 14)) * 2 * 2 * 2 * 2);
        let (enabled, sink) = (crate::values::flags::ValuePath::parse("backup.enabled"), crate::values::flags::ValuePath::parse("backup.sink"));
        assert!(combinations.iter().all(|c| c.flags.get(&enabled) == Some(&true.into()) || c.flags.get(&sink).is_none()));
    }

    #[test]
    fn pairwise_covers_every_pair_with_fewer_combinations() {
        let all = full(&crate::spec::load(None).unwrap().spec, model_flags());
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
    fn pairwise_built_without_the_full_matrix_still_covers_every_pair_that_occurs() {
        let spec = crate::spec::load(None).unwrap();
        let pairs = |c: &Combination| {
            let items: Vec<String> = c.flags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            items.iter().enumerate().flat_map(|(i, a)| items[i + 1..].iter().map(move |b| (a.clone(), b.clone()))).collect::<Vec<_>>()
        };
        // The model's flags: dependencies on one value and on several, and a value that needs another flag's.
        let all = full(&spec.spec, model_flags());
        let chosen = pairwise_over(model_flags(), &flag_defaults(&spec.spec));
        let needed: BTreeSet<_> = all.iter().flat_map(pairs).collect();
        let covered: BTreeSet<_> = chosen.iter().flat_map(pairs).collect();
        assert_eq!(needed.difference(&covered).collect::<Vec<_>>(), Vec::<&(String, String)>::new());
        assert!(chosen.iter().all(|c| all.iter().any(|a| a.flags == c.flags)), "every chosen combination is one of the full matrix");
        assert!(chosen.len() < all.len() / 10, "{} of {}", chosen.len(), all.len());
        assert_eq!(pairwise_over(&[], &Assignment::new()).len(), 1, "no flags: the defaults");
    }

    #[test]
    fn flags_set_over_the_check_values_read_as_the_whole_merged_tree_reads() {
        let ledger = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/specs/ledger.yaml"));
        for spec in [crate::spec::load(None).unwrap(), crate::spec::load(Some(ledger)).unwrap()] {
            let base = values::MatrixBase::new(values::from_user_tree(&spec.spec, check_values(&spec)).unwrap());
            for combination in full(&spec.spec, model_flags()) {
                let whole = values(&spec, &combination).unwrap();
                assert_eq!(base.with_flags(&spec.spec, &combination.flags), Some((whole.values, whole.json)), "{}", combination.id);
            }
        }
    }

    #[test]
    fn flags_that_fail_the_checks_are_left_to_the_located_reading() {
        let spec = crate::spec::load(None).unwrap();
        let base = values::MatrixBase::new(values::from_user_tree(&spec.spec, check_values(&spec)).unwrap());
        let mut flags = Assignment::new();
        flags.insert(crate::values::flags::ValuePath::parse("backup.enabled"), true.into());
        flags.insert(crate::values::flags::ValuePath::parse("backup.method"), FlagValue::Choice("barman".into()));
        assert_eq!(base.with_flags(&spec.spec, &flags), None);
        let combination = Combination { flags, ..full(&spec.spec, model_flags()).remove(0) };
        assert!(values(&spec, &combination).is_err());
    }

    #[test]
    fn ids_are_unique_and_name_what_differs_from_the_defaults() {
        let combinations = full(&crate::spec::load(None).unwrap().spec, model_flags());
        let ids: std::collections::BTreeSet<&str> = combinations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), combinations.len());
        assert!(ids.contains("defaults"));
        assert!(ids.contains("backup+sink-s3"), "{ids:?}");
        assert!(ids.contains("no-postgresql"), "{ids:?}");
    }
}
