//! Which flags a template's output depends on, found by rendering it in
//! helm mode: a rendering that reads a flag the assignment leaves open
//! branches on that flag, one arm per value, so a template that never looks
//! at `backup.sink` once `backup.enabled` is false is rendered once for
//! that case. The chart compiler merges the arms into one Go template; the
//! native renderer keys its cache by the flags found.

use std::collections::{BTreeMap, BTreeSet};

use super::templates::{HelmRendering, Templates};
use crate::diagnostic::BadInput;
use crate::values::flags::{model_flags, Assignment, Flag, ValuePath};

/// The renderings of one template, as a decision tree over the flags it reads.
pub enum Variants {
    Text(String),
    Branch { flag: Flag, arms: Vec<Variants> },
}

impl Variants {
    /// The flags the tree branches on.
    pub fn flags(&self) -> BTreeSet<ValuePath> {
        match self {
            Variants::Text(_) => BTreeSet::new(),
            Variants::Branch { flag, arms } => std::iter::once(flag.path.clone()).chain(arms.iter().flat_map(Variants::flags)).collect(),
        }
    }

    /// Every leaf's text.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            Variants::Text(text) => vec![text.as_str()],
            Variants::Branch { arms, .. } => arms.iter().flat_map(Variants::texts).collect(),
        }
    }
}

/// Renders every variant, branching on each flag a rendering reads before
/// the assignment fixes it; collects the partials the renderings include.
pub fn explore(
    assignment: &Assignment,
    render: &dyn Fn(&Assignment) -> Result<HelmRendering, BadInput>,
    partials: &mut BTreeMap<String, usize>,
) -> Result<Variants, BadInput> {
    let rendering = render(assignment)?;
    let Some(open) = rendering.unassigned else {
        partials.extend(rendering.partials);
        return Ok(Variants::Text(rendering.text));
    };
    let flag = model_flags().iter().find(|f| f.path == open).expect("only flags are reported open").clone();
    let mut arms = Vec::new();
    for value in &flag.domain {
        arms.push(explore(&assignment.with(&flag.path, value), render, partials)?);
    }
    Ok(Variants::Branch { flag, arms })
}

/// What exploring each partial found: the flags it branches on and the
/// partials it includes, kept across templates, which share partials.
#[derive(Default)]
pub struct PartialReads(BTreeMap<String, (BTreeSet<ValuePath>, BTreeMap<String, usize>)>);

/// Every flag a template's output can depend on: those it branches on and
/// those of the partials it includes, transitively. Two values sets that
/// agree on these flags, and hold the same values besides the flags, render
/// the template alike.
pub fn flags_read(templates: &Templates, spec: &minijinja::Value, name: &str, known: &mut PartialReads) -> Result<BTreeSet<ValuePath>, BadInput> {
    let mut partials = BTreeMap::new();
    let variants = explore(&Assignment::new(), &|a: &Assignment| templates.render_helm(name, spec, a), &mut partials)?;
    let mut read = variants.flags();
    let mut seen = BTreeSet::new();
    let mut pending: Vec<(String, usize)> = partials.into_iter().collect();
    while let Some((macro_name, arity)) = pending.pop() {
        if !seen.insert(macro_name.clone()) {
            continue;
        }
        if !known.0.contains_key(&macro_name) {
            let mut inner = BTreeMap::new();
            let variants = explore(&Assignment::new(), &|a: &Assignment| templates.render_helm_partial(&macro_name, arity, spec, a), &mut inner)?;
            known.0.insert(macro_name.clone(), (variants.flags(), inner));
        }
        let (flags, inner) = &known.0[&macro_name];
        read.extend(flags.iter().cloned());
        pending.extend(inner.iter().map(|(name, arity)| (name.clone(), *arity)));
    }
    Ok(read)
}
