//! CG106: a dump appears under its final name only when complete, by a rename on one file system.

use crate::extract::{containers, script};
use crate::rules::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: AtomicRenameRule = AtomicRenameRule;

pub struct AtomicRenameRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG106,
    severity: Severity::Error,
    checks: "A script's `pg_dump --file=X` writes to a temporary name and a later `mv X Y` renames it, with X and Y in the \
             same directory (so on the same file system, where a rename is atomic).",
    why: "Pruning, the verify job and the uploader pick the newest file matching the dump name. A dump written in place is \
          visible while half-written, and a failed run leaves a corrupt newest dump that looks fine by name. A `mv` across \
          file systems is a copy, which has the same problem.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - |\n              pg_dump --format=custom --no-owner --no-acl --file=\"$BACKUP_DIR/backup.dump\"\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - |\n              final=\"$BACKUP_DIR/backup.dump\"\n              partial=\"$BACKUP_DIR/.backup.dump.partial\"\n              pg_dump --format=custom --no-owner --no-acl --file=\"$partial\"\n              mv \"$partial\" \"$final\"\n",
    },
};

/// The directory part of a path as written in a script, with `$var` references resolved from assignments.
fn directory(path: &str, script: &str) -> String {
    let path = path.trim_matches('"');
    let resolved = match path.strip_prefix('$') {
        Some(var) if var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => script
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{var}=")).map(|v| v.trim_matches('"').to_string()))
            .unwrap_or_else(|| path.to_string()),
        _ => path.to_string(),
    };
    resolved.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_string())
}

impl Rule for AtomicRenameRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let Some((text, pointer)) = script(&container) else { continue };
            let Some(dump) = text.lines().find(|l| l.split_whitespace().any(|w| w == "pg_dump")) else { continue };
            let Some(target) = dump.split_whitespace().find_map(|w| w.strip_prefix("--file=")) else {
                out.push(Violation::at(container.document, pointer, "pg_dump writes to standard output; write to a temporary file with --file= and rename it"));
                continue;
            };
            let rename = text.lines().map(str::split_whitespace).map(Iterator::collect::<Vec<_>>).find(|w| w.first() == Some(&"mv") && w.get(1) == Some(&target));
            match rename {
                None => out.push(Violation::at(container.document, pointer, format!("the dump is written in place as {target}; write a temporary name and `mv` it when complete"))),
                Some(words) => {
                    let destination = words.get(2).copied().unwrap_or_default();
                    if directory(target, &text) != directory(destination, &text) {
                        out.push(Violation::at(container.document, pointer, format!("`mv {target} {destination}` crosses directories, so it may copy instead of renaming")));
                    }
                }
            }
        }
    }
}
