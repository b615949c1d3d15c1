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

/// String leaves of the values that could be recognised in a script (four
/// characters or more, and twelve or more when they are one plain word, like
/// `database`, which is also a word of the scripts' messages), with their
/// dotted paths; the names of keys inside Secrets are left out.
fn strings<'a>(value: &'a serde_json::Value, path: &mut Vec<String>, out: &mut Vec<(String, &'a str)>) {
    match value {
        serde_json::Value::String(text) if !path.last().is_some_and(|key| key.ends_with("Key")) => {
            let length = text.chars().count();
            if length >= 4 && (length >= 12 || !text.chars().all(|c| c.is_ascii_alphabetic())) {
                out.push((path.join("."), text));
            }
        }
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
            path.push(k.clone());
            strings(v, path, out);
            path.pop();
        }),
        serde_json::Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
            let last = path.pop().unwrap_or_default();
            path.push(format!("{last}[{i}]"));
            strings(v, path, out);
            path.pop();
            path.push(last);
        }),
        _ => {}
    }
}

/// Compares against the values, which differ between renderings of one
/// document, so it looks at the whole rendering rather than at each script.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    let mut values = Vec::new();
    strings(subject.values_tree, &mut Vec::new(), &mut values);
    for script in scripts(subject.manifests) {
        for (path, value) in &values {
            if script.text.contains(value) {
                out.push(Violation::at(script.container.document, script.pointer.clone(), format!("the value of `{path}` ({value:?}) is pasted into the script; pass it in an environment variable")));
            }
        }
    }
}
