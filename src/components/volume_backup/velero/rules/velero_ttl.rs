//! CG107: a Velero Schedule's TTL is a Go duration.

use crate::codes::RuleCode;
use crate::extract::{api_group, Manifest, VELERO_GROUP};
use crate::rules::{Problems, Rule, RuleDoc, Severity, Target};
use crate::scalars::GoDuration;
use crate::spec::Spec;

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG107,
        severity: Severity::Error,
        checks: "A Velero Schedule's `spec.template.ttl` is a duration as Go's `time.ParseDuration` reads it: numbers with the \
                 units `h`, `m`, `s`, `ms`, `us` or `ns` (`720h`, `1h30m`). A `d`-suffixed TTL is reported with the hours it \
                 meant.",
        why: "The CRD types the TTL as a plain string, so the API server stores `30d`; Velero then cannot read the Schedule \
              (Go has no `d` unit) and takes no backup from it. Retention written the way Prometheus or CloudNativePG write it \
              (`30d`) silently turns off the backups of the volumes.",
    },
    target: Target::Documents { kinds: &["Schedule"], check },
};

fn check(manifest: &Manifest, _: &Spec, out: &mut Problems) {
    if api_group(&manifest.object) != VELERO_GROUP {
        return;
    }
    if let Some(ttl) = manifest.object["spec"]["template"]["ttl"].as_str()
        && let Err(message) = ttl.parse::<GoDuration>()
    {
        out.add("/spec/template/ttl", message);
    }
}
