//! CG301: credentials reach containers only from Secrets.

use crate::codes::RuleCode;
use crate::extract::Container;
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG301,
        severity: Severity::Error,
        checks: "An environment variable whose name says it holds a credential (`PASSWORD`, `SECRET`, `TOKEN`, `ACCESS_KEY`, \
                 `PRIVATE_KEY`, `CREDENTIAL`) takes its value from a Secret (`valueFrom.secretKeyRef`), never a literal `value:` \
                 or a ConfigMap.",
        why: "A literal lands in the manifest, in `helm get manifest`, in the release Secret's history and in every CI log \
              that renders the chart; a ConfigMap is readable by anyone who may read the namespace's configuration.",
    },
    target: Target::Containers(check),
};

const CREDENTIAL_WORDS: [&str; 6] = ["PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL"];

fn check(container: &Container<'_>, _: &Spec, out: &mut Problems) {
    for (i, env) in container.value["env"].as_array().into_iter().flatten().enumerate() {
        let name = env["name"].as_str().unwrap_or_default();
        if CREDENTIAL_WORDS.iter().any(|w| name.to_uppercase().contains(w)) && env["valueFrom"]["secretKeyRef"].is_null() {
            out.add(format!("{}/env/{i}", container.pointer), format!("`{name}` holds a credential but does not come from a Secret; use valueFrom.secretKeyRef"));
        }
    }
}
