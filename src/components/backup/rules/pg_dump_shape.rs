//! CG104: every pg_dump writes the chart's canonical dump.

use crate::extract::{containers, script};
use crate::shell::missing_options;
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: PgDumpShapeRule = PgDumpShapeRule;

pub struct PgDumpShapeRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG104,
    severity: Severity::Error,
    checks: "Every `pg_dump` a container script runs has `--format=custom`, `--no-owner` and `--no-acl` (or their short \
             forms `-Fc`, `-O`, `-x`).",
    why: "The restore procedure, the verify job and `pg_restore --list` all expect the custom format; a plain SQL dump \
          cannot be listed, restored in parallel or restored selectively. Owners and grants name roles of the source \
          cluster, which a restore into a fresh database does not have.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - pg_dump --file=/backups/db.sql\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - pg_dump --format=custom --no-owner --no-acl --file=/backups/db.dump\n",
    },
};

impl Rule for PgDumpShapeRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let Some((text, pointer)) = script(&container) else { continue };
            for line in text.lines().filter(|l| l.split_whitespace().any(|w| w == "pg_dump")) {
                let missing = missing_options(line);
                if !missing.is_empty() {
                    out.push(Violation::at(container.document, pointer.clone(), format!("`{}` lacks {}", line.trim(), missing.join(", "))));
                }
            }
        }
    }
}
