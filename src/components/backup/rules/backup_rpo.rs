//! CG102: the backup schedule meets the declared recovery point objective.

use crate::codes::RuleCode;
use crate::components::Component;
use crate::rules::{Rule, RuleDoc, Severity, Subject, Target, Violation};
use crate::scalars::{human, longest_gap};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG102,
        severity: Severity::Error,
        checks: "For the backup CronJob (component `backup`), the longest gap between two consecutive firings of its schedule over \
                 a year (2026), in its `timeZone`, is at most `backup.rpo`. The computed gap and when it occurs are shown.",
        why: "The recovery point objective is how much data the operator accepts to lose. A schedule that looks daily can leave a \
              25-hour gap across a daylight-saving change, and a weekday-only schedule leaves 72 hours over a weekend; the gap, \
              not the period, is what is lost.",
    },
    target: Target::Rendering(check),
};

/// Reads the RPO from the values, so it looks at the whole rendering.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    let rpo = subject.values.backup.rpo.value();
    for (index, manifest) in subject.manifests.iter().enumerate() {
        if manifest.kind() != "CronJob" || Component::of(&manifest.object) != Some(Component::Backup) {
            continue;
        }
        let Some(schedule) = manifest.object["spec"]["schedule"].as_str() else { continue };
        let zone = manifest.object["spec"]["timeZone"].as_str().and_then(|z| z.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::UTC);
        let Some((gap, from)) = longest_gap(schedule, zone) else { continue };
        if gap.to_std().is_ok_and(|g| g > rpo) {
            out.push(Violation::at(
                index,
                "/spec/schedule",
                format!("`{schedule}` in {} leaves up to {} between backups (from {from}), more than the RPO of {}", zone.name(), human(gap), subject.values.backup.rpo),
            ));
        }
    }
}
