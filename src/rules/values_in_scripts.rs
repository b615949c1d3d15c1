//! CG302: no value is pasted into a script.

use crate::extract::{containers, script};
use super::{Example, Rule, RuleDoc, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: ValuesInScriptsRule = ValuesInScriptsRule;

pub struct ValuesInScriptsRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG302,
    severity: Severity::Error,
    checks: "No string of the values appears verbatim inside a container's shell script. Only strings that cannot be an \
             ordinary word of the script are compared: four characters or more, with a digit, a symbol or at least twelve \
             letters; the names of keys inside Secrets are not. Scripts read values from environment variables.",
    why: "A value pasted into a script is code: a bucket named `x\"; rm -rf / #` runs, a password with a `$` expands, a \
          quote ends the string. Through an environment variable the same value is inert data.",
    bad: Example {
        values: "backup:\n  s3:\n    bucket: acme-db-dumps\n",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: upload\nspec:\n  template:\n    spec:\n      containers:\n        - name: upload\n          image: amazon/aws-cli:2.22.35\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - aws s3 cp /staging/db.dump s3://acme-db-dumps/db.dump\n",
    },
    good: Example {
        values: "backup:\n  s3:\n    bucket: acme-db-dumps\n",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: upload\nspec:\n  template:\n    spec:\n      containers:\n        - name: upload\n          image: amazon/aws-cli:2.22.35\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - aws s3 cp /staging/db.dump \"s3://$S3_BUCKET/db.dump\"\n          env:\n            - name: S3_BUCKET\n              value: acme-db-dumps\n",
    },
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

impl Rule for ValuesInScriptsRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        let mut values = Vec::new();
        strings(subject.values_tree, &mut Vec::new(), &mut values);
        for container in containers(subject.manifests) {
            let Some((text, pointer)) = script(&container) else { continue };
            for (path, value) in &values {
                if text.contains(value) {
                    out.push(Violation::at(container.document, pointer.clone(), format!("the value of `{path}` ({value:?}) is pasted into the script; pass it in an environment variable")));
                }
            }
        }
    }
}
