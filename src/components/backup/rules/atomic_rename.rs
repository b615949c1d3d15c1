//! CG106: a dump appears under its final name only when complete, by a rename on one file system.

use crate::codes::RuleCode;
use crate::extract::Script;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG106,
        severity: Severity::Error,
        checks: "A script's `pg_dump --file=X` writes to a temporary name and a later `mv X Y` renames it, with X and Y in the \
                 same directory (so on the same file system, where a rename is atomic).",
        why: "Pruning, the verify job and the uploader pick the newest file matching the dump name. A dump written in place is \
              visible while half-written, and a failed run leaves a corrupt newest dump that looks fine by name. A `mv` across \
              file systems is a copy, which has the same problem.",
    },
    target: Target::Scripts(check),
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

fn check(script: &Script<'_>, _: &Spec, out: &mut Problems) {
    let text = &script.text;
    let Some(dump) = text.lines().find(|l| l.split_whitespace().any(|w| w == "pg_dump")) else { return };
    let Some(target) = dump.split_whitespace().find_map(|w| w.strip_prefix("--file=")) else {
        out.add(script.pointer.clone(), "pg_dump writes to standard output; write to a temporary file with --file= and rename it");
        return;
    };
    let rename = text.lines().map(str::split_whitespace).map(Iterator::collect::<Vec<_>>).find(|w| w.first() == Some(&"mv") && w.get(1) == Some(&target));
    match rename {
        None => out.add(script.pointer.clone(), format!("the dump is written in place as {target}; write a temporary name and `mv` it when complete")),
        Some(words) => {
            let destination = words.get(2).copied().unwrap_or_default();
            if directory(target, text) != directory(destination, text) {
                out.add(script.pointer.clone(), format!("`mv {target} {destination}` crosses directories, so it may copy instead of renaming"));
            }
        }
    }
}
