//! CG102: the backup schedule meets the declared recovery point objective.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration as Span, TimeZone};

use super::{Example, Rule, RuleDoc, Severity, Subject, Violation};
use crate::scalars::CronSchedule;

pub static RULE: BackupRpoRule = BackupRpoRule;

pub struct BackupRpoRule;

static DOC: RuleDoc = RuleDoc {
    code: "CG102",
    name: "backup-rpo",
    severity: Severity::Error,
    checks: "For the backup CronJob (component `backup`), the longest gap between two consecutive firings of its schedule over \
             a year (2026), in its `timeZone`, is at most `backup.rpo`. The computed gap and when it occurs are shown.",
    why: "The recovery point objective is how much data the operator accepts to lose. A schedule that looks daily can leave a \
          25-hour gap across a daylight-saving change, and a weekday-only schedule leaves 72 hours over a weekend; the gap, \
          not the period, is what is lost.",
    bad: Example {
        values: "backup:\n  rpo: 24h\n",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\n  labels:\n    app.kubernetes.io/component: backup\nspec:\n  schedule: \"0 2 * * 1-5\"\n  timeZone: Europe/Berlin\n  jobTemplate: {}\n",
    },
    good: Example {
        values: "backup:\n  rpo: 26h\n",
        manifests: "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\n  labels:\n    app.kubernetes.io/component: backup\nspec:\n  schedule: \"0 2 * * *\"\n  timeZone: Europe/Berlin\n  jobTemplate: {}\n",
    },
};

/// The longest gap between two firings, and when it starts.
type Gap = Option<(Span, String)>;

/// Longest gap between firings, by schedule and zone; computed once per process.
static GAPS: Mutex<Option<HashMap<(String, String), Gap>>> = Mutex::new(None);

/// The longest gap between consecutive firings during 2026, and when it
/// begins; `None` when the schedule is not valid cron (rule CG101's business).
pub fn longest_gap(schedule: &str, zone: chrono_tz::Tz) -> Gap {
    let key = (schedule.to_string(), zone.name().to_string());
    if let Some(known) = GAPS.lock().expect("not poisoned").get_or_insert_with(HashMap::new).get(&key) {
        return known.clone();
    }
    let schedule: CronSchedule = schedule.parse().ok()?;
    let start = zone.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).earliest()?;
    let end = start + Span::days(366);
    let mut previous: Option<DateTime<chrono_tz::Tz>> = None;
    let mut longest: Gap = None;
    // A year of minutes bounds the walk.
    for next in schedule.cron().iter_from(start, croner::Direction::Forward).take(530_000) {
        if next > end {
            break;
        }
        if let Some(before) = previous {
            let gap = next - before;
            if longest.as_ref().is_none_or(|(g, _)| gap > *g) {
                longest = Some((gap, before.format("%Y-%m-%d %H:%M %Z").to_string()));
            }
        }
        previous = Some(next);
    }
    GAPS.lock().expect("not poisoned").get_or_insert_with(HashMap::new).insert(key, longest.clone());
    longest
}

/// `1d 2h`-style text for a span.
pub fn human(span: Span) -> String {
    let minutes = span.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if minutes > 0 || parts.is_empty() {
        parts.push(format!("{minutes}m"));
    }
    parts.join(" ")
}

impl Rule for BackupRpoRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        let rpo = subject.values.backup.rpo.value();
        for (index, manifest) in subject.manifests.iter().enumerate() {
            if manifest.kind() != "CronJob" || manifest.object["metadata"]["labels"]["app.kubernetes.io/component"] != "backup" {
                continue;
            }
            let Some(schedule) = manifest.object["spec"]["schedule"].as_str() else { continue };
            let zone = manifest.object["spec"]["timeZone"].as_str().and_then(|z| z.parse::<chrono_tz::Tz>().ok()).unwrap_or(chrono_tz::UTC);
            let Some((gap, from)) = longest_gap(schedule, zone) else { continue };
            if gap.to_std().is_ok_and(|g| g > rpo) {
                out.push(Violation::at(
                    index,
                    "/spec/schedule",
                    format!(
                        "`{schedule}` in {} leaves up to {} between backups (from {from}), more than the RPO of {}",
                        zone.name(),
                        human(gap),
                        subject.values.backup.rpo
                    ),
                ));
            }
        }
    }
}
