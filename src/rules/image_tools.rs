//! CG201: every container's image carries the programs its script calls.

use crate::extract::{containers, image_parts, script};
use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: ImageToolsRule = ImageToolsRule;

pub struct ImageToolsRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG201,
    severity: Severity::Error,
    checks: "For containers whose image is in chartgen's table of known images (the official `postgres` image, \
             `amazon/aws-cli`), every program the container's shell script calls is one that image carries, or a shell \
             builtin. Scripts in images outside the table are not checked.",
    why: "A script that calls `aws` in the `postgres` image, or `pg_dump` in the aws-cli image, fails with `not found` at \
          02:00 on the first night, after every render and lint passed. The seed chart shipped exactly this.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - |\n              pg_dump --format=custom --no-owner --no-acl --file=/tmp/db.dump\n              aws s3 cp /tmp/db.dump s3://bucket/db.dump\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: dump\n          image: postgres:16.6\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - pg_dump --format=custom --no-owner --no-acl --file=/staging/db.dump\n      containers:\n        - name: upload\n          image: amazon/aws-cli:2.22.35\n          command: [\"/bin/sh\", \"-c\"]\n          args:\n            - aws s3 cp /staging/db.dump s3://bucket/db.dump\n",
    },
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
            "cut", "awk", "sed", "stat", "touch", "env", "gzip", "basename", "dirname", "id", "chmod", "du", "df", "mktemp",
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

impl Rule for ImageToolsRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let image = container.value["image"].as_str().unwrap_or_default();
            let Some(carried) = tools(image) else { continue };
            let Some((text, pointer)) = script(&container) else { continue };
            for program in crate::shell::commands(&text) {
                if !carried.contains(&program.as_str()) && !SHELL.contains(&program.as_str()) && !program.starts_with('$') {
                    out.push(Violation::at(
                        container.document,
                        pointer.clone(),
                        format!("the script calls `{program}`, which the image {image} does not carry"),
                    ));
                }
            }
        }
    }
}
