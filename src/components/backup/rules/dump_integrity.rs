//! CG105: a dump is read back before it is kept or shipped.

use crate::codes::RuleCode;
use crate::extract::Script;
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG105,
        severity: Severity::Error,
        checks: "A script that runs `pg_dump` also runs `pg_restore --list` (or `-l`) on the dump, before the line that moves or \
                 uploads it.",
        why: "`pg_dump` can exit after writing a truncated file when the disk fills or the connection drops mid-way, and a \
              truncated custom-format dump fails only at restore time, when it is too late. Reading the table of contents \
              back costs a second and catches it.",
    },
    target: Target::Scripts(check),
};

fn check(script: &Script<'_>, _: &Spec, out: &mut Problems) {
    let lines: Vec<&str> = script.text.lines().collect();
    let position = |pred: &dyn Fn(&str) -> bool| lines.iter().position(|l| pred(l));
    let Some(dump) = position(&|l| l.split_whitespace().any(|w| w == "pg_dump")) else { return };
    let check = position(&|l| l.contains("pg_restore --list") || l.contains("pg_restore -l"));
    let ship = position(&|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        words.first() == Some(&"mv") || words.windows(2).any(|p| p[0] == "aws" && p[1] == "s3")
    })
    .filter(|&s| s > dump);
    match (check, ship) {
        (None, _) => out.add(script.pointer.clone(), "the dump is never checked with `pg_restore --list`"),
        (Some(c), Some(s)) if c > s => out.add(script.pointer.clone(), "the dump is checked only after it was moved or shipped"),
        _ => {}
    }
}
