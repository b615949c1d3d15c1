//! CG503: with migrations in a hook, the server is told not to run them at boot.

use crate::codes::RuleCode;
use crate::rules::{Rule, RuleDoc, Severity, Subject, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG503,
        severity: Severity::Error,
        checks: "When `migrations.viaHook` is true, a rendered ConfigMap sets the spec's skip-migrations variable \
                 (`app.skipMigrationsEnv`) to `\"true\"`, and to `\"false\"` otherwise.",
        why: "If the hook migrates and every server replica also migrates at boot, they race each other on the schema during \
              the rolling update; if neither does, the new server starts against the old schema.",
    },
    target: Target::Rendering(check),
};

/// Reads the values and every ConfigMap, so it looks at the whole rendering.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    let variable = &subject.spec.app.skip_migrations_env;
    let expected = if subject.values.migrations.via_hook { "true" } else { "false" };
    let configmaps: Vec<(usize, &serde_json::Value)> =
        subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "ConfigMap").map(|(i, m)| (i, &m.object["data"][variable.as_str()])).collect();
    let Some(&(first, _)) = configmaps.first() else {
        out.push(Violation { document: None, pointer: String::new(), message: format!("no ConfigMap carries {variable}; the server cannot know whether a hook migrates") });
        return;
    };
    match configmaps.iter().find(|(_, value)| !value.is_null()) {
        None => out.push(Violation::at(first, "/data", format!("{variable} is not set; it must be \"{expected}\""))),
        Some((index, value)) if value.as_str() != Some(expected) => out.push(Violation::at(*index, format!("/data/{variable}"), format!("{variable} is {value}; with migrations.viaHook={} it must be \"{expected}\"", subject.values.migrations.via_hook))),
        _ => {}
    }
}
