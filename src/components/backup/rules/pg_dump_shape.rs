//! CG104: every pg_dump writes the chart's canonical dump.

use crate::codes::RuleCode;
use crate::extract::Script;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::shell::missing_options;
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG104,
        severity: Severity::Error,
        checks: "Every `pg_dump` a container script runs has `--format=custom`, `--no-owner` and `--no-acl` (or their short \
                 forms `-Fc`, `-O`, `-x`).",
        why: "The restore procedure, the verify job and `pg_restore --list` all expect the custom format; a plain SQL dump \
              cannot be listed, restored in parallel or restored selectively. Owners and grants name roles of the source \
              cluster, which a restore into a fresh database does not have.",
    },
    target: Target::Scripts(check),
};

fn check(script: &Script<'_>, _: &Spec, out: &mut Problems) {
    for line in script.text.lines().filter(|l| l.split_whitespace().any(|w| w == "pg_dump")) {
        let missing = missing_options(line);
        if !missing.is_empty() {
            out.add(script.pointer.clone(), format!("`{}` lacks {}", line.trim(), missing.join(", ")));
        }
    }
}
