//! The Barman backend's values section: `backup.barman`, read when
//! `backup.method` is `barman`. CloudNativePG archives WAL continuously and
//! takes base backups on a schedule into an S3 object store, through the
//! barman-cloud plugin or the operator's deprecated in-tree support.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::scalars::{BackupId, CronWithSeconds, Duration, EndpointUrl, ObjectName, OptionalName, PgDuration, Positive, RecoveryTime, RetentionPolicy, S3DestinationPath, SecretKey};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Barman {
    /// What the backups promise: none (no backups), daily (a base backup a day, kept 7 days) or pitr (recovery to any point in time, kept 35 days).
    pub tier: BackupTier,
    /// How the operator runs Barman Cloud: the barman-cloud plugin (CloudNativePG 1.26 or newer), or the in-tree barmanObjectStore, deprecated since 1.26.
    pub integration: BarmanIntegration,
    /// Base backups and retention of tier daily.
    pub daily: TierSettings,
    /// Base backups and retention of tier pitr.
    pub pitr: TierSettings,
    /// Take a base backup as soon as the ScheduledBackup is created.
    pub immediate: bool,
    /// Which object owns the Backups the schedule creates, and deletes them with it.
    pub backup_owner_reference: BackupOwnerReference,
    /// Longest a WAL segment waits before it is archived, as PostgreSQL's archive_timeout (5min): the recovery point objective of tier pitr.
    pub archive_timeout: PgDuration,
    /// Where base backups and WAL go.
    pub object_store: ObjectStoreSettings,
    /// A new Cluster, `<name>-recovered`, restored from the object store beside the running one.
    pub recovery: Recovery,
}

/// What one tier keeps, and how often it takes a base backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierSettings {
    /// When base backups run, as six-field cron with seconds first (CloudNativePG's format), in UTC.
    pub schedule: CronWithSeconds,
    /// Recovery window kept in the object store, base backups and WAL: days (30d), weeks (4w) or months (3m).
    pub retention_policy: RetentionPolicy,
    /// Alert when the newest base backup is older than this; at least the longest gap the schedule leaves.
    pub max_age: Duration,
}

/// A recovery into a new Cluster, never in place: it reads the running
/// Cluster's base backups and WAL and archives its own WAL under its own name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Recovery {
    /// Render the recovery Cluster.
    pub enabled: bool,
    /// Replay WAL up to this time, RFC 3339 with a zone (2026-05-04T15:30:00Z); empty replays to the end of the archive.
    pub target_time: RecoveryTime,
    /// Start from this base backup (its Barman id, such as 20260504T020000); empty lets the operator take the newest one before the target time.
    #[serde(rename = "backupID")]
    pub backup_id: BackupId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupTier {
    Pitr,
    Daily,
    None,
}

impl BackupTier {
    pub const ALL: [BackupTier; 3] = [BackupTier::None, BackupTier::Daily, BackupTier::Pitr];

    /// The tier's default settings; `None` keeps no backups. A base backup a
    /// night for both, so that a recovery replays at most a day of WAL.
    pub fn defaults(self) -> Option<TierSettings> {
        let settings = |retention: &str| TierSettings {
            schedule: "0 0 2 * * *".parse().expect("a valid schedule"),
            retention_policy: retention.parse().expect("a valid retention"),
            // The day between two backups, and two hours for one to finish.
            max_age: "26h".parse().expect("a valid duration"),
        };
        match self {
            BackupTier::None => None,
            BackupTier::Daily => Some(settings("7d")),
            BackupTier::Pitr => Some(settings("35d")),
        }
    }

    /// Its name in the values.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupTier::Pitr => "pitr",
            BackupTier::Daily => "daily",
            BackupTier::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectStoreSettings {
    /// The bucket and path, such as s3://my-backups/ledger (required with method barman); the server's folder is created under it.
    pub destination_path: S3DestinationPath,
    /// Endpoint URL of an S3-compatible store; empty for AWS.
    #[serde(rename = "endpointURL")]
    pub endpoint_url: EndpointUrl,
    /// Secret with the CA bundle that signs the endpoint's certificate; empty trusts the system's CAs.
    #[serde(rename = "endpointCA")]
    pub endpoint_ca: EndpointCa,
    /// Existing Secret with the access key pair, unless inheritFromIAMRole.
    pub credentials_secret: BarmanCredentials,
    /// Authenticate with the IAM role of the instances' service account (IRSA) instead of the credentials Secret.
    #[serde(rename = "inheritFromIAMRole")]
    pub inherit_from_iam_role: bool,
    /// How WAL segments are stored.
    pub wal: WalSettings,
    /// How base backups are stored.
    pub data: DataSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EndpointCa {
    /// Name of the existing Secret; empty for none.
    #[schemars(extend("x-chartgen-external" = "Secret"))]
    pub name: OptionalName,
    /// Key of the CA bundle in the Secret.
    pub key: SecretKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BarmanCredentials {
    /// Name of the existing Secret.
    #[schemars(extend("x-chartgen-external" = "Secret"))]
    pub name: ObjectName,
    /// Key of the access key id in the Secret.
    pub access_key_id_key: SecretKey,
    /// Key of the secret access key in the Secret.
    pub secret_access_key_key: SecretKey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WalSettings {
    /// Compression of archived segments; empty for none.
    pub compression: WalCompression,
    /// Server-side encryption in the bucket; empty for none.
    pub encryption: Encryption,
    /// Segments archived or restored at once.
    pub max_parallel: Positive,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataSettings {
    /// Compression of base backups; empty for none.
    pub compression: DataCompression,
    /// Server-side encryption in the bucket; empty for none.
    pub encryption: Encryption,
    /// Files uploaded at once.
    pub jobs: Positive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum BarmanIntegration {
    Plugin,
    InTree,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupOwnerReference {
    None,
    #[serde(rename = "self")]
    Own,
    Cluster,
}

/// What Barman Cloud compresses WAL segments with: more choices than for base backups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WalCompression {
    #[serde(rename = "")]
    None,
    Bzip2,
    Gzip,
    Lz4,
    Snappy,
    Xz,
    Zstd,
}

/// What Barman Cloud compresses base backups with: no `xz` or `zstd`, which it takes for WAL only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataCompression {
    #[serde(rename = "")]
    None,
    Bzip2,
    Gzip,
    Lz4,
    Snappy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Encryption {
    #[serde(rename = "")]
    None,
    #[serde(rename = "AES256")]
    Aes256,
    #[serde(rename = "aws:kms")]
    AwsKms,
}

/// What `chartgen drill` measured recovering a database from a Barman
/// archive on the machine CI runs on: the figures the chart's recovery
/// objectives quote. `chartgen drill --figures FILE` writes them; the
/// committed ones are `recovery-figures.json` beside this file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecoveryFigures {
    /// PostgreSQL's server version.
    pub postgresql: String,
    /// The version of Barman's cloud tools.
    pub barman: String,
    /// How long a base backup took (`barman-cloud-backup`), the mean of the drill's.
    pub base_backup_seconds: f64,
    /// How long the newest base backup took to download and unpack (`barman-cloud-restore`).
    pub restore_seconds: f64,
    /// How long PostgreSQL took to replay the WAL to the target and promote.
    pub replay_seconds: f64,
    /// How many WAL segments it replayed, each fetched with `barman-cloud-wal-restore`.
    pub wal_segments: u32,
}

impl RecoveryFigures {
    /// The committed figures.
    pub fn measured() -> &'static RecoveryFigures {
        static FIGURES: std::sync::OnceLock<RecoveryFigures> = std::sync::OnceLock::new();
        FIGURES.get_or_init(|| serde_json::from_str(include_str!("recovery-figures.json")).expect("recovery-figures.json holds recovery figures"))
    }

    /// Seconds of replay per WAL segment.
    pub fn replay_seconds_per_segment(&self) -> f64 {
        self.replay_seconds / f64::from(self.wal_segments.max(1))
    }

    /// The figures in one line of NOTES.txt.
    pub fn line(&self) -> String {
        format!(
            "base backup {:.1} s, restore {:.1} s, replay {:.1} s per WAL segment (chartgen drill on CI's machine, PostgreSQL {}, a few MB)",
            self.base_backup_seconds,
            self.restore_seconds,
            self.replay_seconds_per_segment(),
            self.postgresql
        )
    }

    /// The figures as the chart's docs quote them.
    pub fn sentence(&self) -> String {
        format!(
            "measured by `chartgen drill` on the machine CI runs on (PostgreSQL {}, Barman {}, a database of a few MB, S3 on loopback, 2 cores): a base backup {:.1} s, \
             a restore of the newest one {:.1} s, replay {:.1} s per 16 MiB WAL segment ({} segments in {:.1} s); they grow with the database's \
             size, the WAL written since the base backup and the object store's bandwidth",
            self.postgresql,
            self.barman,
            self.base_backup_seconds,
            self.restore_seconds,
            self.replay_seconds_per_segment(),
            self.wal_segments,
            self.replay_seconds
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_docs_quote_replay_per_segment_from_the_recovery_s_totals() {
        let figures = RecoveryFigures { postgresql: "15.18".into(), barman: "3.19.1".into(), base_backup_seconds: 11.04, restore_seconds: 2.0, replay_seconds: 6.3, wal_segments: 3 };
        assert_eq!(figures.line(), "base backup 11.0 s, restore 2.0 s, replay 2.1 s per WAL segment (chartgen drill on CI's machine, PostgreSQL 15.18, a few MB)");
        assert!(figures.sentence().contains("replay 2.1 s per 16 MiB WAL segment (3 segments in 6.3 s)"), "{}", figures.sentence());
    }

    #[test]
    fn the_committed_figures_are_a_real_recovery_s() {
        let measured = RecoveryFigures::measured();
        assert!(measured.base_backup_seconds > 0.0 && measured.restore_seconds > 0.0 && measured.replay_seconds > 0.0 && measured.wal_segments > 0, "{measured:?}");
    }
}
