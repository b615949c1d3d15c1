//! CG302: no value is pasted into a script.

use crate::codes::RuleCode;
use crate::extract::scripts;
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

/// The string leaves of the values with the dotted path of each; the names
/// of keys inside Secrets are left out.
fn leaves<'a>(value: &'a serde_json::Value, path: &mut Vec<String>, found: &mut dyn FnMut(&[String], &'a str)) {
    match value {
        serde_json::Value::String(text) if !path.last().is_some_and(|key| key.ends_with("Key")) => found(path, text),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            path.push(k.clone());
            leaves(v, path, found);
            path.pop();
        }),
        serde_json::Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let last = path.pop().unwrap_or_default();
            path.push(format!("{last}[{i}]"));
            leaves(v, path, found);
            path.pop();
            path.push(last);
        }),
        _ => {}
    }
}

/// Compares against the values, which differ between renderings of one
/// document, so it looks at the whole rendering rather than at each script.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    let scripts = scripts(subject.manifests);
    let mut pasted = Vec::new();
    leaves(subject.values_tree, &mut Vec::new(), &mut |path, text| {
        if recognisable(text) {
            for (index, script) in scripts.iter().enumerate().filter(|(_, script)| script.text.contains(text)) {
                pasted.push((index, script, path.join("."), text));
            }
        }
    });
    // Script by script, as the scripts come.
    pasted.sort_by_key(|(index, ..)| *index);
    for (_, script, path, value) in pasted {
        out.push(Violation::at(script.container.document, script.pointer.clone(), format!("the value of `{path}` ({value:?}) is pasted into the script; pass it in an environment variable")));
    }
}
