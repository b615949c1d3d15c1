//! The Velero backend of the volume backups: `velero`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{CronSchedule, Duration, GoDuration, ObjectName};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Velero {
    /// Render a Velero Schedule that backs up the release's namespace, the database's volumes and pods left out (the database has backups of its own).
    pub enabled: bool,
    /// Namespace Velero runs in: Velero reads Schedules only there.
    pub namespace: ObjectName,
    /// When backups start: five fields (minute hour day-of-month month day-of-week), as Velero parses them, in the Velero server's time zone (UTC unless set).
    pub schedule: CronSchedule,
    /// How long Velero keeps each backup: a Go duration such as "720h" (30 days); Go has no `d` unit.
    pub ttl: GoDuration,
    /// Move the volume snapshots' data to the backup storage location, so that a backup outlives the storage system it was taken on.
    pub snapshot_move_data: bool,
    /// How old the newest successful backup may be before the stale alert fires; at least the schedule's longest gap.
    pub max_age: Duration,
}

impl Velero {
    pub fn defaults() -> Velero {
        Velero {
            enabled: false,
            namespace: "velero".parse().expect("a valid name"),
            schedule: "0 3 * * *".parse().expect("a valid schedule"),
            ttl: "720h".parse().expect("a valid Go duration"),
            snapshot_move_data: true,
            max_age: "26h".parse().expect("a valid duration"),
        }
    }
}
