//! The spec's `lint:` section and the severities findings carry: settings
//! of the rule engine that the spec holds, so the spec needs nothing of the
//! engine itself.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::codes::RuleCode;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// The spec's `lint:` section.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LintSettings {
    /// Rules that do not run, by code (`CG103`) or name (`backup-job-hygiene`).
    #[serde(default)]
    pub disable: Vec<RuleCode>,
    /// A severity per rule, replacing the rule's own.
    #[serde(default)]
    pub severity: BTreeMap<RuleCode, Severity>,
    /// Fail (exit 1) on warnings too, as `--deny-warnings` does.
    #[serde(default)]
    pub deny_warnings: bool,
}

impl LintSettings {
    /// The severity a rule runs with, given its own; `None` when disabled.
    pub fn severity_of(&self, code: RuleCode, own: Severity) -> Option<Severity> {
        if self.disable.contains(&code) {
            return None;
        }
        Some(self.severity.get(&code).copied().unwrap_or(own))
    }
}
