//! chartgen's own renderer: its templates in native mode, for one spec.
//!
//! A check renders many values sets that differ mostly in their flags, so
//! each template's documents are kept by what its output depends on: the
//! values of the flags it reads, and everything else in the values. A
//! combination re-renders only the templates whose flags it changes.

use std::hash::BuildHasher;

use rayon::prelude::*;

use super::templates::Templates;
use super::{install_order, Location, Release, Renderer};
use crate::diagnostic::BadInput;
use crate::extract::Manifest;
use crate::memo::Memo;
use crate::spec::Spec;
use crate::values::flags::{model_flags, ValuePath};
use crate::values::Values;

/// A template (by index), the values of the flags it reads, and a digest of
/// every other value and of the release.
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
        let spec = minijinja::Value::from(minijinja::value::Serde(spec));
        let index = |path: ValuePath| model_flags().iter().position(|flag| flag.path == path).expect("templates read the model's flags");
        // Templates are explored side by side; the partials they share, once per thread.
        let reads = templates
            .template_names()
            .par_iter()
            .map_init(super::explore::PartialReads::default, |known, name| {
                Ok((name.clone(), super::explore::flags_read(&templates, &spec, name, known)?.into_iter().map(index).collect()))
            })
            .collect::<Result<_, BadInput>>()?;
        Ok(Native { templates, spec, reads, rendered: Memo::default() })
    }

    pub fn templates(&self) -> &Templates {
        &self.templates
    }
}

impl Renderer for Native {
    fn render(&self, typed: &Values, values: &serde_json::Value, without_flags: u64, release: &Release) -> Result<Vec<Manifest>, BadInput> {
        let rest = crate::extract::DIGEST.hash_one((without_flags, release));
        let flag_values: Vec<&serde_json::Value> = model_flags().iter().map(|flag| flag.path.lookup(values)).collect();
        // The values as the templates read them, made once, when the first template is rendered.
        let values_read = std::cell::OnceCell::new();
        let values = || values_read.get_or_init(|| minijinja::Value::from(minijinja::value::Serde(typed)));
        let mut manifests = Vec::new();
        for (index, (name, flags)) in self.reads.iter().enumerate() {
            let key = (index, flags.iter().map(|flag| flag_values[*flag].clone()).collect(), rest);
            manifests.extend(self.rendered.try_get_or(key, || self.templates.render_template(name, &self.spec, values(), release))?);
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
