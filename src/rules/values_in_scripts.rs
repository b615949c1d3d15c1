//! CG302: no value is pasted into a script.

use std::hash::BuildHasher;

use crate::codes::RuleCode;
use crate::extract::{digest, scripts, ByDigest, DIGEST};
use crate::memo::DOCUMENTS_KEPT;
use super::{Rule, RuleDoc, Severity, Subject, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG302,
        severity: Severity::Error,
        checks: "No string of the values appears verbatim inside a container's shell script. Only strings that cannot be an \
                 ordinary word of the script are compared: four characters or more, with a digit, a symbol or at least twelve \
                 letters; the names of keys inside Secrets are not. Scripts read values from environment variables.",
        why: "A value pasted into a script is code: a bucket named `x\"; rm -rf / #` runs, a password with a `$` expands, a \
              quote ends the string. Through an environment variable the same value is inert data.",
    },
    target: Target::Rendering(check),
};

/// Whether a string of the values could be recognised in a script: four
/// characters or more, and twelve or more when it is one plain word, like
/// `database`, which is also a word of the scripts' messages.
fn recognisable(text: &str) -> bool {
    let length = text.chars().count();
    length >= 4 && (length >= 12 || !text.chars().all(|c| c.is_ascii_alphabetic()))
}

/// One step to a leaf of the values, borrowed from them: most leaves are
/// never named in a message.
#[derive(Clone, Copy, Hash)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A path as messages write it: `backup.s3.bucket`, `extraEnv[2].value`.
fn dotted(path: &[Step<'_>]) -> String {
    let steps: Vec<crate::de::Step> = path
        .iter()
        .map(|step| match step {
            Step::Key(key) => crate::de::Step::Key(key.to_string()),
            Step::Index(i) => crate::de::Step::Index(*i),
        })
        .collect();
    crate::de::display_path(&steps)
}

/// The string leaves of the values with the path of each; the names of
/// keys inside Secrets are left out.
fn leaves<'a>(value: &'a serde_json::Value, path: &mut Vec<Step<'a>>, found: &mut dyn FnMut(&[Step<'a>], &'a str)) {
    match value {
        serde_json::Value::String(text) if !matches!(path.last(), Some(Step::Key(key)) if key.ends_with("Key")) => found(path, text),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            path.push(Step::Key(k));
            leaves(v, path, found);
            path.pop();
        }),
        serde_json::Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            path.push(Step::Index(i));
            leaves(v, path, found);
            path.pop();
        }),
        _ => {}
    }
}

/// Which recognisable strings of the values (by index) each script contains,
/// by the digests of the script and of the strings with their paths: most
/// renderings share both, and searching every script for every string is
/// most of this rule's cost.
static FOUND: ByDigest<(u64, u64), Vec<usize>> = ByDigest::new(DOCUMENTS_KEPT);

/// Compares against the values, which differ between renderings of one
/// document, so it looks at the whole rendering rather than at each script.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    let scripts = scripts(subject.manifests);
    if scripts.is_empty() {
        return;
    }
    let mut strings: Vec<(Vec<Step<'_>>, &str)> = Vec::new();
    leaves(subject.values_tree, &mut Vec::new(), &mut |path, text| {
        if recognisable(text) {
            strings.push((path.to_vec(), text));
        }
    });
    let strings_digest = DIGEST.hash_one(&strings);
    for script in &scripts {
        let key = (digest(&script.text), strings_digest);
        let found = FOUND.get_or(key, || strings.iter().enumerate().filter(|(_, (_, text))| script.text.contains(text)).map(|(i, _)| i).collect());
        for (path, value) in found.into_iter().map(|i| &strings[i]) {
            out.push(Violation::at(
                script.container.document,
                script.pointer.clone(),
                format!("the value of `{}` ({value:?}) is pasted into the script; pass it in an environment variable", dotted(path)),
            ));
        }
    }
}
