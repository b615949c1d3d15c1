//! CG503: with migrations in a hook, the server is told not to run them at boot.

use crate::rules::{Example, Rule, RuleDoc, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: SkipMigrationsEnvRule = SkipMigrationsEnvRule;

pub struct SkipMigrationsEnvRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG503,
    severity: Severity::Error,
    checks: "When `migrations.viaHook` is true, a rendered ConfigMap sets the spec's skip-migrations variable \
             (`app.skipMigrationsEnv`) to `\"true\"`, and to `\"false\"` otherwise.",
    why: "If the hook migrates and every server replica also migrates at boot, they race each other on the schema during \
          the rolling update; if neither does, the new server starts against the old schema.",
    bad: Example {
        values: "migrations:\n  viaHook: true\n",
        manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: certctl-database\ndata:\n  PGHOST: db\n",
    },
    good: Example {
        values: "migrations:\n  viaHook: true\n",
        manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: certctl-database\ndata:\n  PGHOST: db\n  CERTCTL_MIGRATIONS_VIA_HOOK: \"true\"\n",
    },
};

impl Rule for SkipMigrationsEnvRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
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
}
