//! The typed values model: what an operator sets at install time.
//!
//! One Rust type tree (serde, unknown keys rejected, a doc line on every
//! field) is the single source of the defaults, `values.yaml`,
//! `values.schema.json` and the matrix axes; the flags among its fields are
//! listed in [`flags`]. Values are read with Helm's semantics: `-f` files
//! merged in order, then `--set-json`, `--set`, `--set-string`, then
//! coalesced with the defaults (a `null` removes a key), and only then read
//! into these types.

pub mod flags;

// Each backend's values section lives in the backend's folder, with its templates and rules.
#[path = "../components/database/statefulset/values.rs"]
mod statefulset;
#[path = "../components/database/external/values.rs"]
mod external;
#[path = "../components/backup/pvc/values.rs"]
mod pvc;
#[path = "../components/backup/s3/values.rs"]
mod s3;
#[path = "../components/database/cnpg/values.rs"]
mod cnpg;
#[path = "../components/backup/barman/values.rs"]
mod barman;
#[path = "../components/volume_backup/velero/values.rs"]
mod velero;

pub use barman::{
    BackupOwnerReference, BackupTier, Barman, BarmanCredentials, BarmanIntegration, DataCompression, DataSettings, Encryption, EndpointCa, ObjectStoreSettings, Recovery, RecoveryFigures,
    TierSettings, WalCompression, WalSettings,
};
pub use cnpg::{CatalogKind, CnpgCluster, ImageCatalogRef, OperatorPeer, Provider};
pub use external::{ExternalDatabase, SslMode};
pub use pvc::PvcSink;
pub use s3::{CredentialsSecret, S3Sink};
pub use statefulset::{PostgresAuth, Postgresql, Probe, Probes, Storage};
pub use velero::Velero;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::de::display_path;
use crate::diagnostic::{nearest, BadInput, Diagnostic, Origin};
use crate::scalars::{Count, CronSchedule, Duration, ExactSeconds, ImageRepository, ImageTag, Int, LabelKey, LabelValue, ObjectName, Positive, Quantity, TimeZone, UnixId};
use crate::source::{load_file, Member, Node, Value};
use crate::spec::{ParameterKind, Spec, Threshold};
use crate::strvals::{parse_into, SetKind};

/// Everything an operator can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Values {
    /// The PostgreSQL server in the cluster, and the image whose client tools the jobs use.
    pub postgresql: Postgresql,
    /// The database to use instead when postgresql.enabled is false.
    pub external_database: ExternalDatabase,
    /// Scheduled backups: pg_dump, or CloudNativePG's continuous backup with Barman.
    pub backup: Backup,
    /// Schema migrations run by a Helm hook Job.
    pub migrations: Migrations,
    /// Prometheus alerting rules.
    pub monitoring: Monitoring,
    /// NetworkPolicies that let only the traffic the chart needs through.
    pub network_policy: NetworkPolicy,
    /// Velero backups of the namespace's other volumes.
    pub velero: Velero,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkPolicy {
    /// Only the chart's jobs and the application's pods reach PostgreSQL; the jobs reach only the database, DNS and the S3 endpoint.
    pub enabled: bool,
    /// Labels of the application's pods, which may connect to the in-cluster PostgreSQL.
    pub application_pod_labels: BTreeMap<LabelKey, LabelValue>,
    /// The cluster's DNS, which the jobs may ask on port 53.
    pub dns: DnsPeer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DnsPeer {
    /// Namespace the DNS pods run in.
    pub namespace: ObjectName,
    /// Labels of the DNS pods.
    pub pod_labels: BTreeMap<LabelKey, LabelValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Image {
    /// Image repository, without a tag.
    pub repository: ImageRepository,
    /// Image tag; pin a version.
    pub tag: ImageTag,
    /// When the kubelet pulls the image.
    pub pull_policy: PullPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PullPolicy {
    Always,
    IfNotPresent,
    Never,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// What the scheduler reserves for the container.
    pub requests: ResourceList,
    /// The most the container may use.
    pub limits: ResourceList,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceList {
    /// CPU, in cores or millicores ("250m").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Memory ("256Mi").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
    /// Local scratch space ("1Gi").
    #[serde(rename = "ephemeral-storage", skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<Quantity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecurityContext {
    /// User id the containers run as (never 0: pods run as non-root).
    pub run_as_user: UnixId,
    /// Group id the containers run as.
    pub run_as_group: UnixId,
    /// Group that owns mounted volumes.
    pub fs_group: UnixId,
    /// Mount the container's root file system read-only.
    pub read_only_root_filesystem: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Toleration {
    /// Taint key to match; empty with operator Exists matches every taint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<LabelKey>,
    /// How the key and value are matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<TolerationOperator>,
    /// Taint value to match with operator Equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<LabelValue>,
    /// Taint effect to match; empty matches every effect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    /// Seconds a NoExecute taint is tolerated before eviction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<ExactSeconds>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TolerationOperator {
    Exists,
    Equal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    NoSchedule,
    PreferNoSchedule,
    NoExecute,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Backup {
    /// Back up the database.
    pub enabled: bool,
    /// How: dump (a CronJob runs pg_dump; any database) or barman (CloudNativePG archives WAL and takes base backups; provider cnpg only).
    pub method: BackupMethod,
    /// When the dump runs, as five-field cron.
    pub schedule: CronSchedule,
    /// Time zone the schedule is read in.
    pub time_zone: TimeZone,
    /// Recovery point objective: the longest the schedule may leave without a backup.
    pub rpo: Duration,
    /// Where dumps go: a PersistentVolumeClaim or an S3 bucket.
    pub sink: Sink,
    /// The PVC sink.
    pub pvc: PvcSink,
    /// The S3 sink.
    pub s3: S3Sink,
    /// The restore drill: a CronJob that restores the newest dump and checks it.
    pub verify: Verify,
    /// Successful Jobs to keep.
    pub successful_jobs_history_limit: Count,
    /// Failed Jobs to keep.
    pub failed_jobs_history_limit: Count,
    /// Seconds after its scheduled time a missed run may still start.
    pub starting_deadline_seconds: Positive,
    /// Seconds a run may take before it is stopped.
    pub active_deadline_seconds: Positive,
    /// Retries of a failed run.
    pub backoff_limit: Count,
    /// Size limit of the scratch volume the S3 sink stages a dump in.
    pub scratch_size: Quantity,
    /// CPU and memory for the backup containers.
    pub resources: Resources,
    /// User, group and file system settings of the backup pod.
    pub security_context: SecurityContext,
    /// Node labels the backup pod must match.
    pub node_selector: BTreeMap<LabelKey, LabelValue>,
    /// Taints the backup pod tolerates.
    pub tolerations: Vec<Toleration>,
    /// Continuous backup with Barman Cloud, for method barman.
    pub barman: Barman,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BackupMethod {
    Dump,
    Barman,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Verify {
    /// Run a CronJob that restores the newest dump into a throwaway PostgreSQL and runs the spec's sanity queries.
    pub enabled: bool,
    /// When to run, as five-field cron (in backup.timeZone); after the backup has finished.
    pub schedule: CronSchedule,
    /// Size limit of the scratch volume the throwaway database lives in.
    pub scratch_size: Quantity,
    /// Seconds after its scheduled time a missed run may still start.
    pub starting_deadline_seconds: Positive,
    /// Seconds a run may take before it is stopped.
    pub active_deadline_seconds: Positive,
    /// Retries of a failed run; 0, so that a failed drill alerts.
    pub backoff_limit: Count,
    /// CPU and memory for the verify containers.
    pub resources: Resources,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Sink {
    Pvc,
    S3,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Migrations {
    /// Run migrations in a Helm hook Job (post-install, pre-upgrade) and tell the server to skip its own.
    pub via_hook: bool,
    /// Server image that runs the migrate command.
    pub image: Image,
    /// Seconds the Job waits for the database to accept connections before failing.
    pub wait_for_database_seconds: Positive,
    /// Seconds the Job may take in all.
    pub active_deadline_seconds: Positive,
    /// Retries of a failed migration.
    pub backoff_limit: Count,
    /// CPU and memory for the migration containers.
    pub resources: Resources,
    /// User, group and file system settings of the migration pod.
    pub security_context: SecurityContext,
    /// Node labels the migration pod must match.
    pub node_selector: BTreeMap<LabelKey, LabelValue>,
    /// Taints the migration pod tolerates.
    pub tolerations: Vec<Toleration>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Monitoring {
    /// Prometheus Operator alerting rules.
    pub prometheus_rules: PrometheusRules,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PrometheusRules {
    /// Render a PrometheusRule with the application's alerts.
    pub enabled: bool,
    /// Extra labels on the PrometheusRule, such as the one your Prometheus selects rules by.
    pub labels: BTreeMap<LabelKey, LabelValue>,
    /// How often Prometheus evaluates the rules.
    pub interval: Duration,
    /// Alert thresholds, one per parameter of the chart spec.
    pub thresholds: BTreeMap<String, Threshold>,
}

/// Where values come from on the command line, with Helm's flags and semantics.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ValueInputs {
    /// Values file; repeat to merge several in order.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Set values: a.b=c, several separated by commas; types are inferred.
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Set values that always stay strings.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,
    /// Set values given as JSON.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
}

/// Labels every object carries; extra rule labels may not replace them.
pub const STANDARD_LABELS: [&str; 7] = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "app.kubernetes.io/component",
    "helm.sh/chart",
];

fn resources(cpu: &str, memory: &str, cpu_limit: Option<&str>, memory_limit: &str) -> Resources {
    let q = |s: &str| Some(s.parse::<Quantity>().expect("a valid built-in quantity"));
    Resources {
        requests: ResourceList { cpu: q(cpu), memory: q(memory), ephemeral_storage: None },
        limits: ResourceList { cpu: cpu_limit.and_then(q), memory: q(memory_limit), ephemeral_storage: None },
    }
}

fn probe(initial_delay_seconds: i64, period_seconds: i64, timeout_seconds: i64, failure_threshold: i64) -> Probe {
    Probe {
        initial_delay_seconds: Int::new(initial_delay_seconds),
        period_seconds: Int::new(period_seconds),
        timeout_seconds: Int::new(timeout_seconds),
        failure_threshold: Int::new(failure_threshold),
    }
}

fn parse<T: std::str::FromStr<Err = String>>(text: &str) -> T {
    text.parse().unwrap_or_else(|e| panic!("built-in default {text:?}: {e}"))
}

impl Values {
    /// The defaults for a spec: the content of the generated values.yaml.
    pub fn defaults(spec: &Spec) -> Values {
        let postgres_user = SecurityContext { run_as_user: Int::new(999), run_as_group: Int::new(999), fs_group: Int::new(999), read_only_root_filesystem: true };
        let image = |i: &crate::spec::SpecImage| Image { repository: i.repository.clone(), tag: i.tag.clone(), pull_policy: PullPolicy::IfNotPresent };
        let app = &spec.app.name;
        Values {
            postgresql: Postgresql {
                enabled: true,
                provider: Provider::Statefulset,
                cnpg: CnpgCluster {
                    instances: Int::new(1),
                    image: Image {
                        repository: parse("ghcr.io/cloudnative-pg/postgresql"),
                        // The operator's own default image type, which carries Barman Cloud for either integration.
                        tag: parse(&format!("{}-system-bookworm", spec.postgres.image.tag)),
                        pull_policy: PullPolicy::IfNotPresent,
                    },
                    image_catalog: ImageCatalogRef { name: parse(""), kind: CatalogKind::ClusterImageCatalog, major: Int::new(spec_major(spec)) },
                    operator: OperatorPeer {
                        namespace: parse("cnpg-system"),
                        pod_labels: BTreeMap::from([(parse("app.kubernetes.io/name"), parse("cloudnative-pg"))]),
                    },
                },
                image: image(&spec.postgres.image),
                auth: PostgresAuth {
                    create: false,
                    database: spec.app.database.clone(),
                    username: parse(&app.replace('-', "_")),
                    password: parse(""),
                    existing_secret: parse(&format!("{app}-postgresql-auth")),
                    username_key: parse("username"),
                    password_key: parse("password"),
                },
                port: Int::new(5432),
                storage: Storage { size: parse("10Gi"), storage_class_name: parse("") },
                resources: resources("250m", "512Mi", None, "1Gi"),
                probes: Probes {
                    liveness: probe(30, 10, 5, 6),
                    readiness: probe(5, 10, 5, 3),
                },
                security_context: postgres_user.clone(),
                node_selector: BTreeMap::new(),
                tolerations: Vec::new(),
            },
            external_database: ExternalDatabase {
                host: parse(""),
                port: Int::new(5432),
                database: spec.app.database.clone(),
                ssl_mode: SslMode::Require,
                existing_secret: parse(&format!("{app}-database")),
                username_key: parse("username"),
                password_key: parse("password"),
            },
            backup: Backup {
                enabled: false,
                method: BackupMethod::Dump,
                schedule: spec.backup.schedule.clone(),
                time_zone: parse("Etc/UTC"),
                rpo: spec.backup.rpo.clone(),
                sink: Sink::Pvc,
                pvc: PvcSink {
                    create: true,
                    claim_name: parse(&format!("{app}-backups")),
                    storage_class_name: parse(""),
                    size: parse("20Gi"),
                    keep: Int::new(7),
                },
                s3: S3Sink {
                    bucket: parse(""),
                    prefix: parse(&format!("{app}/")),
                    region: parse("us-east-1"),
                    endpoint: parse(""),
                    credentials_secret: CredentialsSecret {
                        name: parse(&format!("{app}-backup-s3")),
                        access_key_id_key: parse("AWS_ACCESS_KEY_ID"),
                        secret_access_key_key: parse("AWS_SECRET_ACCESS_KEY"),
                    },
                    image: Image { repository: parse("amazon/aws-cli"), tag: parse("2.22.35"), pull_policy: PullPolicy::IfNotPresent },
                },
                verify: Verify {
                    enabled: false,
                    schedule: parse("30 4 * * *"),
                    scratch_size: parse("20Gi"),
                    starting_deadline_seconds: Int::new(3600),
                    active_deadline_seconds: Int::new(3600),
                    backoff_limit: Int::new(0),
                    resources: resources("250m", "512Mi", None, "2Gi"),
                },
                successful_jobs_history_limit: Int::new(3),
                failed_jobs_history_limit: Int::new(3),
                starting_deadline_seconds: Int::new(3600),
                active_deadline_seconds: Int::new(3600),
                backoff_limit: Int::new(2),
                scratch_size: parse("20Gi"),
                resources: resources("100m", "256Mi", None, "1Gi"),
                security_context: postgres_user.clone(),
                node_selector: BTreeMap::new(),
                tolerations: Vec::new(),
                barman: Barman {
                    tier: BackupTier::Pitr,
                    integration: BarmanIntegration::Plugin,
                    daily: BackupTier::Daily.defaults().expect("daily keeps backups"),
                    pitr: BackupTier::Pitr.defaults().expect("pitr keeps backups"),
                    immediate: true,
                    backup_owner_reference: BackupOwnerReference::Own,
                    archive_timeout: parse("5min"),
                    object_store: ObjectStoreSettings {
                        destination_path: parse(""),
                        endpoint_url: parse(""),
                        endpoint_ca: EndpointCa { name: parse(""), key: parse("ca.crt") },
                        credentials_secret: BarmanCredentials {
                            name: parse(&format!("{app}-barman-s3")),
                            access_key_id_key: parse("ACCESS_KEY_ID"),
                            secret_access_key_key: parse("ACCESS_SECRET_KEY"),
                        },
                        inherit_from_iam_role: false,
                        wal: WalSettings { compression: WalCompression::Gzip, encryption: Encryption::None, max_parallel: Int::new(2) },
                        data: DataSettings { compression: DataCompression::Gzip, encryption: Encryption::None, jobs: Int::new(2) },
                    },
                    recovery: Recovery { enabled: false, target_time: parse(""), backup_id: parse("") },
                },
            },
            migrations: Migrations {
                via_hook: false,
                image: image(&spec.app.image),
                wait_for_database_seconds: Int::new(300),
                active_deadline_seconds: Int::new(900),
                backoff_limit: Int::new(1),
                resources: resources("100m", "128Mi", None, "512Mi"),
                security_context: SecurityContext { run_as_user: Int::new(65532), run_as_group: Int::new(65532), fs_group: Int::new(65532), read_only_root_filesystem: true },
                node_selector: BTreeMap::new(),
                tolerations: Vec::new(),
            },
            monitoring: Monitoring {
                prometheus_rules: PrometheusRules {
                    enabled: false,
                    labels: BTreeMap::new(),
                    interval: parse("1m"),
                    thresholds: spec.parameters.iter().map(|(name, p)| (name.clone(), p.default.clone())).collect(),
                },
            },
            network_policy: NetworkPolicy {
                enabled: false,
                application_pod_labels: BTreeMap::from([(parse("app.kubernetes.io/name"), parse(app))]),
                dns: DnsPeer { namespace: parse("kube-system"), pod_labels: BTreeMap::from([(parse("k8s-app"), parse("kube-dns"))]) },
            },
            velero: Velero::defaults(),
        }
    }
}

/// The values after merging, with the tree that locates each of them.
#[derive(Debug, Clone)]
pub struct LoadedValues {
    pub values: Values,
    pub tree: Node,
    /// `tree` as the JSON the templates and schemas read.
    pub json: serde_json::Value,
}

/// Values that a matrix sets its combinations' flags over, read once.
pub struct MatrixBase {
    pub loaded: LoadedValues,
    /// [`flags::digest_without_flags`] of the values, which setting flags leaves as it is.
    pub without_flags: u64,
    sections: Sections,
}

/// Each section of the model as read with the flags inside it set, by
/// those flags: a matrix's flags take few values each, so a section is read
/// once for many combinations.
#[derive(Default)]
struct Sections {
    postgresql: Section<Postgresql>,
    external_database: Section<ExternalDatabase>,
    backup: Section<Backup>,
    migrations: Section<Migrations>,
    monitoring: Section<Monitoring>,
    network_policy: Section<NetworkPolicy>,
    velero: Section<Velero>,
}

/// One section's readings, by the flags set inside it; `None` where it does not read.
type Section<T> = crate::memo::Memo<Vec<(flags::ValuePath, flags::FlagValue)>, Option<T>>;

impl MatrixBase {
    pub fn new(loaded: LoadedValues) -> MatrixBase {
        MatrixBase { without_flags: flags::digest_without_flags(&loaded.json), loaded, sections: Sections::default() }
    }

    /// These values with the given flags set over them, checked: the way a
    /// matrix loads each of its combinations, without reading a located tree
    /// again. `None` when the flags' values do not read or the checks find a
    /// problem: then load them with [`from_user_tree_over`], which says where.
    pub fn with_flags(&self, spec: &Spec, flags: &flags::Assignment) -> Option<(Values, serde_json::Value)> {
        let mut json = self.loaded.json.clone();
        for (path, value) in flags.iter() {
            path.set(&mut json, value.to_json())?;
        }
        fn read<T: serde::de::DeserializeOwned + Clone>(section: &Section<T>, key: &str, json: &serde_json::Value, flags: &flags::Assignment) -> Option<T> {
            let inside = flags.iter().filter(|(path, _)| path.keys()[0] == key).map(|(path, value)| (path.clone(), value.clone())).collect();
            section.get_or(inside, || T::deserialize(json.get(key)?).ok())
        }
        let sections = &self.sections;
        let values = Values {
            postgresql: read(&sections.postgresql, "postgresql", &json, flags)?,
            external_database: read(&sections.external_database, "externalDatabase", &json, flags)?,
            backup: read(&sections.backup, "backup", &json, flags)?,
            migrations: read(&sections.migrations, "migrations", &json, flags)?,
            monitoring: read(&sections.monitoring, "monitoring", &json, flags)?,
            network_policy: read(&sections.network_policy, "networkPolicy", &json, flags)?,
            velero: read(&sections.velero, "velero", &json, flags)?,
        };
        check(spec, &values, &json, &self.loaded.tree, &[]).is_empty().then_some((values, json))
    }
}

/// Reads values with Helm's semantics and checks them against the model and
/// the spec, reporting every problem of every input.
pub fn load(spec: &Spec, inputs: &ValueInputs) -> Result<LoadedValues, BadInput> {
    load_with(spec, inputs, &flags::Assignment::new())
}

/// [`load`], with flags set over whatever the inputs say of them.
pub fn load_with(spec: &Spec, inputs: &ValueInputs, flags: &flags::Assignment) -> Result<LoadedValues, BadInput> {
    let (mut user, mut problems) = user_tree(inputs);
    crate::source::merge_maps(&mut user, Node::from_json(&flags.to_tree(), &Origin::Default));
    match from_user_tree(spec, user) {
        Ok(loaded) if problems.is_empty() => Ok(loaded),
        Ok(_) => Err(BadInput::sorted(problems)),
        Err(BadInput(more)) => {
            problems.extend(more);
            Err(BadInput::sorted(problems))
        }
    }
}

/// The values an operator gives, merged as Helm merges them: the `-f` files
/// in order, then every `--set-json`, `--set` and `--set-string` (Helm's
/// order, whatever the order on the command line). An input that cannot be
/// read is a problem and is left out; the others are still merged.
pub fn user_tree(inputs: &ValueInputs) -> (Node, Vec<Diagnostic>) {
    let mut user = Node::empty_map(Origin::Default);
    let mut problems = Vec::new();
    for path in &inputs.files {
        match load_file(path) {
            Ok(file) => crate::source::merge_maps(&mut user, file),
            Err(problem) => problems.push(problem),
        }
    }
    let sets = [(SetKind::Json, &inputs.set_json), (SetKind::Typed, &inputs.set), (SetKind::String, &inputs.set_string)];
    for (kind, args) in sets {
        for arg in args {
            if let Err(problem) = parse_into(arg, kind, &mut user) {
                problems.push(problem);
            }
        }
    }
    (user, problems)
}

/// Reads values an operator gave as one merged tree into the model: keys
/// and types only, without the checks across fields (a runbook command may
/// leave a required bucket to a values file it does not show).
pub fn typecheck_user_tree(spec: &Spec, user: Node) -> Result<Values, BadInput> {
    let nulls = deleting_nulls(&user);
    let defaults = defaults_tree(spec);
    let tree = coalesce(user, defaults.clone());
    match read(&tree, &defaults, &nulls) {
        crate::de::Reading { value: Some(values), problems } if problems.is_empty() => Ok(values),
        reading => Err(BadInput::sorted(reading.problems.into_iter().map(|p| p.diagnostic).collect())),
    }
}

/// Checks values an operator gave as one merged tree (what Helm receives as `--values`).
pub fn from_user_tree(spec: &Spec, user: Node) -> Result<LoadedValues, BadInput> {
    from_user_tree_over(spec, user, defaults_tree(spec))
}

/// The PostgreSQL major version of the spec's server image tag (`16.6` is 16); a tag
/// that does not start with one (`latest`) gives 17, the major of CloudNativePG 1.26's
/// default image.
fn spec_major(spec: &Spec) -> i64 {
    let tag = spec.postgres.image.tag.to_string();
    tag.split(['.', '-']).next().and_then(|major| major.parse().ok()).filter(|major| (10..=99).contains(major)).unwrap_or(17)
}

/// The spec's defaults as a tree to coalesce over.
pub fn defaults_tree(spec: &Spec) -> Node {
    let defaults = serde_json::to_value(Values::defaults(spec)).expect("the defaults serialize");
    Node::from_json(&defaults, &Origin::Default)
}

/// [`from_user_tree`] with the defaults tree given, for callers that load many values of one spec.
pub fn from_user_tree_over(spec: &Spec, user: Node, defaults: Node) -> Result<LoadedValues, BadInput> {
    let nulls = deleting_nulls(&user);
    let tree = coalesce(user, defaults.clone());
    let reading = read(&tree, &defaults, &nulls);
    let repaired: Vec<String> = reading.problems.iter().map(crate::de::Problem::repaired).collect();
    let mut diagnostics: Vec<Diagnostic> = reading.problems.into_iter().map(|p| p.diagnostic).collect();
    let Some(values) = reading.value else { return Err(BadInput::sorted(diagnostics)) };
    let json = tree.to_json();
    // The checks across fields run on the repaired values, but say nothing about what was repaired.
    for (path, problem) in check(spec, &values, &json, &tree, &nulls) {
        if !repaired.iter().any(|r| crate::de::overlaps(r, &path)) {
            diagnostics.push(problem);
        }
    }
    if diagnostics.is_empty() {
        Ok(LoadedValues { values, tree, json })
    } else {
        Err(BadInput::sorted(diagnostics))
    }
}


/// Reads the coalesced tree into the model, reporting every problem; a
/// required key that a user's `null` deleted is reported at that `null`.
fn read(tree: &Node, defaults: &Node, nulls: &[(String, Origin)]) -> crate::de::Reading<Values> {
    let mut reading = crate::de::read_all::<Values>(tree, defaults);
    for problem in &mut reading.problems {
        if let Some(key) = &problem.missing_key {
            let parent = display_path(&problem.steps);
            let path = if parent.is_empty() { key.clone() } else { format!("{parent}.{key}") };
            if let Some((_, origin)) = nulls.iter().find(|(p, _)| *p == path) {
                problem.diagnostic = Diagnostic::new(origin.clone(), format!("`{path}` is null, which deletes it and its defaults, but the chart needs it"))
                    .with_help(format!("remove the line to keep the defaults of `{path}`, or give its settings"));
            }
        }
    }
    reading
}

/// The `null`s a user wrote, by dotted path: each deletes a key (and its defaults) when coalesced.
fn deleting_nulls(user: &Node) -> Vec<(String, Origin)> {
    fn walk(node: &Node, path: &str, out: &mut Vec<(String, Origin)>) {
        if let Value::Map(map) = &node.value {
            for (key, member) in map {
                let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                match member.node.value {
                    Value::Null => out.push((child, member.node.origin.clone())),
                    _ => walk(&member.node, &child, out),
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(user, "", &mut out);
    out
}

/// Helm's coalescing of user values over chart defaults: user values win, maps
/// merge, and a user `null` deletes the key.
fn coalesce(user: Node, defaults: Node) -> Node {
    let Node { value: Value::Map(mut user_map), origin } = user else { return user };
    let Value::Map(default_map) = defaults.value else { return Node::new(Value::Map(user_map), origin) };
    for (key, default) in default_map {
        match user_map.shift_remove(&key) {
            None => {
                user_map.insert(key, default);
            }
            Some(Member { node: Node { value: Value::Null, .. }, .. }) => {}
            Some(member) => {
                let node = if matches!(member.node.value, Value::Map(_)) { coalesce(member.node, default.node) } else { member.node };
                user_map.insert(key, Member { key: member.key, node });
            }
        }
    }
    Node::new(Value::Map(user_map), origin)
}

/// What to set instead, given the schedule's longest gap.
type GapHelp = fn(chrono::Duration) -> String;

/// The longest gap a schedule leaves between runs (in UTC), and where it starts, when it is longer than `limit`.
fn gap_longer_than(schedule: &str, limit: std::time::Duration) -> Option<(chrono::Duration, String)> {
    let (gap, from) = crate::scalars::longest_gap(schedule, chrono_tz::UTC)?;
    (gap.num_milliseconds() > i64::try_from(limit.as_millis()).unwrap_or(i64::MAX)).then_some((gap, from))
}

/// Checks that span fields or need the spec: required-when-enabled values, thresholds, labels.
/// Each problem with the path of the value it is about. `json` is the values
/// as read, `tree` locates them; `nulls` are where the user's `null`s deleted
/// keys, to point at them.
fn check(spec: &Spec, values: &Values, json: &serde_json::Value, tree: &Node, nulls: &[(String, Origin)]) -> Vec<(String, Diagnostic)> {
    let mut problems: Vec<(String, Diagnostic)> = Vec::new();
    let origin = |path: &str| tree.get(path).map_or_else(|| tree.origin.clone(), |n| n.origin.clone());
    // A value left at its default is reported where the choice that needs it was made.
    let located = |path: &str, cause: &str| {
        let at = origin(path);
        if matches!(at, Origin::Default) { origin(cause) } else { at }
    };
    let dump = values.backup.enabled && values.backup.method == BackupMethod::Dump;
    if dump && values.backup.sink == Sink::S3 && values.backup.s3.bucket.is_empty() {
        problems.push((
            "backup.s3.bucket".to_string(),
            Diagnostic::new(located("backup.s3.bucket", "backup.sink"), "`backup.s3.bucket` is empty, but backup.sink is s3")
                .with_help("set backup.s3.bucket to the bucket the dumps go to, for example --set backup.s3.bucket=my-app-backups"),
        ));
    }
    let barman = values.backup.enabled && values.backup.method == BackupMethod::Barman && values.backup.barman.tier != BackupTier::None;
    if barman && values.backup.barman.object_store.destination_path.is_empty() {
        let path = "backup.barman.objectStore.destinationPath";
        problems.push((
            path.to_string(),
            Diagnostic::new(located(path, "backup.method"), format!("`{path}` is empty, but backup.method is barman"))
                .with_help(format!("set {path} to the bucket and path the base backups and WAL go to, for example --set {path}=s3://my-backups/{}", spec.app.name)),
        ));
    }
    if barman {
        let tier = values.backup.barman.tier;
        let settings = if tier == BackupTier::Daily { &values.backup.barman.daily } else { &values.backup.barman.pitr };
        let schedule = settings.schedule.to_string();
        if let Some((gap, from)) = gap_longer_than(&schedule, settings.max_age.value()) {
            let path = format!("backup.barman.{}.maxAge", tier.as_str());
            problems.push((
                path.clone(),
                Diagnostic::new(located(&path, &format!("backup.barman.{}.schedule", tier.as_str())), format!(
                    "`{path}` is {}, but the schedule \"{schedule}\" leaves {} between base backups (from {from}): the stale alert would fire between two good backups",
                    settings.max_age, crate::scalars::human(gap)
                ))
                .with_help(format!("set {path} to at least {}, or take base backups more often", crate::scalars::human(gap))),
            ));
        }
    }
    if values.velero.enabled {
        let velero = &values.velero;
        let schedule = velero.schedule.to_string();
        // Each value that must cover the schedule's longest gap: what it is, why, and what would do.
        let limits: [(&str, String, std::time::Duration, &str, GapHelp); 2] = [
            ("velero.maxAge", velero.max_age.to_string(), velero.max_age.value(), "the stale alert would fire between two good backups", |gap| {
                format!("set velero.maxAge to at least {}, or back up more often", crate::scalars::human(gap))
            }),
            ("velero.ttl", velero.ttl.to_string(), velero.ttl.value(), "each backup expires before the next one is taken", |gap| {
                format!("set velero.ttl to more than {}h, such as \"{}h\"", gap.num_hours(), (gap.num_hours() * 4).max(720))
            }),
        ];
        for (path, set, limit, consequence, help) in limits {
            if let Some((gap, from)) = gap_longer_than(&schedule, limit) {
                problems.push((
                    path.to_string(),
                    Diagnostic::new(located(path, "velero.schedule"), format!(
                        "`{path}` is {set}, but the schedule \"{schedule}\" leaves {} between backups (from {from}): {consequence}",
                        crate::scalars::human(gap)
                    ))
                    .with_help(help(gap)),
                ));
            }
        }
    }
    let pitr = barman && values.backup.barman.tier == BackupTier::Pitr;
    if values.backup.barman.recovery.enabled && !pitr {
        let path = "backup.barman.recovery.enabled";
        let missing: Vec<&str> = [
            (values.backup.enabled, "backup.enabled=true"),
            (values.backup.method == BackupMethod::Barman, "backup.method=barman"),
            (values.backup.barman.tier == BackupTier::Pitr, "backup.barman.tier=pitr"),
        ]
        .into_iter()
        .filter_map(|(holds, setting)| (!holds).then_some(setting))
        .collect();
        problems.push((
            path.to_string(),
            Diagnostic::new(origin(path), format!("`{path}` is true, but a recovery Cluster needs the continuous backups of tier pitr, and {} does not hold", missing.join(" and ")))
                .with_help(format!("set {}, or turn the recovery off", missing.join(","))),
        ));
    }
    let recovery = &values.backup.barman.recovery;
    if pitr && recovery.enabled && recovery.target_time.is_empty() && recovery.backup_id.is_empty() {
        let path = "backup.barman.recovery.targetTime";
        problems.push((
            path.to_string(),
            Diagnostic::new(located(path, "backup.barman.recovery.enabled"), "the recovery has no target: `backup.barman.recovery.targetTime` and `backupID` are both empty")
                .with_help(format!("set {path} to the time to recover to, such as 2026-05-04T15:30:00Z, or backup.barman.recovery.backupID to the base backup to restore")),
        ));
    }
    problems.extend(value_dependency_problems(json, tree));
    let cnpg = values.postgresql.enabled && values.postgresql.provider == Provider::Cnpg;
    let auth = &values.postgresql.auth;
    for (key, path, expected) in [(&auth.username_key, "postgresql.auth.usernameKey", "username"), (&auth.password_key, "postgresql.auth.passwordKey", "password")] {
        if cnpg && key.to_string() != expected {
            problems.push((
                path.to_string(),
                Diagnostic::new(located(path, "postgresql.provider"), format!("`{path}` is `{key}`, but CloudNativePG reads the credentials from a basic-auth Secret's `{expected}` key"))
                    .with_help(format!("set {path}={expected}, and keep the {expected} under that key in the Secret")),
            ));
        }
    }
    if !values.postgresql.enabled && values.external_database.host.is_empty() {
        problems.push((
            "externalDatabase.host".to_string(),
            Diagnostic::new(located("externalDatabase.host", "postgresql.enabled"), "`externalDatabase.host` is empty, but postgresql.enabled is false")
                .with_help("set externalDatabase.host to the database server, or enable the in-cluster postgresql"),
        ));
    }
    if values.postgresql.enabled && values.postgresql.auth.create && values.postgresql.auth.password.is_empty() {
        problems.push((
            "postgresql.auth.password".to_string(),
            Diagnostic::new(located("postgresql.auth.password", "postgresql.auth.create"), "`postgresql.auth.password` is empty, but postgresql.auth.create is true")
                .with_help("set a password, or set postgresql.auth.create=false and name an existing Secret in postgresql.auth.existingSecret"),
        ));
    }
    for key in values.monitoring.prometheus_rules.labels.keys() {
        if STANDARD_LABELS.contains(&key.as_str()) {
            let at = tree.member(&format!("monitoring.prometheusRules.labels.{key}")).map_or_else(|| origin("monitoring.prometheusRules.labels"), |m| m.key.clone());
            problems.push((
                format!("monitoring.prometheusRules.labels.{key}"),
                Diagnostic::new(at, format!("the label `{key}` is set by the chart")).with_help("extra labels may add to the chart's labels but not replace them"),
            ));
        }
    }
    let thresholds = &values.monitoring.prometheus_rules.thresholds;
    for name in spec.parameters.keys().filter(|name| !thresholds.contains_key(*name)) {
        let path = format!("monitoring.prometheusRules.thresholds.{name}");
        let at = nulls.iter().find(|(p, _)| *p == path).map_or_else(|| origin("monitoring.prometheusRules.thresholds"), |(_, o)| o.clone());
        problems.push((
            path.clone(),
            Diagnostic::new(at, format!("`{path}` is null, which deletes the threshold, but every alert parameter needs one"))
                .with_help("remove the line to keep the default, or give a value"),
        ));
    }
    for (name, value) in thresholds {
        let path = format!("monitoring.prometheusRules.thresholds.{name}");
        let Some(parameter) = spec.parameters.get(name) else {
            let at = tree.member(&path).map_or_else(|| origin("monitoring.prometheusRules.thresholds"), |m| m.key.clone());
            let valid: Vec<String> = spec.parameters.keys().map(|k| format!("`{k}`")).collect();
            let help = match nearest(name, spec.parameters.keys().map(String::as_str)) {
                Some(n) => format!("did you mean `{n}`? valid keys here: {}", valid.join(", ")),
                None => format!("valid keys here: {}", valid.join(", ")),
            };
            problems.push((path.clone(), Diagnostic::new(at, format!("`{path}`: unknown key `{name}`")).with_help(help)));
            continue;
        };
        let problem = match (parameter.kind, value) {
            (ParameterKind::Duration, Threshold::Duration(_)) => None,
            (ParameterKind::Duration, Threshold::Number(_)) => Some("expected a duration such as \"15m\"".to_string()),
            (ParameterKind::Integer | ParameterKind::Number, Threshold::Duration(_)) => Some("expected a number".to_string()),
            (kind, Threshold::Number(n)) => {
                if kind == ParameterKind::Integer && n.fract() != 0.0 {
                    Some(format!("expected an integer, found {n}"))
                } else if parameter.minimum.is_some_and(|min| *n < min) || parameter.maximum.is_some_and(|max| *n > max) {
                    let range = match (parameter.minimum, parameter.maximum) {
                        (Some(a), Some(b)) => format!("from {a} to {b}"),
                        (Some(a), None) => format!("at least {a}"),
                        (None, Some(b)) => format!("at most {b}"),
                        (None, None) => unreachable!("a bound failed"),
                    };
                    Some(format!("{n} is out of range: it must be {range}"))
                } else {
                    None
                }
            }
        };
        if let Some(problem) = problem {
            problems.push((path.clone(), Diagnostic::new(origin(&path), format!("`{path}`: {problem}")).with_help(parameter.description.clone())));
        }
    }
    problems
}

/// Flag values that are valid only under another flag's value, set where it does not hold:
/// `backup.method=barman` without a CloudNativePG database.
fn value_dependency_problems(json: &serde_json::Value, tree: &Node) -> Vec<(String, Diagnostic)> {
    let at = |path: &flags::ValuePath| tree.get(&path.to_string());
    let holds = |path: &flags::ValuePath, value: &flags::FlagValue| flags::FlagValue::from_json(path.lookup(json)).as_ref() == Some(value);
    let mut problems = Vec::new();
    for flag in flags::model_flags() {
        for (own, path, value) in &flag.value_requires {
            let holds_any = |path: &flags::ValuePath, values: &[flags::FlagValue]| values.iter().any(|v| holds(path, v));
            if !holds(&flag.path, own) || !flag.conditions().iter().all(|(p, vs)| holds_any(p, vs)) {
                continue;
            }
            let mut needed = flags::model_flag(path).map(|f| f.conditions()).unwrap_or_default();
            needed.push((path.clone(), vec![value.clone()]));
            let settings: Vec<String> = needed.iter().filter(|(p, vs)| !holds_any(p, vs)).map(|(p, vs)| format!("{p}={}", vs[0])).collect();
            if settings.is_empty() {
                continue;
            }
            let origin = at(&flag.path).map_or(Origin::Default, |n| n.origin.clone());
            problems.push((
                flag.path.to_string(),
                Diagnostic::new(origin, format!("`{}` is {own}, which needs {}", flag.path, settings.join(" and ")))
                    .with_help(format!("set {}, or choose another {}", settings.join(","), flag.path)),
            ));
        }
    }
    problems
}

/// The objects the values name as existing outside the chart, as (kind, name):
/// the fields the model marks `x-chartgen-external`.
pub fn external_objects(values: &serde_json::Value) -> std::collections::BTreeSet<(String, String)> {
    external_paths()
        .iter()
        .filter_map(|(kind, path)| {
            let name = path.iter().fold(values, |node, key| &node[key.as_str()]).as_str()?;
            Some((kind.clone(), name.to_string()))
        })
        .collect()
}

/// The fields marked `x-chartgen-external`: the kind of object each names, and its path; read once.
fn external_paths() -> &'static [(String, Vec<String>)] {
    fn walk(schema: &serde_json::Value, path: &[String], out: &mut Vec<(String, Vec<String>)>) {
        let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else { return };
        for (key, property) in properties {
            let mut child = path.to_vec();
            child.push(key.clone());
            if let Some(kind) = property.get("x-chartgen-external").and_then(|k| k.as_str()) {
                out.push((kind.to_string(), child.clone()));
            }
            walk(property, &child, out);
        }
    }
    static PATHS: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    PATHS.get_or_init(|| {
        let mut out = Vec::new();
        walk(raw_values_schema(), &[], &mut out);
        out
    })
}

/// The schema of the model as the types give it, with the
/// `x-chartgen-external` marks; generated once.
pub fn raw_values_schema() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let mut settings = schemars::generate::SchemaSettings::draft07();
        settings.inline_subschemas = true;
        settings.into_generator().into_root_schema_for::<Values>().to_value()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesce_lets_user_values_win_and_null_delete() {
        let user = Node::from_json(&serde_json::json!({"a": {"b": null, "c": 2}, "d": null, "x": null}), &Origin::Default);
        let defaults = Node::from_json(&serde_json::json!({"a": {"b": 1, "c": 1, "e": 1}, "d": 4}), &Origin::Default);
        // A null with no default stays, so an unknown key is still reported.
        assert_eq!(coalesce(user, defaults).to_json(), serde_json::json!({"a": {"c": 2, "e": 1}, "x": null}));
    }
}
