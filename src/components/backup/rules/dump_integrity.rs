//! CG105: a dump is read back before it is kept or shipped.

use crate::extract::{containers, script};
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: DumpIntegrityRule = DumpIntegrityRule;

pub struct DumpIntegrityRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG105,
    severity: Severity::Error,
    checks: "A script that runs `pg_dump` also runs `pg_restore --list` (or `-l`) on the dump, before the line that moves or \
             uploads it.",
    why: "`pg_dump` can exit after writing a truncated file when the disk fills or the connection drops mid-way, and a \
          truncated custom-format dump fails only at restore time, when it is too late. Reading the table of contents \
          back costs a second and catches it.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - |\n              pg_dump --format=custom --no-owner --no-acl --file=/backups/.db.partial\n              mv /backups/.db.partial /backups/db.dump\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - |\n              pg_dump --format=custom --no-owner --no-acl --file=/backups/.db.partial\n              pg_restore --list /backups/.db.partial > /dev/null\n              mv /backups/.db.partial /backups/db.dump\n",
    },
};

impl Rule for DumpIntegrityRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let Some((text, pointer)) = script(&container) else { continue };
            let lines: Vec<&str> = text.lines().collect();
            let position = |pred: &dyn Fn(&str) -> bool| lines.iter().position(|l| pred(l));
            let Some(dump) = position(&|l| l.split_whitespace().any(|w| w == "pg_dump")) else { continue };
            let check = position(&|l| l.contains("pg_restore --list") || l.contains("pg_restore -l"));
            let ship = position(&|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.first() == Some(&"mv") || words.windows(2).any(|p| p[0] == "aws" && p[1] == "s3")
            })
            .filter(|&s| s > dump);
            match (check, ship) {
                (None, _) => out.push(Violation::at(container.document, pointer, "the dump is never checked with `pg_restore --list`")),
                (Some(c), Some(s)) if c > s => out.push(Violation::at(container.document, pointer, "the dump is checked only after it was moved or shipped")),
                _ => {}
            }
        }
    }
}
