//! chartgen's own renderer: its templates in native mode, for one spec.
//!
//! A check renders many values sets that differ mostly in their flags, so
//! each template's documents are kept by what its output depends on: the
//! values of the flags it reads, and everything else in the values. A
//! combination re-renders only the templates whose flags it changes.

use std::hash::{BuildHasher, Hash, Hasher};

use super::templates::Templates;
use super::{install_order, Location, Release, Renderer};
use crate::diagnostic::BadInput;
use crate::extract::Manifest;
use crate::memo::Memo;
use crate::spec::Spec;
use crate::values::flags::{model_flags, ValuePath};
use crate::values::Values;

/// A template (by index), the values of the flags it reads, and a digest of
/// every other value and the release.
type Key = (usize, Vec<serde_json::Value>, u64);

pub struct Native {
    templates: Templates,
    /// The spec as the templates read it.
    spec: minijinja::Value,
    /// Each template's name, with the flags its output depends on (by index in [`model_flags`]).
    reads: Vec<(String, Vec<usize>)>,
    rendered: Memo<Key, Vec<Manifest>, foldhash::fast::RandomState>,
}

impl Native {
    pub fn new(templates: Templates, spec: &Spec) -> Result<Native, BadInput> {
        let mut known = super::explore::PartialReads::default();
        let index = |path: ValuePath| model_flags().iter().position(|flag| flag.path == path).expect("templates read the model's flags");
        let reads = templates
            .template_names()
            .iter()
            .map(|name| Ok((name.clone(), super::explore::flags_read(&templates, spec, name, &mut known)?.into_iter().map(index).collect())))
            .collect::<Result<_, BadInput>>()?;
        Ok(Native { templates, spec: minijinja::Value::from(minijinja::value::Serde(spec)), reads, rendered: Memo::default() })
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }
}

/// A digest of a values tree without its flags, and of the release.
fn rest_digest(values: &serde_json::Value, release: &Release) -> u64 {
    /// Hashes `node`, whose key path is `path`, skipping the flags; `flags`
    /// are the flag paths still under `path`, so most keys are told apart
    /// from flags without comparing whole paths.
    fn walk<'a>(node: &'a serde_json::Value, path: &mut Vec<&'a str>, flags: &[&'static [String]], hasher: &mut impl Hasher) {
        match node {
            serde_json::Value::Object(map) => {
                for (key, child) in map {
                    path.push(key);
                    let depth = path.len();
                    let leads_to_flag = |f: &&'static [String]| f.len() >= depth && f[depth - 1] == *key;
                    // Most keys lead to no flag: then nothing is collected, and nothing allocated.
                    let under: Vec<&'static [String]> =
                        if flags.iter().any(leads_to_flag) { flags.iter().copied().filter(leads_to_flag).collect() } else { Vec::new() };
                    if !under.iter().any(|f| f.len() == path.len()) {
                        key.hash(hasher);
                        walk(child, path, &under, hasher);
                    }
                    path.pop();
                }
            }
            leaf => {
                // The kind first, so that the string "1" and the number 1 differ.
                std::mem::discriminant(leaf).hash(hasher);
                match leaf {
                    serde_json::Value::String(text) => text.hash(hasher),
                    other => other.to_string().hash(hasher),
                }
            }
        }
    }
    let flags: Vec<&'static [String]> = model_flags().iter().map(|f| f.path.keys()).collect();
    let mut hasher = crate::extract::DIGEST.build_hasher();
    walk(values, &mut Vec::new(), &flags, &mut hasher);
    release.hash(&mut hasher);
    hasher.finish()
}

impl Renderer for Native {
    fn render(&self, typed: &Values, values: &serde_json::Value, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        let rest = rest_digest(values, release);
        let flag_values: Vec<&serde_json::Value> = model_flags().iter().map(|flag| flag.path.lookup(values)).collect();
        let mut manifests = Vec::new();
        for (index, (name, flags)) in self.reads.iter().enumerate() {
            let key = (index, flags.iter().map(|flag| flag_values[*flag].clone()).collect(), rest);
            manifests.extend(self.rendered.try_get_or(key, || self.templates.render_template(name, &self.spec, typed, release))?);
        }
        install_order(&mut manifests);
        Ok(manifests)
    }
}

impl super::Locate for Native {
    fn locate(&self, manifest: &Manifest, keys: &[String]) -> Option<Location> {
        let name = format!("{}.j2", manifest.source.trim_start_matches("templates/"));
        let text = self.templates.source(&name)?;
        let line = super::field_line(text, keys);
        Some(Location { file: self.templates.template_place(&name)?.to_string(), line })
    }
}
