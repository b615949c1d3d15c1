//! Reading rendered documents: the neutral layer every stage that looks
//! inside manifests uses (validation, lint rules, the drill, the chart
//! compiler), so that none of them borrows from another. A document, its
//! workloads' pods and containers, the scripts those run, the images they
//! name, the alerting rules of a PrometheusRule, and the CloudNativePG
//! resources with the pods their Clusters make.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{json, Value};

/// One rendered document.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Template file it came from, as Helm names it: `templates/backup-cronjob.yaml`.
    pub source: String,
    /// The YAML text of the document.
    pub text: String,
    /// The parsed document, shared by the renderings that hold the same text.
    pub object: Arc<serde_json::Value>,
    /// A hash of `text`, which caches of per-document results are keyed by.
    pub digest: u64,
}

/// A 64-bit hash of a document: with the few hundred distinct documents of a
/// check, two colliding is as likely as a cosmic-ray bit flip.
pub fn digest(text: &str) -> u64 {
    use std::hash::BuildHasher;
    DIGEST.hash_one(text)
}

/// The hash of the digests: fixed, so that the same text has the same digest everywhere in a run.
pub const DIGEST: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(0);

/// Results kept by digest (and small codes beside them): digests are hashes
/// already, and hashing them again would cost more than the lookup.
pub type ByDigest<K, V> = crate::memo::Memo<K, V, std::hash::BuildHasherDefault<DigestHasher>>;

/// Folds the bytes of a key that is a digest into itself.
#[derive(Default)]
pub struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(8) ^ n;
    }
}

impl Manifest {
    pub fn new(source: String, text: String, object: serde_json::Value) -> Manifest {
        let digest = digest(&text);
        Manifest { source, text, object: Arc::new(object), digest }
    }

    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or("")
    }

    pub fn is_hook(&self) -> bool {
        self.object["metadata"]["annotations"]["helm.sh/hook"].is_string()
    }
}

/// A container of a workload in a rendering.
pub struct Container<'a> {
    pub document: usize,
    /// JSON pointer of the container.
    pub pointer: String,
    pub value: &'a Value,
    /// The pod spec it runs in, and its pointer.
    pub pod: &'a Value,
    pub pod_pointer: &'static str,
}

/// The pod template's spec of a workload, and its pointer.
pub fn pod_spec(object: &Value) -> Option<(&Value, &'static str)> {
    match object["kind"].as_str()? {
        "StatefulSet" | "Deployment" | "DaemonSet" | "ReplicaSet" | "Job" => Some((&object["spec"]["template"]["spec"], "/spec/template/spec")),
        "CronJob" => Some((&object["spec"]["jobTemplate"]["spec"]["template"]["spec"], "/spec/jobTemplate/spec/template/spec")),
        "Pod" => Some((&object["spec"], "/spec")),
        _ => None,
    }
}

/// Every container (init containers first) of every workload.
pub fn containers(manifests: &[Manifest]) -> Vec<Container<'_>> {
    let mut out = Vec::new();
    for (document, manifest) in manifests.iter().enumerate() {
        let Some((pod, pod_pointer)) = pod_spec(&manifest.object) else { continue };
        for list in ["initContainers", "containers"] {
            for (i, value) in pod[list].as_array().into_iter().flatten().enumerate() {
                out.push(Container { document, pointer: format!("{pod_pointer}/{list}/{i}"), value, pod, pod_pointer });
            }
        }
    }
    out
}

/// A shell script a container runs with `sh -c`.
pub struct Script<'a> {
    pub text: String,
    /// JSON pointer of the script's word in `command` or `args`.
    pub pointer: String,
    pub container: Container<'a>,
}

/// The shell script a container runs with `sh -c`, and its pointer.
pub fn script(container: &Container<'_>) -> Option<(String, String)> {
    let words = |v: &Value| v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>()).unwrap_or_default();
    let command = words(&container.value["command"]);
    let args = words(&container.value["args"]);
    let all: Vec<String> = command.iter().chain(args.iter()).cloned().collect();
    let at = all.iter().position(|w| w == "-c")?;
    let shell = all.get(at.checked_sub(1)?)?;
    if !shell.ends_with("sh") {
        return None;
    }
    let text = all.get(at + 1)?.clone();
    let pointer = if at + 1 < command.len() { format!("{}/command/{}", container.pointer, at + 1) } else { format!("{}/args/{}", container.pointer, at + 1 - command.len()) };
    Some((text, pointer))
}

/// Every container's shell script, in container order.
pub fn scripts(manifests: &[Manifest]) -> Vec<Script<'_>> {
    containers(manifests).into_iter().filter_map(|container| script(&container).map(|(text, pointer)| Script { text, pointer, container })).collect()
}

/// `repository` and `tag` of an image reference (the tag is empty when absent;
/// a digest counts as a tag).
pub fn image_parts(image: &str) -> (&str, &str) {
    if let Some((repository, digest)) = image.split_once('@') {
        return (repository, digest);
    }
    match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, tag),
        _ => (image, ""),
    }
}

/// A rule of a PrometheusRule's group: an alert, or a recording rule, whose
/// expression is checked alike.
pub struct Alert<'a> {
    /// JSON pointer of the rule in its document: `/spec/groups/G/rules/R`.
    pub pointer: String,
    pub rule: &'a Value,
}

/// Parsed expressions by text: the renderings of a check repeat the same
/// few expressions in many PrometheusRules, and several rules read each.
static EXPRESSIONS: ByDigest<u64, Arc<Result<promql_parser::parser::Expr, String>>> = ByDigest::new(crate::memo::DOCUMENTS_KEPT);

impl Alert<'_> {
    /// The rule's `expr` as written (empty when absent).
    pub fn expr_text(&self) -> &str {
        self.rule["expr"].as_str().unwrap_or_default()
    }

    /// The rule's `expr` parsed as PromQL, or the parser's message.
    pub fn expr(&self) -> Arc<Result<promql_parser::parser::Expr, String>> {
        let text = self.expr_text();
        EXPRESSIONS.get_or(digest(text), || Arc::new(promql_parser::parser::parse(text)))
    }
}

/// Every rule of every group of a PrometheusRule (none for other documents).
pub fn alerts(manifest: &Manifest) -> Vec<Alert<'_>> {
    if manifest.kind() != "PrometheusRule" {
        return Vec::new();
    }
    let groups = manifest.object["spec"]["groups"].as_array().into_iter().flatten().enumerate();
    groups
        .flat_map(|(g, group)| group["rules"].as_array().into_iter().flatten().enumerate().map(move |(r, rule)| Alert { pointer: format!("/spec/groups/{g}/rules/{r}"), rule }))
        .collect()
}

/// The API group of CloudNativePG's own resources (Cluster, ScheduledBackup, Backup, ImageCatalog).
pub const CNPG_GROUP: &str = "postgresql.cnpg.io";
/// The API group of the barman-cloud plugin's ObjectStore.
pub const BARMAN_CLOUD_GROUP: &str = "barmancloud.cnpg.io";
/// The barman-cloud plugin's name, as a Cluster's `plugins[].name` and a backup's `pluginConfiguration.name` give it.
pub const BARMAN_CLOUD_PLUGIN: &str = "barman-cloud.cloudnative-pg.io";

/// The API group of Velero's resources (Schedule, Backup).
pub const VELERO_GROUP: &str = "velero.io";
/// The label by which Velero leaves an object out of every backup, whatever the selectors say.
pub const VELERO_EXCLUDE_LABEL: &str = "velero.io/exclude-from-backup";

/// The API group of an object's `apiVersion` (empty for the core group).
pub fn api_group(object: &Value) -> &str {
    object["apiVersion"].as_str().and_then(|v| v.rsplit_once('/')).map_or("", |(group, _)| group)
}

/// Whether an object is a CloudNativePG or barman-cloud plugin resource.
pub fn is_cnpg(object: &Value) -> bool {
    matches!(api_group(object), CNPG_GROUP | BARMAN_CLOUD_GROUP)
}

/// The labels of the pods a workload makes. A CloudNativePG Cluster's
/// instances carry the labels the operator gives them and the Cluster's
/// inherited ones.
pub fn pod_template_labels(object: &Value) -> Option<Cow<'_, serde_json::Map<String, Value>>> {
    match object["kind"].as_str()? {
        "StatefulSet" | "Deployment" | "DaemonSet" | "ReplicaSet" | "Job" => object["spec"]["template"]["metadata"]["labels"].as_object().map(Cow::Borrowed),
        "Pod" => object["metadata"]["labels"].as_object().map(Cow::Borrowed),
        "CronJob" => object["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"].as_object().map(Cow::Borrowed),
        "Cluster" if is_cnpg(object) => {
            let mut labels = object["spec"]["inheritedMetadata"]["labels"].as_object().cloned().unwrap_or_default();
            labels.insert("cnpg.io/cluster".into(), object["metadata"]["name"].clone());
            labels.insert("cnpg.io/podRole".into(), json!("instance"));
            Some(Cow::Owned(labels))
        }
        _ => None,
    }
}

/// Whether a label selector (`matchLabels` and `matchExpressions`) selects an object with `labels`.
pub fn selector_matches(selector: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    let by_label = selector["matchLabels"].as_object().into_iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let by_expression = selector["matchExpressions"].as_array().into_iter().flatten().all(|requirement| {
        let value = requirement["key"].as_str().and_then(|key| labels.get(key));
        let listed = || requirement["values"].as_array().is_some_and(|values| value.is_some_and(|v| values.contains(v)));
        match requirement["operator"].as_str() {
            Some("In") => listed(),
            Some("NotIn") => !listed(),
            Some("Exists") => value.is_some(),
            Some("DoesNotExist") => value.is_none(),
            _ => false,
        }
    });
    by_label && by_expression
}

/// The PersistentVolumeClaims a workload makes, by name, with their labels:
/// a StatefulSet's claim templates (which also get its selector's labels),
/// a CloudNativePG Cluster's instance volumes (its inherited labels, and the
/// operator's).
pub fn claim_templates(object: &Value) -> Vec<(&str, serde_json::Map<String, Value>)> {
    match object["kind"].as_str() {
        Some("StatefulSet") => object["spec"]["volumeClaimTemplates"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|claim| {
                let mut labels = claim["metadata"]["labels"].as_object().cloned().unwrap_or_default();
                labels.extend(object["spec"]["selector"]["matchLabels"].as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
                (claim["metadata"]["name"].as_str().unwrap_or_default(), labels)
            })
            .collect(),
        Some("Cluster") if is_cnpg(object) => {
            let mut labels = object["spec"]["inheritedMetadata"]["labels"].as_object().cloned().unwrap_or_default();
            labels.insert("cnpg.io/cluster".into(), object["metadata"]["name"].clone());
            vec![(object["metadata"]["name"].as_str().unwrap_or_default(), labels)]
        }
        _ => Vec::new(),
    }
}

/// The string values of a JSON map, by key (a map of string parameters).
fn string_map(value: &Value) -> Vec<(&str, &str)> {
    value.as_object().into_iter().flatten().filter_map(|(k, v)| Some((k.as_str(), v.as_str()?))).collect()
}

/// The CloudNativePG resources of a rendering, typed: what the CloudNativePG
/// rules look at, with the references between them resolved as the operator
/// and the barman-cloud plugin resolve them.
pub struct Cnpg<'a> {
    pub clusters: Vec<CnpgCluster<'a>>,
    /// ScheduledBackups and Backups.
    pub backups: Vec<CnpgBackup<'a>>,
    pub object_stores: Vec<ObjectStore<'a>>,
    /// ImageCatalogs and ClusterImageCatalogs.
    pub catalogs: Vec<ImageCatalog<'a>>,
}

/// A Cluster (`postgresql.cnpg.io`).
pub struct CnpgCluster<'a> {
    pub document: usize,
    pub name: &'a str,
    /// `metadata.namespace`, when set.
    pub namespace: Option<&'a str>,
    pub object: &'a Value,
    /// `spec.imageName`, when set.
    pub image_name: Option<&'a str>,
    /// `spec.imageCatalogRef`: kind, name and major version.
    pub image_catalog: Option<(&'a str, &'a str, i64)>,
    /// Whether `spec.backup` is there at all: the operator refuses any backup
    /// method but `plugin` without it ("the cluster has no backup section").
    pub has_backup_section: bool,
    /// The in-tree `spec.backup.barmanObjectStore`.
    pub barman_object_store: Option<BarmanStore<'a>>,
    /// `spec.backup.retentionPolicy`, read only by the in-tree support.
    pub retention_policy: Option<&'a str>,
    /// Whether `spec.backup.volumeSnapshot` is set.
    pub volume_snapshot: bool,
    /// `spec.plugins`, in order.
    pub plugins: Vec<CnpgPlugin<'a>>,
    /// `spec.bootstrap.recovery.source`: the name of an external cluster.
    pub recovery_source: Option<&'a str>,
    /// `spec.replica.source`: the name of an external cluster.
    pub replica_source: Option<&'a str>,
    /// `spec.externalClusters`, in order.
    pub external_clusters: Vec<ExternalCluster<'a>>,
}

/// A Barman object store written inline: the in-tree `barmanObjectStore`
/// of a Cluster's `backup` or of an external cluster.
pub struct BarmanStore<'a> {
    /// JSON pointer of the `barmanObjectStore` in its document.
    pub pointer: String,
    pub destination_path: Option<&'a str>,
    pub endpoint_url: Option<&'a str>,
    /// `serverName`, when set (its default depends on where the store is).
    pub server_name: Option<&'a str>,
}

impl<'a> BarmanStore<'a> {
    fn of(value: &'a Value, pointer: String) -> Option<BarmanStore<'a>> {
        value.is_object().then(|| BarmanStore {
            pointer,
            destination_path: value["destinationPath"].as_str(),
            endpoint_url: value["endpointURL"].as_str().filter(|s| !s.is_empty()),
            server_name: value["serverName"].as_str().filter(|s| !s.is_empty()),
        })
    }
}

/// A plugin entry: of a Cluster's `spec.plugins`, or an external cluster's `plugin`.
pub struct CnpgPlugin<'a> {
    /// JSON pointer of the entry in its document.
    pub pointer: String,
    pub name: &'a str,
    /// `enabled`, which defaults to true.
    pub enabled: bool,
    /// `isWALArchiver`, which defaults to false.
    pub wal_archiver: bool,
    /// `parameters`, string to string.
    pub parameters: Vec<(&'a str, &'a str)>,
}

impl<'a> CnpgPlugin<'a> {
    fn of(value: &'a Value, pointer: String) -> Option<CnpgPlugin<'a>> {
        Some(CnpgPlugin {
            pointer,
            name: value["name"].as_str()?,
            enabled: value["enabled"].as_bool().unwrap_or(true),
            wal_archiver: value["isWALArchiver"].as_bool().unwrap_or(false),
            parameters: string_map(&value["parameters"]),
        })
    }

    /// A parameter's value, when set and not empty.
    pub fn parameter(&self, key: &str) -> Option<&'a str> {
        self.parameters.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).filter(|v| !v.is_empty())
    }

    /// Whether this is the barman-cloud plugin.
    pub fn is_barman_cloud(&self) -> bool {
        self.name == BARMAN_CLOUD_PLUGIN
    }
}

/// An entry of a Cluster's `spec.externalClusters`.
pub struct ExternalCluster<'a> {
    /// JSON pointer of the entry in its document.
    pub pointer: String,
    pub name: &'a str,
    pub barman_object_store: Option<BarmanStore<'a>>,
    pub plugin: Option<CnpgPlugin<'a>>,
}

/// A ScheduledBackup or a Backup (`postgresql.cnpg.io`).
pub struct CnpgBackup<'a> {
    pub document: usize,
    /// `ScheduledBackup` or `Backup`.
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// `spec.cluster.name`.
    pub cluster: Option<&'a str>,
    /// `spec.method` as written; [`CnpgBackup::method`] applies the default.
    pub method_field: Option<&'a str>,
    /// `spec.pluginConfiguration.name`.
    pub plugin_name: Option<&'a str>,
    /// `spec.schedule` (ScheduledBackups only).
    pub schedule: Option<&'a str>,
    /// `spec.suspend`.
    pub suspended: bool,
}

impl CnpgBackup<'_> {
    /// The backup method: `spec.method`, which defaults to `barmanObjectStore`.
    pub fn method(&self) -> &str {
        self.method_field.unwrap_or("barmanObjectStore")
    }
}

/// The barman-cloud plugin's ObjectStore (`barmancloud.cnpg.io`).
pub struct ObjectStore<'a> {
    pub document: usize,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// `spec.configuration.destinationPath`.
    pub destination_path: Option<&'a str>,
    /// `spec.configuration.endpointURL`.
    pub endpoint_url: Option<&'a str>,
    /// `spec.retentionPolicy`.
    pub retention_policy: Option<&'a str>,
}

/// An ImageCatalog or ClusterImageCatalog (`postgresql.cnpg.io`).
pub struct ImageCatalog<'a> {
    pub document: usize,
    pub kind: &'a str,
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    /// `spec.images`: major version and image.
    pub images: Vec<(i64, &'a str)>,
}

/// Where a Cluster archives its WAL or reads a recovery from: an object
/// store's destination and the server's folder in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLocation<'a> {
    /// The destination path (trailing `/` dropped), or, when the ObjectStore
    /// holding it is not among the documents, `objectstore:<name>`.
    pub destination: String,
    pub endpoint_url: Option<&'a str>,
    pub server_name: &'a str,
    /// Whether `server_name` is a default (not written).
    pub default_server_name: bool,
    /// JSON pointer, in the Cluster's document, of what configures it.
    pub pointer: String,
    /// What configures it, for messages: `` `backup.barmanObjectStore` ``, `` ObjectStore `x` `` or `` externalClusters `x` ``.
    pub via: String,
}

impl ArchiveLocation<'_> {
    /// Whether two locations are in the same store, at the same destination
    /// path. An endpoint counts only when both give one.
    pub fn same_store(&self, other: &ArchiveLocation<'_>) -> bool {
        let endpoints = match (self.endpoint_url, other.endpoint_url) {
            (Some(a), Some(b)) => a.trim_end_matches('/') == b.trim_end_matches('/'),
            _ => true,
        };
        self.destination == other.destination && endpoints
    }

    /// Whether two locations are the same server's folder of the same store.
    pub fn same_as(&self, other: &ArchiveLocation<'_>) -> bool {
        self.same_store(other) && self.server_name == other.server_name
    }
}

fn namespace_of(object: &Value) -> Option<&str> {
    object["metadata"]["namespace"].as_str().filter(|s| !s.is_empty())
}

/// Whether two objects may be in one namespace: the same, or either unsaid.
pub fn same_namespace(a: Option<&str>, b: Option<&str>) -> bool {
    a.is_none() || b.is_none() || a == b
}

impl<'a> CnpgCluster<'a> {
    /// The Cluster a document is, if it is one.
    pub fn of(document: usize, manifest: &'a Manifest) -> Option<CnpgCluster<'a>> {
        let object: &Value = &manifest.object;
        if manifest.kind() != "Cluster" || api_group(object) != CNPG_GROUP {
            return None;
        }
        let spec = &object["spec"];
        let backup = &spec["backup"];
        let catalog = &spec["imageCatalogRef"];
        let image_catalog = catalog["name"].as_str().map(|name| (catalog["kind"].as_str().unwrap_or("ImageCatalog"), name, catalog["major"].as_i64().unwrap_or(0)));
        let plugins = spec["plugins"].as_array().into_iter().flatten().enumerate().filter_map(|(i, p)| CnpgPlugin::of(p, format!("/spec/plugins/{i}"))).collect();
        let external_clusters = spec["externalClusters"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, e)| {
                let pointer = format!("/spec/externalClusters/{i}");
                Some(ExternalCluster {
                    name: e["name"].as_str()?,
                    barman_object_store: BarmanStore::of(&e["barmanObjectStore"], format!("{pointer}/barmanObjectStore")),
                    plugin: CnpgPlugin::of(&e["plugin"], format!("{pointer}/plugin")),
                    pointer,
                })
            })
            .collect();
        Some(CnpgCluster {
            document,
            name: manifest.name(),
            namespace: namespace_of(object),
            object,
            image_name: spec["imageName"].as_str().filter(|s| !s.is_empty()),
            image_catalog,
            has_backup_section: backup.is_object(),
            barman_object_store: BarmanStore::of(&backup["barmanObjectStore"], "/spec/backup/barmanObjectStore".to_string()),
            retention_policy: backup["retentionPolicy"].as_str().filter(|s| !s.is_empty()),
            volume_snapshot: backup["volumeSnapshot"].is_object(),
            plugins,
            recovery_source: spec["bootstrap"]["recovery"]["source"].as_str().filter(|s| !s.is_empty()),
            replica_source: spec["replica"]["source"].as_str().filter(|s| !s.is_empty()),
            external_clusters,
        })
    }

    /// The external cluster of a name.
    pub fn external_cluster(&self, name: &str) -> Option<&ExternalCluster<'a>> {
        self.external_clusters.iter().find(|e| e.name == name)
    }

    /// Its enabled plugins.
    pub fn enabled_plugins(&self) -> impl Iterator<Item = &CnpgPlugin<'a>> {
        self.plugins.iter().filter(|p| p.enabled)
    }

    /// The enabled barman-cloud plugin entry, which archives WAL to its
    /// `barmanObjectName` (the plugin reads that parameter of this entry).
    pub fn barman_cloud_plugin(&self) -> Option<&CnpgPlugin<'a>> {
        self.enabled_plugins().find(|p| p.is_barman_cloud())
    }

    /// Whether the annotation `cnpg.io/skipEmptyWalArchiveCheck: enabled` turns off the empty-archive check.
    pub fn skips_empty_archive_check(&self) -> bool {
        self.object["metadata"]["annotations"]["cnpg.io/skipEmptyWalArchiveCheck"].as_str() == Some("enabled")
    }

    /// Whether it uses the in-tree Barman Cloud support anywhere: to archive,
    /// or to read a recovery or a replica source.
    pub fn uses_in_tree_barman(&self) -> bool {
        let source_in_tree = |source: Option<&str>| source.and_then(|s| self.external_cluster(s)).is_some_and(|e| e.barman_object_store.is_some());
        self.barman_object_store.is_some() || source_in_tree(self.recovery_source) || source_in_tree(self.replica_source)
    }
}

impl<'a> Cnpg<'a> {
    /// The CloudNativePG resources among a rendering's documents.
    pub fn of(manifests: &'a [Manifest]) -> Cnpg<'a> {
        let mut out = Cnpg { clusters: Vec::new(), backups: Vec::new(), object_stores: Vec::new(), catalogs: Vec::new() };
        for (document, manifest) in manifests.iter().enumerate() {
            let object: &Value = &manifest.object;
            let spec = &object["spec"];
            match (api_group(object), manifest.kind()) {
                (CNPG_GROUP, "Cluster") => out.clusters.extend(CnpgCluster::of(document, manifest)),
                (CNPG_GROUP, kind @ ("ScheduledBackup" | "Backup")) => out.backups.push(CnpgBackup {
                    document,
                    kind,
                    name: manifest.name(),
                    namespace: namespace_of(object),
                    cluster: spec["cluster"]["name"].as_str(),
                    method_field: spec["method"].as_str().filter(|s| !s.is_empty()),
                    plugin_name: spec["pluginConfiguration"]["name"].as_str().filter(|s| !s.is_empty()),
                    schedule: spec["schedule"].as_str(),
                    suspended: spec["suspend"].as_bool().unwrap_or(false),
                }),
                (CNPG_GROUP, kind @ ("ImageCatalog" | "ClusterImageCatalog")) => out.catalogs.push(ImageCatalog {
                    document,
                    kind,
                    name: manifest.name(),
                    namespace: namespace_of(object),
                    images: spec["images"].as_array().into_iter().flatten().filter_map(|i| Some((i["major"].as_i64()?, i["image"].as_str()?))).collect(),
                }),
                (BARMAN_CLOUD_GROUP, "ObjectStore") => out.object_stores.push(ObjectStore {
                    document,
                    name: manifest.name(),
                    namespace: namespace_of(object),
                    destination_path: spec["configuration"]["destinationPath"].as_str().filter(|s| !s.is_empty()),
                    endpoint_url: spec["configuration"]["endpointURL"].as_str().filter(|s| !s.is_empty()),
                    retention_policy: spec["retentionPolicy"].as_str().filter(|s| !s.is_empty()),
                }),
                _ => {}
            }
        }
        out
    }

    /// The Cluster a backup targets, when it is among the documents.
    pub fn cluster_of(&self, backup: &CnpgBackup<'_>) -> Option<&CnpgCluster<'a>> {
        let name = backup.cluster?;
        self.clusters.iter().find(|c| c.name == name && same_namespace(c.namespace, backup.namespace))
    }

    /// The ObjectStore of a name, seen from a Cluster, when it is among the documents.
    pub fn object_store(&self, name: &str, cluster: &CnpgCluster<'_>) -> Option<&ObjectStore<'a>> {
        self.object_stores.iter().find(|s| s.name == name && same_namespace(s.namespace, cluster.namespace))
    }

    /// The image a Cluster runs, when it says: its `imageName`, or its
    /// catalog's image for its major version when the catalog is among the documents.
    pub fn image_of(&self, cluster: &CnpgCluster<'a>) -> Option<&'a str> {
        if cluster.image_name.is_some() {
            return cluster.image_name;
        }
        let (kind, name, major) = cluster.image_catalog?;
        let catalog = self.catalogs.iter().find(|c| c.kind == kind && c.name == name && (kind == "ClusterImageCatalog" || same_namespace(c.namespace, cluster.namespace)))?;
        catalog.images.iter().find(|(m, _)| *m == major).map(|(_, image)| *image)
    }

    /// Where a Cluster archives its WAL: its in-tree `backup.barmanObjectStore`
    /// (server name defaulting to the Cluster's name), or the ObjectStore its
    /// barman-cloud plugin entry names (the `serverName` parameter defaulting
    /// to the Cluster's name).
    pub fn archive_of(&self, cluster: &CnpgCluster<'a>) -> Option<ArchiveLocation<'a>> {
        if let Some(store) = &cluster.barman_object_store {
            return in_tree_archive(store, cluster.name, "`backup.barmanObjectStore`".to_string());
        }
        let plugin = cluster.barman_cloud_plugin()?;
        let via = format!("ObjectStore `{}`", plugin.parameter("barmanObjectName").unwrap_or_default());
        self.plugin_archive(plugin, cluster, via)
    }

    /// Where a Cluster's recovery reads from: the external cluster its
    /// `bootstrap.recovery.source` names, with an in-tree `barmanObjectStore`
    /// (server name defaulting to the external cluster's name) or the
    /// barman-cloud plugin (the `serverName` parameter defaulting, as the
    /// plugin reads it, to the recovering Cluster's own name).
    pub fn recovery_of(&self, cluster: &CnpgCluster<'a>) -> Option<ArchiveLocation<'a>> {
        let external = cluster.external_cluster(cluster.recovery_source?)?;
        let via = format!("externalClusters `{}`", external.name);
        if let Some(store) = &external.barman_object_store {
            return in_tree_archive(store, external.name, via);
        }
        let plugin = external.plugin.as_ref().filter(|p| p.is_barman_cloud() && p.enabled)?;
        self.plugin_archive(plugin, cluster, via)
    }

    /// The archive a barman-cloud plugin entry names: its ObjectStore's path,
    /// under the `serverName` parameter or else `cluster`'s name.
    fn plugin_archive(&self, plugin: &CnpgPlugin<'a>, cluster: &CnpgCluster<'a>, via: String) -> Option<ArchiveLocation<'a>> {
        let server = plugin.parameter("serverName");
        let (destination, endpoint_url) = self.store_destination(plugin.parameter("barmanObjectName")?, cluster);
        Some(ArchiveLocation {
            destination,
            endpoint_url,
            server_name: server.unwrap_or(cluster.name),
            default_server_name: server.is_none(),
            pointer: format!("{}/parameters", plugin.pointer),
            via,
        })
    }

    /// An ObjectStore's destination path and endpoint, or its name alone when it is not among the documents.
    fn store_destination(&self, name: &str, cluster: &CnpgCluster<'_>) -> (String, Option<&'a str>) {
        match self.object_store(name, cluster) {
            Some(store) if store.destination_path.is_some() => (store.destination_path.unwrap_or_default().trim_end_matches('/').to_string(), store.endpoint_url),
            _ => (format!("objectstore:{name}"), None),
        }
    }
}

/// The archive an in-tree `barmanObjectStore` names, under its `serverName`
/// or else `owner`, the name of the cluster it belongs to.
fn in_tree_archive<'a>(store: &BarmanStore<'a>, owner: &'a str, via: String) -> Option<ArchiveLocation<'a>> {
    Some(ArchiveLocation {
        destination: store.destination_path?.trim_end_matches('/').to_string(),
        endpoint_url: store.endpoint_url,
        server_name: store.server_name.unwrap_or(owner),
        default_server_name: store.server_name.is_none(),
        pointer: store.pointer.clone(),
        via,
    })
}

/// A JSON pointer segment, escaped.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parts_split_the_tag_and_keep_registry_ports() {
        assert_eq!(image_parts("postgres:16.6"), ("postgres", "16.6"));
        assert_eq!(image_parts("registry:5000/postgres"), ("registry:5000/postgres", ""));
        assert_eq!(image_parts("postgres@sha256:abc"), ("postgres", "sha256:abc"));
    }
}
