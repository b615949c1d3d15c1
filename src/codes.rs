//! Every code chartgen reports, in one table: the checks every combination
//! goes through, the lint rules with their group, and the runbook checks.
//! A finding carries one of these, never a string.

use std::fmt;
use std::str::FromStr;

/// Declares the lint rule codes: the code, its name and its group.
macro_rules! rule_codes {
    ($($code:ident $name:literal $group:ident,)*) => {
        /// A lint rule's code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleCode {
            $($code,)*
        }

        impl RuleCode {
            pub const ALL: &'static [RuleCode] = &[$(RuleCode::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleCode::$code => stringify!($code),)*
                }
            }

            /// The rule's short kebab-case name.
            pub fn name(self) -> &'static str {
                match self {
                    $(RuleCode::$code => $name,)*
                }
            }

            pub fn group(self) -> RuleGroup {
                match self {
                    $(RuleCode::$code => RuleGroup::$group,)*
                }
            }
        }
    };
}

rule_codes! {
    CG000 "suppression-without-reason" Suppressions,
    CG101 "cron-schedule" Backups,
    CG102 "backup-rpo" Backups,
    CG103 "backup-job-hygiene" Backups,
    CG104 "pg-dump-shape" Backups,
    CG105 "dump-integrity" Backups,
    CG106 "atomic-rename" Backups,
    CG107 "velero-ttl" Backups,
    CG108 "velero-database-volumes" Backups,
    CG201 "image-tools" Images,
    CG202 "image-pinned" Images,
    CG301 "secret-env" Secrets,
    CG302 "values-in-scripts" Secrets,
    CG401 "pod-security-restricted" Pods,
    CG402 "container-resources" Pods,
    CG501 "hook-annotations" Migrations,
    CG502 "hook-dependencies" Migrations,
    CG503 "skip-migrations-env" Migrations,
    CG601 "promql-parses" Alerts,
    CG602 "alert-metrics" Alerts,
    CG603 "alert-for" Alerts,
    CG604 "alert-metadata" Alerts,
    CG605 "clamped-ratio" Alerts,
    CG606 "counter-compared" Alerts,
    CG701 "statefulset-updates" StatefulSets,
    CG702 "statefulset-service" StatefulSets,
    CG703 "statefulset-probes" StatefulSets,
    CG704 "statefulset-storage" StatefulSets,
    CG801 "object-names" Names,
    CG901 "barman-in-tree" Cnpg,
    CG902 "barman-image" Cnpg,
    CG903 "backup-method" Cnpg,
    CG904 "recovery-archive" Cnpg,
    CG905 "retention-policy" Cnpg,
    CG906 "retention-window" Cnpg,
    CG907 "cnpg-annotations" Cnpg,
    CG908 "recovery-server-name" Cnpg,
}

/// What a group of rules looks at; a code's hundreds are its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleGroup {
    Suppressions,
    Backups,
    Images,
    Secrets,
    Pods,
    Migrations,
    Alerts,
    StatefulSets,
    Names,
    Cnpg,
}

impl RuleGroup {
    pub fn title(self) -> &'static str {
        match self {
            RuleGroup::Suppressions => "Suppressions",
            RuleGroup::Backups => "Backups",
            RuleGroup::Images => "Images",
            RuleGroup::Secrets => "Secrets and values",
            RuleGroup::Pods => "Pods",
            RuleGroup::Migrations => "Migrations",
            RuleGroup::Alerts => "Alerts",
            RuleGroup::StatefulSets => "StatefulSets",
            RuleGroup::Names => "Names",
            RuleGroup::Cnpg => "CloudNativePG",
        }
    }
}

impl fmt::Display for RuleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RuleCode {
    type Err = String;
    /// A code (`CG102`, any case) or a name (`backup-rpo`).
    fn from_str(text: &str) -> Result<RuleCode, String> {
        RuleCode::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(text) || c.name().eq_ignore_ascii_case(text)).ok_or_else(|| {
            let candidates = RuleCode::ALL.iter().flat_map(|c| [c.as_str(), c.name()]);
            let help = crate::diagnostic::nearest(text, candidates).map_or("`chartgen rules` lists the codes".to_string(), |n| format!("did you mean `{n}`?"));
            format!("`{text}` is not a rule code; help: {help}")
        })
    }
}

impl serde::Serialize for RuleCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for RuleCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RuleCode, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for RuleCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleCode".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": RuleCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>() })
    }
}

/// What found a problem: a check every combination goes through, a lint
/// rule, or a runbook check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    ValuesSchema,
    KubeSchema,
    CrdSchema,
    Reference,
    GoldenMissing,
    GoldenMismatch,
    /// Helm refused to render a hand-written chart's combination.
    Render,
    /// A flag of a hand-written chart whose values render the same everywhere.
    FlagNoEffect,
    Rule(RuleCode),
    /// A runbook command that does not fit the values model.
    DocsValues,
    /// A runbook `pg_dump` without the chart's options.
    DocsPgDump,
}

impl Code {
    /// The checks every combination goes through, in report order.
    pub const CHECKS: [Code; 6] = [Code::ValuesSchema, Code::KubeSchema, Code::CrdSchema, Code::Reference, Code::GoldenMissing, Code::GoldenMismatch];
    /// The checks only a hand-written chart, rendered by Helm, goes through.
    pub const CHART_CHECKS: [Code; 2] = [Code::Render, Code::FlagNoEffect];
    /// The checks of a runbook.
    pub const DOCS: [Code; 2] = [Code::DocsValues, Code::DocsPgDump];

    /// The stable text reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ValuesSchema => "values-schema",
            Code::KubeSchema => "kube-schema",
            Code::CrdSchema => "crd-schema",
            Code::Reference => "reference",
            Code::GoldenMissing => "golden-missing",
            Code::GoldenMismatch => "golden-mismatch",
            Code::Render => "render",
            Code::FlagNoEffect => "flag-no-effect",
            Code::Rule(rule) => rule.as_str(),
            Code::DocsValues => "docs-values",
            Code::DocsPgDump => "docs-pg-dump",
        }
    }

    /// One sentence on what the code means (a rule's is its doc's first sentence).
    pub fn summary(self) -> &'static str {
        match self {
            Code::ValuesSchema => "The values do not validate against values.schema.json.",
            Code::KubeSchema => "A document does not validate against the strict schema of its Kubernetes kind.",
            Code::CrdSchema => "A custom resource does not validate against its CRD schema.",
            Code::Reference => "A document names an object that is not rendered or declared external, or a selector matches nothing.",
            Code::GoldenMissing => "The combination has no golden snapshot; review its rendering and accept it with --update.",
            Code::GoldenMismatch => "The rendering differs from the combination's golden snapshot.",
            Code::Render => "Helm refused to render the combination: a `fail` guard, a template error, invalid YAML or the values schema.",
            Code::FlagNoEffect => "A flag renders the same documents whichever value it has: a dead value.",
            Code::Rule(rule) => rule.name(),
            Code::DocsValues => "A runbook command sets values that do not fit the values model.",
            Code::DocsPgDump => "A runbook pg_dump lacks the chart's --format=custom --no-owner --no-acl.",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_s_hundreds_are_its_group() {
        for pair in RuleCode::ALL.windows(2) {
            let same_hundred = pair[0].as_str()[2..3] == pair[1].as_str()[2..3];
            assert_eq!(same_hundred, pair[0].group() == pair[1].group(), "{} and {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn codes_and_names_parse_and_near_misses_are_suggested() {
        assert_eq!("cg102".parse::<RuleCode>(), Ok(RuleCode::CG102));
        assert_eq!("backup-rpo".parse::<RuleCode>(), Ok(RuleCode::CG102));
        assert!("CG1O3".parse::<RuleCode>().unwrap_err().contains("did you mean `CG103`?"));
    }
}
