//! CG000: a suppression says why the rule does not apply.

use crate::codes::RuleCode;
use crate::extract::{escape, Manifest};
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target, SUPPRESS_PREFIX};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG000,
        severity: Severity::Error,
        checks: "Every `chartgen/ignore-<CODE>` annotation, which suppresses rule CODE on its object, gives a reason as its \
                 value. A suppression without a reason suppresses nothing.",
        why: "A suppression is a decision that a rule does not apply to one object; without the reason the next reader cannot \
              tell a considered exception from a silenced warning, nor when it stops being true.",
    },
    target: Target::Documents { kinds: &[], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    let Some(annotations) = manifest.object["metadata"]["annotations"].as_object() else { return };
    for (key, reason) in annotations {
        let Some(code) = key.strip_prefix(SUPPRESS_PREFIX) else { continue };
        if reason.as_str().is_none_or(|r| r.trim().is_empty()) {
            out.add(format!("/metadata/annotations/{}", escape(key)), format!("the suppression of {code} gives no reason; say why the rule does not apply here"));
        }
    }
}
