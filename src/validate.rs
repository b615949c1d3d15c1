//! Validation of what one combination renders: the values against
//! `values.schema.json`, each document against the strict schema of its
//! kind, and the references between documents.
//!
//! Core kinds take their schemas from the `k8s-openapi` crate (Kubernetes
//! 1.33), tightened the way the API server reads a manifest strictly: an
//! object that lists its fields accepts no others, `IntOrString` and
//! `Quantity` get real types, enum-like strings get their values, and
//! `apiVersion`/`kind` are required and fixed. Custom resources use the
//! schemas under each component's `schemas/`, or the `openAPIV3Schema` of real CRD manifests
//! given with `--crds`. Every validator is compiled once and shared.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core, networking::v1 as networking, policy::v1 as policy,
    rbac::v1 as rbac,
};
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::diagnostic::{nearest, BadInput, Diagnostic};
use crate::extract::{is_cnpg, pod_spec, pod_template_labels, selector_matches, Manifest, BARMAN_CLOUD_PLUGIN};

/// The Kubernetes version whose API types the core schemas come from.
pub const KUBERNETES_VERSION: &str = "1.33";

/// One problem a schema found, at a JSON pointer into the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

/// Whose schema a kind has: Kubernetes' own, or a custom resource's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    Core,
    Custom,
}

/// A compiled schema, where in it a kind's definition starts, and whose it is.
struct KindSchema {
    validator: Arc<jsonschema::Validator>,
    schema: Arc<Value>,
    /// The kind's definition in `schema`, or `None` when the whole schema is the kind's.
    definition: Option<String>,
    kind: SchemaKind,
    /// The custom resource's `x-kubernetes-validations` rules, compiled, when it has any.
    cel: Option<Arc<kube_cel::CompiledSchema>>,
}

/// Every validator a check needs, compiled once.
pub struct Validators {
    values: jsonschema::Validator,
    values_schema: Value,
    kinds: HashMap<(String, String), KindSchema>,
}

// Schemas chartgen ships for the custom resources its components emit, each
// in its component's `schemas/` folder.
include!(concat!(env!("OUT_DIR"), "/crd_schemas.rs"));

/// Values some string fields of the API may take, from the API reference.
const ENUMS: &[(&str, &str, &[&str])] = &[
    ("io.k8s.api.batch.v1.CronJobSpec", "concurrencyPolicy", &["Allow", "Forbid", "Replace"]),
    ("io.k8s.api.core.v1.PodSpec", "restartPolicy", &["Always", "OnFailure", "Never"]),
    ("io.k8s.api.core.v1.Container", "imagePullPolicy", &["Always", "IfNotPresent", "Never"]),
    ("io.k8s.api.apps.v1.StatefulSetUpdateStrategy", "type", &["RollingUpdate", "OnDelete"]),
    ("io.k8s.api.apps.v1.StatefulSetSpec", "podManagementPolicy", &["OrderedReady", "Parallel"]),
    ("io.k8s.api.core.v1.SeccompProfile", "type", &["Localhost", "RuntimeDefault", "Unconfined"]),
    ("io.k8s.api.core.v1.ServiceSpec", "type", &["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]),
    ("io.k8s.api.core.v1.ServicePort", "protocol", &["TCP", "UDP", "SCTP"]),
    ("io.k8s.api.core.v1.ContainerPort", "protocol", &["TCP", "UDP", "SCTP"]),
    ("io.k8s.api.core.v1.Toleration", "operator", &["Exists", "Equal"]),
    ("io.k8s.api.core.v1.Toleration", "effect", &["NoSchedule", "PreferNoSchedule", "NoExecute"]),
    ("io.k8s.api.networking.v1.NetworkPolicyPort", "protocol", &["TCP", "UDP", "SCTP"]),
    ("io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement", "operator", &["In", "NotIn", "Exists", "DoesNotExist"]),
];

/// Kubernetes' quantity syntax (`resource.Quantity`).
const QUANTITY_PATTERN: &str = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?[0-9]+))?$";

/// One kind's place in the combined core schema.
struct CoreKind {
    api_version: &'static str,
    kind: &'static str,
    definition: String,
}

fn core_kind<T: JsonSchema + k8s_openapi::Resource>(generator: &mut schemars::SchemaGenerator) -> CoreKind {
    generator.subschema_for::<T>();
    CoreKind { api_version: T::API_VERSION, kind: T::KIND, definition: T::schema_name().into_owned() }
}

/// One schema for every core kind, sharing its definitions so that each
/// (PodSpec, ObjectMeta, ...) is compiled once: the document's
/// `apiVersion` and `kind` select the definition it must satisfy.
fn core_schema() -> (Value, Vec<CoreKind>) {
    let mut generator = SchemaSettings::draft07().into_generator();
    // The kinds a chart's workloads are commonly made of, whatever component emits them.
    let kinds = vec![
        core_kind::<core::Pod>(&mut generator),
        core_kind::<core::ConfigMap>(&mut generator),
        core_kind::<core::Secret>(&mut generator),
        core_kind::<core::Service>(&mut generator),
        core_kind::<core::PersistentVolumeClaim>(&mut generator),
        core_kind::<core::ServiceAccount>(&mut generator),
        core_kind::<apps::StatefulSet>(&mut generator),
        core_kind::<apps::Deployment>(&mut generator),
        core_kind::<batch::Job>(&mut generator),
        core_kind::<batch::CronJob>(&mut generator),
        core_kind::<apps::DaemonSet>(&mut generator),
        core_kind::<networking::NetworkPolicy>(&mut generator),
        core_kind::<networking::Ingress>(&mut generator),
        core_kind::<policy::PodDisruptionBudget>(&mut generator),
        core_kind::<rbac::Role>(&mut generator),
        core_kind::<rbac::RoleBinding>(&mut generator),
        core_kind::<autoscaling::HorizontalPodAutoscaler>(&mut generator),
    ];
    let mut definitions = Value::Object(generator.take_definitions(true));
    for (name, definition) in definitions.as_object_mut().expect("a map") {
        for (owner, field, values) in ENUMS {
            if name == owner {
                definition["properties"][*field]["enum"] = json!(values);
            }
        }
        if name == "io.k8s.api.networking.v1.NetworkPolicySpec" {
            definition["properties"]["policyTypes"]["items"]["enum"] = json!(["Ingress", "Egress"]);
        }
        if name == "io.k8s.api.core.v1.PersistentVolumeClaimSpec" {
            definition["properties"]["accessModes"]["items"]["enum"] = json!(["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]);
        }
    }
    tighten(&mut definitions);
    // A kind's definition also describes embedded objects (a StatefulSet's
    // claim templates), so only the selector requires a top-level document's
    // `apiVersion`, `kind` and `metadata`.
    let selectors: Vec<Value> = kinds
        .iter()
        .map(|kind| {
            json!({
                "if": {"properties": {"apiVersion": {"const": kind.api_version}, "kind": {"const": kind.kind}}, "required": ["apiVersion", "kind"]},
                "then": {"allOf": [{"$ref": format!("#/definitions/{}", kind.definition)}], "required": ["apiVersion", "kind", "metadata"]},
            })
        })
        .collect();
    (json!({"$schema": "http://json-schema.org/draft-07/schema#", "definitions": definitions, "allOf": selectors}), kinds)
}

/// Strictness: closed objects, and real types for the int-or-string kinds.
fn tighten(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
                let quantity = map.get("description").and_then(Value::as_str).is_some_and(|d| d.starts_with("Quantity"));
                let text = if quantity { json!({"type": "string", "pattern": QUANTITY_PATTERN}) } else { json!({"type": "string"}) };
                map.insert("anyOf".into(), json!([{"type": "integer"}, text]));
            }
            if map.contains_key("properties")
                && !map.contains_key("additionalProperties")
                && map.get("x-kubernetes-preserve-unknown-fields") != Some(&Value::Bool(true))
            {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(tighten);
        }
        Value::Array(items) => items.iter_mut().for_each(tighten),
        _ => {}
    }
}

fn compile(schema: &Value, source: &str) -> Result<jsonschema::Validator, BadInput> {
    jsonschema::draft7::options()
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| Diagnostic::plain(format!("the schema from {source} does not compile: {e}")).into())
}

impl Validators {
    /// Compiles the values schema, the core kinds, the shipped CRD schemas
    /// and, when given, every served version of the CRDs in `crds`.
    pub fn new(values_schema: Value, crds: Option<&Path>) -> Result<Validators, BadInput> {
        let mut custom: Vec<(Value, String)> =
            CRD_SCHEMAS.iter().map(|(path, text)| (serde_json::from_str(text).expect("the shipped schemas are JSON"), path.to_string())).collect();
        if let Some(dir) = crds {
            custom.extend(crd_schemas(dir)?);
        }
        // Compiling the schemas is most of a check's fixed cost; spread it over the cores.
        let ((core, values), custom) = rayon::join(
            || {
                rayon::join(
                    || {
                        let (schema, kinds) = core_schema();
                        compile(&schema, "k8s-openapi").map(|validator| (Arc::new(validator), Arc::new(schema), kinds))
                    },
                    || compile(&values_schema, "values.schema.json"),
                )
            },
            || {
                custom
                    .into_par_iter()
                    .map(|(schema, source)| {
                        let validator = compile(&schema, &source)?;
                        let cel = compile_cel(&schema, &source)?;
                        Ok((validator, schema, cel))
                    })
                    .collect::<Result<Vec<_>, BadInput>>()
            },
        );
        let (validator, schema, core_kinds) = core?;
        let mut kinds = HashMap::new();
        for kind in core_kinds {
            kinds.insert(
                (kind.api_version.to_string(), kind.kind.to_string()),
                KindSchema {
                    validator: validator.clone(),
                    schema: schema.clone(),
                    definition: Some(kind.definition),
                    kind: SchemaKind::Core,
                    cel: None,
                },
            );
        }
        // In order, so that a CRD given with --crds replaces the shipped schema of its kind.
        for (validator, schema, cel) in custom? {
            let key = (schema["properties"]["apiVersion"]["const"].as_str().unwrap_or_default().to_string(), schema["properties"]["kind"]["const"].as_str().unwrap_or_default().to_string());
            kinds.insert(key, KindSchema { validator: Arc::new(validator), schema: Arc::new(schema), definition: None, kind: SchemaKind::Custom, cel });
        }
        Ok(Validators { values: values?, values_schema, kinds })
    }

    /// Problems of the merged values against `values.schema.json`.
    pub fn values(&self, values: &Value) -> Vec<Problem> {
        problems(&self.values, &self.values_schema, &self.values_schema, values)
    }

    /// Problems of one document against the schema of its kind, and whose schema it is.
    pub fn document(&self, object: &Value) -> (Vec<Problem>, Option<SchemaKind>) {
        let key = (object["apiVersion"].as_str().unwrap_or_default().to_string(), object["kind"].as_str().unwrap_or_default().to_string());
        match self.kinds.get(&key) {
            Some(kind) => {
                let start = kind.definition.as_ref().map_or(&*kind.schema, |name| &kind.schema["definitions"][name]);
                let mut found = problems(&kind.validator, &kind.schema, start, object);
                if let Some(cel) = &kind.cel {
                    found.extend(cel_problems(cel, object));
                }
                (found, Some(kind.kind))
            }
            None => (
                vec![Problem { pointer: String::new(), message: format!("no schema for {} {}; give its CRD with --crds", key.0, key.1) }],
                None,
            ),
        }
    }
}

/// Compiles a custom resource's `x-kubernetes-validations` rules with
/// kube-cel (the Kubernetes CEL libraries over the `cel` crate), its
/// definitions inlined first; `None` when it has none. A rule that does not
/// compile is bad input, not a rule silently skipped.
fn compile_cel(schema: &Value, source: &str) -> Result<Option<Arc<kube_cel::CompiledSchema>>, BadInput> {
    if !schema.to_string().contains("x-kubernetes-validations") {
        return Ok(None);
    }
    let compiled = kube_cel::compile_schema(&inline_definitions(schema, &schema["definitions"], 0));
    let mut errors = Vec::new();
    collect_cel_errors(&compiled, &mut errors);
    match errors.is_empty() {
        true => Ok(Some(Arc::new(compiled))),
        false => Err(Diagnostic::plain(format!("the CEL rules of {source} do not compile: {}", errors.join("; "))).into()),
    }
}

fn collect_cel_errors(node: &kube_cel::CompiledSchema, out: &mut Vec<String>) {
    out.extend(node.compilation_errors().iter().map(|e| e.to_string()));
    let children = node.properties.values().chain(node.items.as_deref()).chain(node.additional_properties.as_deref());
    for child in children.chain(&node.all_of).chain(&node.one_of).chain(&node.any_of) {
        collect_cel_errors(child, out);
    }
}

/// The schema with each `#/definitions/…` reference replaced by its target,
/// since CEL rules are found by walking `properties`; bounded in depth.
fn inline_definitions(node: &Value, definitions: &Value, depth: usize) -> Value {
    match node {
        Value::Object(map) if depth < 64 => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/definitions/")).and_then(|name| definitions.get(name)) {
                let mut merged = inline_definitions(target, definitions, depth + 1);
                for (key, value) in map.iter().filter(|(key, _)| *key != "$ref") {
                    merged[key] = inline_definitions(value, definitions, depth + 1);
                }
                return merged;
            }
            Value::Object(map.iter().filter(|(key, _)| *key != "definitions").map(|(key, value)| (key.clone(), inline_definitions(value, definitions, depth + 1))).collect())
        }
        Value::Array(items) if depth < 64 => Value::Array(items.iter().map(|item| inline_definitions(item, definitions, depth + 1)).collect()),
        other => other.clone(),
    }
}

/// The CEL rules a document breaks, as the API server would report them on
/// create: transition rules (those that read `oldSelf`) only run on update
/// and are left out.
fn cel_problems(compiled: &kube_cel::CompiledSchema, object: &Value) -> Vec<Problem> {
    thread_local! {
        static CEL: kube_cel::Validator = kube_cel::Validator::new();
    }
    let Err(errors) = CEL.with(|cel| cel.validate_compiled(compiled, object, None)) else { return Vec::new() };
    errors
        .iter()
        .map(|error| Problem { pointer: field_pointer(&error.field_path), message: format!("{} (CEL rule `{}`)", error.message, error.rule) })
        .collect()
}

/// A field path as kube-cel writes it (`spec.plugins[0].name`) as a JSON pointer.
fn field_pointer(path: &str) -> String {
    path.split('.').filter(|s| !s.is_empty()).flat_map(|segment| segment.split('[').map(|part| part.trim_end_matches(']'))).map(|part| format!("/{part}")).collect()
}

fn problems(validator: &jsonschema::Validator, schema: &Value, start: &Value, instance: &Value) -> Vec<Problem> {
    // Most instances are valid, and asking only whether is much cheaper than collecting errors.
    if validator.is_valid(instance) {
        return Vec::new();
    }
    let mut out: Vec<Problem> = validator
        .iter_errors(instance)
        .map(|error| {
            let pointer = error.instance_path().to_string();
            let message = match error.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                    .iter()
                    .map(|field| {
                        let known = schema_at(schema, start, &pointer).and_then(|s| s["properties"].as_object()).map(|p| p.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
                        if let Some(belongs) = misplaced_security_field(schema, &known, field) {
                            return format!("unknown field `{field}` here: {belongs}");
                        }
                        match nearest(field, known.iter().map(String::as_str)) {
                            Some(near) => format!("unknown field `{field}`; did you mean `{near}`?"),
                            None => format!("unknown field `{field}`"),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                ValidationErrorKind::Required { property } => format!("missing required field `{}`", property.as_str().unwrap_or_default()),
                ValidationErrorKind::Enum { options } => format!("{} is not one of {options}", error.instance()),
                ValidationErrorKind::Type { .. } => format!("wrong type: {error}"),
                _ => error.to_string(),
            };
            Problem { pointer, message }
        })
        .collect();
    // An `anyOf` failure repeats what its branches said; keep one line per place and message.
    let mut seen = BTreeSet::new();
    out.retain(|p| seen.insert((p.pointer.clone(), p.message.clone())));
    out
}

/// Where a security setting belongs when it sits in the other of the two
/// security contexts: the API server drops it silently where it is. Which
/// fields each holds comes from the core schema.
fn misplaced_security_field(schema: &Value, known: &[String], field: &str) -> Option<&'static str> {
    let fields = |definition: &str| schema["definitions"][definition]["properties"].as_object();
    let (pod, container) = (fields("io.k8s.api.core.v1.PodSecurityContext")?, fields("io.k8s.api.core.v1.SecurityContext")?);
    let is = |definition: &serde_json::Map<String, Value>| known.len() == definition.len() && known.iter().all(|k| definition.contains_key(k));
    if is(pod) && container.contains_key(field) {
        Some("it is a container's setting: move it to each container's `securityContext` (`containers[*].securityContext`)")
    } else if is(container) && pod.contains_key(field) {
        Some("it is the pod's setting: move it to the pod's `securityContext` (`spec.securityContext` of the pod template)")
    } else {
        None
    }
}

/// The subschema under `start` that describes the value at `pointer`,
/// following `$ref`s into the `definitions` of `root`.
fn schema_at<'a>(root: &'a Value, start: &'a Value, pointer: &str) -> Option<&'a Value> {
    // schemars writes a described reference as `allOf: [{$ref}]`.
    let resolve = |mut node: &'a Value| {
        loop {
            if let Some(reference) = node.get("$ref").and_then(Value::as_str) {
                node = reference.strip_prefix("#/definitions/").and_then(|name| root["definitions"].get(name))?;
            } else if let Some([only]) = node.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                node = only;
            } else {
                return Some(node);
            }
        }
    };
    let mut node = resolve(start)?;
    for segment in pointer.split('/').skip(1) {
        node = if segment.parse::<usize>().is_ok() && node.get("items").is_some() {
            resolve(&node["items"])?
        } else {
            resolve(node.get("properties")?.get(segment)?)?
        };
    }
    Some(node)
}

/// The served versions' schemas of every CRD manifest under `dir`.
fn crd_schemas(dir: &Path) -> Result<Vec<(Value, String)>, BadInput> {
    let entries = std::fs::read_dir(dir).map_err(|e| Diagnostic::plain(format!("cannot read --crds {}: {e}", dir.display())))?;
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml")).collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let bytes = crate::place::read_limited(&path).map_err(|e| Diagnostic::plain(format!("cannot read {name}: {e}")))?;
        let crd = crate::source::load_bytes(&name, bytes)?.to_json();
        if crd["kind"] != "CustomResourceDefinition" {
            continue;
        }
        let group = crd["spec"]["group"].as_str().unwrap_or_default();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
        for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
            if version["served"] != true {
                continue;
            }
            let Some(schema) = version["schema"].get("openAPIV3Schema") else { continue };
            let mut schema = schema.clone();
            tighten(&mut schema);
            ecma_patterns(&mut schema);
            schema["properties"]["apiVersion"] = json!({ "const": format!("{group}/{}", version["name"].as_str().unwrap_or_default()) });
            schema["properties"]["kind"] = json!({ "const": kind });
            schema["required"] = json!(["apiVersion", "kind"]);
            out.push((schema, format!("{name} ({})", version["name"].as_str().unwrap_or_default())));
        }
    }
    if out.is_empty() {
        return Err(Diagnostic::plain(format!("no CustomResourceDefinition with a schema under {}", dir.display()))
            .with_help("give a directory of CRD manifests (*.yaml), such as the ones the operator's Helm chart installs")
            .into());
    }
    Ok(out)
}

/// CRD patterns are Go regular expressions; JSON Schema's are ECMA 262,
/// which has no inline flags. A leading `(?i)` becomes letter classes.
fn ecma_patterns(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(pattern)) = map.get_mut("pattern")
                && pattern.contains("(?i)")
            {
                let mut out = String::new();
                let mut escaped = false;
                let mut in_class = false;
                for c in pattern.replace("(?i)", "").chars() {
                    match c {
                        _ if escaped => {
                            out.push(c);
                            escaped = false;
                        }
                        '\\' => {
                            out.push(c);
                            escaped = true;
                        }
                        '[' | ']' => {
                            in_class = c == '[';
                            out.push(c);
                        }
                        c if c.is_ascii_alphabetic() && in_class => {
                            out.push(c.to_ascii_lowercase());
                            out.push(c.to_ascii_uppercase());
                        }
                        c if c.is_ascii_alphabetic() => out.push_str(&format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())),
                        c => out.push(c),
                    }
                }
                *pattern = out;
            }
            map.values_mut().for_each(ecma_patterns);
        }
        Value::Array(items) => items.iter_mut().for_each(ecma_patterns),
        _ => {}
    }
}

/// An object a document refers to by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    pub kind: &'static str,
    pub name: String,
    /// Where in the referring document: a JSON pointer.
    pub pointer: String,
    /// The keys of a Secret or ConfigMap it reads, each with where it names it.
    pub keys: Vec<(String, String)>,
    /// Marked `optional: true`: the pod starts without the object or the key.
    pub optional: bool,
}

/// Every Secret, ConfigMap, PVC, Service, ServiceAccount, Cluster and ObjectStore a document names.
pub fn references(object: &Value) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut keyed = |kind: &'static str, name: &Value, pointer: String, keys: Vec<(String, String)>, optional: &Value| {
        if let Some(name) = name.as_str() {
            out.push(Reference { kind, name: name.to_string(), pointer, keys, optional: optional.as_bool() == Some(true) });
        }
    };
    let mut add = |kind: &'static str, name: &Value, pointer: String| keyed(kind, name, pointer, Vec::new(), &Value::Null);
    if object["kind"] == "StatefulSet" {
        add("Service", &object["spec"]["serviceName"], "/spec/serviceName".into());
    }
    // CloudNativePG's and the barman-cloud plugin's resources name a Cluster, Secrets and an ObjectStore.
    let spec = &object["spec"];
    match object["kind"].as_str() {
        Some("Cluster") if is_cnpg(object) => {
            add("Secret", &spec["bootstrap"]["initdb"]["secret"]["name"], "/spec/bootstrap/initdb/secret/name".into());
            for (i, plugin) in spec["plugins"].as_array().into_iter().flatten().enumerate() {
                if plugin["name"] == BARMAN_CLOUD_PLUGIN {
                    add("ObjectStore", &plugin["parameters"]["barmanObjectName"], format!("/spec/plugins/{i}/parameters/barmanObjectName"));
                }
            }
            for key in ["accessKeyId", "secretAccessKey"] {
                add("Secret", &spec["backup"]["barmanObjectStore"]["s3Credentials"][key]["name"], format!("/spec/backup/barmanObjectStore/s3Credentials/{key}/name"));
            }
            add("Secret", &spec["backup"]["barmanObjectStore"]["endpointCA"]["name"], "/spec/backup/barmanObjectStore/endpointCA/name".into());
        }
        Some("ObjectStore") if is_cnpg(object) => {
            for key in ["accessKeyId", "secretAccessKey"] {
                add("Secret", &spec["configuration"]["s3Credentials"][key]["name"], format!("/spec/configuration/s3Credentials/{key}/name"));
            }
            add("Secret", &spec["configuration"]["endpointCA"]["name"], "/spec/configuration/endpointCA/name".into());
        }
        Some("ScheduledBackup") if is_cnpg(object) => add("Cluster", &spec["cluster"]["name"], "/spec/cluster/name".into()),
        _ => {}
    }
    let Some((pod, base)) = pod_spec(object) else { return out };
    // Kubernetes creates the ServiceAccount `default` in every namespace.
    if pod["serviceAccountName"] != "default" {
        add("ServiceAccount", &pod["serviceAccountName"], format!("{base}/serviceAccountName"));
    }
    for (i, volume) in pod["volumes"].as_array().into_iter().flatten().enumerate() {
        for (kind, source, field) in [("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name")] {
            let source_at = &volume[source];
            let keys = source_at["items"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
                .filter_map(|(k, item)| Some((item["key"].as_str()?.to_string(), format!("{base}/volumes/{i}/{source}/items/{k}/key"))))
                .collect();
            keyed(kind, &source_at[field], format!("{base}/volumes/{i}/{source}/{field}"), keys, &source_at["optional"]);
        }
        keyed("PersistentVolumeClaim", &volume["persistentVolumeClaim"]["claimName"], format!("{base}/volumes/{i}/persistentVolumeClaim/claimName"), Vec::new(), &Value::Null);
    }
    for list in ["initContainers", "containers"] {
        for (c, container) in pod[list].as_array().into_iter().flatten().enumerate() {
            let at = format!("{base}/{list}/{c}");
            for (e, env) in container["env"].as_array().into_iter().flatten().enumerate() {
                for (kind, field) in [("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef")] {
                    let selector = &env["valueFrom"][field];
                    let keys = selector["key"].as_str().map(|key| (key.to_string(), format!("{at}/env/{e}/valueFrom/{field}/key"))).into_iter().collect();
                    keyed(kind, &selector["name"], format!("{at}/env/{e}/valueFrom/{field}/name"), keys, &selector["optional"]);
                }
            }
            for (e, from) in container["envFrom"].as_array().into_iter().flatten().enumerate() {
                keyed("Secret", &from["secretRef"]["name"], format!("{at}/envFrom/{e}/secretRef/name"), Vec::new(), &from["secretRef"]["optional"]);
                keyed("ConfigMap", &from["configMapRef"]["name"], format!("{at}/envFrom/{e}/configMapRef/name"), Vec::new(), &from["configMapRef"]["optional"]);
            }
        }
    }
    out
}

/// A reference problem in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceProblem {
    /// Index of the document in the rendering.
    pub document: usize,
    pub problem: Problem,
}

/// What one document alone says about references: the objects it names,
/// its volume mounts that name no volume, and its pod template's labels.
pub struct DocumentReferences {
    names: Vec<Reference>,
    unmounted: Vec<Problem>,
    pod_labels: Option<serde_json::Map<String, Value>>,
    /// The keys a Secret or ConfigMap holds.
    keys: BTreeSet<String>,
}

impl DocumentReferences {
    fn of(object: &Value) -> DocumentReferences {
        let mut unmounted = Vec::new();
        if let Some((pod, base)) = pod_spec(object) {
            let mut volumes: BTreeSet<&str> = pod["volumes"].as_array().into_iter().flatten().filter_map(|v| v["name"].as_str()).collect();
            volumes.extend(object["spec"]["volumeClaimTemplates"].as_array().into_iter().flatten().filter_map(|v| v["metadata"]["name"].as_str()));
            for list in ["initContainers", "containers"] {
                for (c, container) in pod[list].as_array().into_iter().flatten().enumerate() {
                    for (m, mount) in container["volumeMounts"].as_array().into_iter().flatten().enumerate() {
                        let name = mount["name"].as_str().unwrap_or_default();
                        if !volumes.contains(name) {
                            unmounted.push(Problem { pointer: format!("{base}/{list}/{c}/volumeMounts/{m}/name"), message: format!("the volume `{name}` is mounted but not declared") });
                        }
                    }
                }
            }
        }
        let fields: &[&str] = match object["kind"].as_str() {
            Some("Secret") => &["data", "stringData"],
            Some("ConfigMap") => &["data", "binaryData"],
            _ => &[],
        };
        let keys = fields.iter().flat_map(|field| object[*field].as_object().into_iter().flat_map(|map| map.keys().cloned())).collect();
        DocumentReferences { names: references(object), unmounted, pod_labels: pod_template_labels(object).map(std::borrow::Cow::into_owned), keys }
    }
}

/// [`DocumentReferences`] by document digest: the combinations of a check share most documents.
pub type ReferenceCache = crate::extract::ByDigest<u64, Arc<DocumentReferences>>;

/// Checks the references between the documents of one rendering: every
/// object named is rendered or declared external, volume mounts name
/// volumes, and Service selectors match a pod template. (What a pre-install
/// hook may need is lint rule CG502.)
pub fn check_references(manifests: &[Manifest], external: &BTreeSet<(String, String)>, cache: &ReferenceCache) -> Vec<ReferenceProblem> {
    let documents: Vec<Arc<DocumentReferences>> =
        manifests.iter().map(|manifest| cache.get_or(manifest.digest, || Arc::new(DocumentReferences::of(&manifest.object)))).collect();
    let rendered: HashMap<(&str, &str), &DocumentReferences> = manifests.iter().zip(&documents).map(|(m, d)| ((m.kind(), m.name()), d.as_ref())).collect();
    let selects_a_pod = |selector: &Value| documents.iter().filter_map(|d| d.pod_labels.as_ref()).any(|labels| selector_matches(selector, labels));
    let mut out = Vec::new();
    for (index, (manifest, document)) in manifests.iter().zip(&documents).enumerate() {
        let mut problem = |pointer: String, message: String| out.push(ReferenceProblem { document: index, problem: Problem { pointer, message } });
        for reference in document.names.iter().filter(|r| !r.optional) {
            match rendered.get(&(reference.kind, reference.name.as_str())) {
                Some(target) => {
                    for (key, pointer) in reference.keys.iter().filter(|(key, _)| !target.keys.contains(key)) {
                        let held = target.keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
                        let held = if held.is_empty() { "no keys".to_string() } else { held };
                        problem(pointer.clone(), format!("{} `{}` is rendered without the key `{key}` (it holds {held}); the pod does not start", reference.kind, reference.name));
                    }
                }
                None if !external.contains(&(reference.kind.to_string(), reference.name.clone())) => problem(
                    reference.pointer.clone(),
                    format!("{} `{}` is neither rendered in this combination nor declared external in the values", reference.kind, reference.name),
                ),
                None => {}
            }
        }
        for unmounted in &document.unmounted {
            problem(unmounted.pointer.clone(), unmounted.message.clone());
        }
        if manifest.kind() == "Service"
            && let Some(selector) = manifest.object["spec"]["selector"].as_object()
            && !selects_a_pod(&json!({ "matchLabels": selector }))
        {
            problem("/spec/selector".into(), "the selector matches no pod template rendered in this combination".into());
        }
        if manifest.kind() == "NetworkPolicy" && !selects_a_pod(&manifest.object["spec"]["podSelector"]) {
            problem("/spec/podSelector".into(), "the policy selects no pod template rendered in this combination".into());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schemas_are_closed_and_typed() {
        let (schema, _) = core_schema();
        let cronjob = &schema["definitions"]["io.k8s.api.batch.v1.CronJob"];
        assert_eq!(cronjob["additionalProperties"], false);
        assert!(schema["allOf"].as_array().unwrap().iter().any(|s| s["if"]["properties"]["kind"]["const"] == "CronJob"));
        assert_eq!(schema["definitions"]["io.k8s.api.batch.v1.CronJobSpec"]["properties"]["concurrencyPolicy"]["enum"], json!(["Allow", "Forbid", "Replace"]));
        assert!(schema["definitions"]["io.k8s.apimachinery.pkg.api.resource.Quantity"]["anyOf"].is_array());
    }

    #[test]
    fn selectors_match_by_labels_and_expressions() {
        let labels = json!({"app": "db", "tier": "backend"});
        let labels = labels.as_object().unwrap();
        assert!(selector_matches(&json!({"matchLabels": {"app": "db"}}), labels));
        assert!(!selector_matches(&json!({"matchLabels": {"app": "web"}}), labels));
        assert!(selector_matches(&json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend", "x"]}]}), labels));
        assert!(!selector_matches(&json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}), labels));
        assert!(selector_matches(&json!({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}), labels));
        assert!(!selector_matches(&json!({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}), labels));
        assert!(selector_matches(&json!({}), labels), "an empty selector selects every pod");
    }

    #[test]
    fn a_network_policy_that_selects_no_pod_is_a_reference_problem() {
        let policy = |component: &str| {
            let text = format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/component: {component}\n");
            Manifest::new("templates/p.yaml".into(), text.clone(), crate::source::load_str(&crate::diagnostic::Source::new("p", text)).unwrap().to_json())
        };
        let cronjob_text = "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels:\n            app.kubernetes.io/component: backup\n";
        let cronjob = Manifest::new("templates/c.yaml".into(), cronjob_text.into(), crate::source::load_str(&crate::diagnostic::Source::new("c", cronjob_text)).unwrap().to_json());
        assert!(check_references(&[cronjob.clone(), policy("backup")], &BTreeSet::new(), &ReferenceCache::default()).is_empty());
        let problems = check_references(&[cronjob, policy("verify")], &BTreeSet::new(), &ReferenceCache::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].problem.pointer, "/spec/podSelector");
    }

    #[test]
    fn a_key_a_pod_reads_must_be_in_the_rendered_secret_unless_optional() {
        let manifest = |name: &str, text: &str| Manifest::new(format!("templates/{name}.yaml"), text.to_string(), crate::source::load_str(&crate::diagnostic::Source::new(name, text)).unwrap().to_json());
        let secret = manifest("s", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  token: x\n");
        let config = manifest("c", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  a.yaml: x\n");
        let pod = |env: &str| {
            manifest("p", &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: x:1\n      env:\n{env}  volumes:\n    - name: conf\n      configMap:\n        name: conf\n        items:\n          - {{key: a.yaml, path: a.yaml}}\n          - {{key: b.yaml, path: b.yaml}}\n"))
        };
        let reads = |key: &str, optional: bool| format!("        - name: T\n          valueFrom:\n            secretKeyRef: {{name: app, key: {key}, optional: {optional}}}\n");
        let found = |env: &str| -> Vec<(String, String)> {
            check_references(&[secret.clone(), config.clone(), pod(env)], &BTreeSet::new(), &ReferenceCache::default()).into_iter().map(|p| (p.problem.pointer, p.problem.message)).collect()
        };
        let missing_item = ("/spec/volumes/0/configMap/items/1/key".to_string(), "ConfigMap `conf` is rendered without the key `b.yaml` (it holds `a.yaml`); the pod does not start".to_string());
        assert_eq!(found(&reads("token", false)), vec![missing_item.clone()]);
        assert_eq!(found(&reads("tokn", false)), vec![missing_item.clone(), ("/spec/containers/0/env/0/valueFrom/secretKeyRef/key".to_string(), "Secret `app` is rendered without the key `tokn` (it holds `token`); the pod does not start".to_string())]);
        assert_eq!(found(&reads("tokn", true)), vec![missing_item]);
    }

    #[test]
    fn go_case_insensitive_patterns_become_letter_classes() {
        let mut schema = json!({"pattern": "^(?i)(abort|warn)?$"});
        ecma_patterns(&mut schema);
        assert_eq!(schema["pattern"], "^([aA][bB][oO][rR][tT]|[wW][aA][rR][nN])?$");
    }

    #[test]
    fn an_unknown_field_gets_the_nearest_known_one() {
        let validators = Validators::new(json!({}), None).unwrap();
        let job = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "x"}, "spec": {"schedule": "0 2 * * *", "concurrencyPollicy": "Forbid", "jobTemplate": {}}});
        let (problems, _) = validators.document(&job);
        assert_eq!(problems, vec![Problem { pointer: "/spec".into(), message: "unknown field `concurrencyPollicy`; did you mean `concurrencyPolicy`?".into() }]);
    }

    #[test]
    fn a_security_setting_in_the_wrong_context_says_where_it_belongs() {
        let validators = Validators::new(json!({}), None).unwrap();
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
            "metadata": {"labels": {"a": "b"}},
            "spec": {
                "securityContext": {"runAsNonRoot": true, "readOnlyRootFilesystem": true},
                "containers": [{"name": "c", "image": "x:1", "securityContext": {"fsGroup": 1000, "allowPrivilegeEscalation": false}}]
            }}}});
        let (problems, _) = validators.document(&deployment);
        assert_eq!(problems, vec![
            Problem { pointer: "/spec/template/spec/securityContext".into(), message: "unknown field `readOnlyRootFilesystem` here: it is a container's setting: move it to each container's `securityContext` (`containers[*].securityContext`)".into() },
            Problem { pointer: "/spec/template/spec/containers/0/securityContext".into(), message: "unknown field `fsGroup` here: it is the pod's setting: move it to the pod's `securityContext` (`spec.securityContext` of the pod template)".into() },
        ]);
    }
}
