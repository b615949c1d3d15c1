//! CG201: every container's image carries the programs its script calls.

use crate::codes::RuleCode;
use crate::extract::{image_parts, Script};
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG201,
        severity: Severity::Error,
        checks: "For containers whose image is in chartgen's table of known images (the official `postgres` image, \
                 `amazon/aws-cli`), every program the container's shell script calls is one that image carries, or a shell \
                 builtin. Scripts in images outside the table are not checked.",
        why: "A script that calls `aws` in the `postgres` image, or `pg_dump` in the aws-cli image, fails with `not found` at \
              02:00 on the first night, after every render and lint passed. The seed chart shipped exactly this.",
    },
    target: Target::Scripts(check),
};

/// POSIX shell builtins and utilities every image with a shell has.
const SHELL: &[&str] = &[
    "set", "trap", "exit", "umask", "read", "echo", "printf", "test", "[", "true", "false", "export", "cd", "shift", "local",
    "break", "continue", "return", "eval", "exec", "wait", "sh", "unset", ":", ".",
];

/// Programs beyond the shell's, by image repository.
const IMAGES: &[(&[&str], &[&str])] = &[
    (
        &["postgres", "library/postgres", "docker.io/library/postgres", "docker.io/postgres"],
        &[
            "pg_dump", "pg_dumpall", "pg_restore", "pg_isready", "psql", "pg_ctl", "initdb", "postgres", "createdb", "dropdb",
            "date", "wc", "ls", "grep", "sort", "tail", "head", "rm", "mv", "cp", "cat", "sleep", "mkdir", "find", "tr",
            "cut", "awk", "sed", "stat", "touch", "env", "gzip", "gunzip", "tar", "basename", "dirname", "id", "chmod", "du", "df",
            "mktemp",
        ],
    ),
    (
        &["amazon/aws-cli", "public.ecr.aws/aws-cli/aws-cli"],
        &[
            "aws", "date", "wc", "ls", "grep", "sort", "tail", "head", "rm", "mv", "cp", "cat", "sleep", "mkdir", "find", "tr",
            "cut", "sed", "stat", "touch", "env", "basename", "dirname", "id", "mktemp",
        ],
    ),
];

/// The programs an image carries, when chartgen knows the image.
pub fn tools(image: &str) -> Option<&'static [&'static str]> {
    let (repository, _) = image_parts(image);
    IMAGES.iter().find(|(names, _)| names.contains(&repository)).map(|(_, tools)| *tools)
}

fn check(script: &Script<'_>, _: &Spec, out: &mut Problems) {
    let image = script.container.value["image"].as_str().unwrap_or_default();
    let Some(carried) = tools(image) else { return };
    for program in crate::shell::commands(&script.text) {
        if !carried.contains(&program.as_str()) && !SHELL.contains(&program.as_str()) && !program.starts_with('$') {
            out.add(script.pointer.clone(), format!("the script calls `{program}`, which the image {image} does not carry"));
        }
    }
}
