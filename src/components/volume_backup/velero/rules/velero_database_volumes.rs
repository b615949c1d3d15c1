//! CG108: a Velero Schedule leaves the database's volumes out.

use serde_json::Value;

use crate::codes::RuleCode;
use crate::components::Component;
use crate::extract::{api_group, claim_templates, image_parts, is_cnpg, same_namespace, selector_matches, Manifest, VELERO_EXCLUDE_LABEL, VELERO_GROUP};
use crate::rules::{Rule, RuleDoc, Severity, Subject, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG108,
        severity: Severity::Warning,
        checks: "No Velero Schedule takes the database's PersistentVolumeClaims: those of a CloudNativePG Cluster, and the \
                 claim templates of a StatefulSet of the database component or running a PostgreSQL image. A claim is left \
                 out when it carries `velero.io/exclude-from-backup: \"true\"` (a Cluster gives its claims the labels of \
                 `spec.inheritedMetadata`), when the Schedule's namespaces or resources leave it out, or when its label \
                 selectors do not select it.",
        why: "The database has backups of its own, consistent and replayable to a point in time. A volume snapshot of a \
              running PostgreSQL is a crash image taken at another moment than the rest of the namespace, and restoring the \
              namespace from Velero brings back that image beside the database's own recovery: two databases, and the wrong \
              one may win. It also doubles the storage the database's data costs.",
    },
    target: Target::Rendering(check),
};

fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
    let schedules = subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "Schedule" && api_group(&m.object) == VELERO_GROUP);
    for (index, schedule) in schedules {
        let template = &schedule.object["spec"]["template"];
        for database in subject.manifests.iter().filter(|m| is_database(m)) {
            if !namespace_included(template, database.object["metadata"]["namespace"].as_str()) || !claims_included(template) {
                continue;
            }
            for (claim, labels) in claim_templates(&database.object) {
                if labels.get(VELERO_EXCLUDE_LABEL).and_then(Value::as_str) == Some("true") || !selected(template, &labels) {
                    continue;
                }
                let how = if database.kind() == "Cluster" { "spec.inheritedMetadata.labels" } else { "the claim template's labels" };
                out.push(Violation::at(
                    index,
                    "/spec/template",
                    format!(
                        "Schedule `{}` backs up the volume `{claim}` of the database's {} `{}`, which has backups of its own; label it `{VELERO_EXCLUDE_LABEL}: \"true\"` through {how}",
                        schedule.name(),
                        database.kind(),
                        database.name()
                    ),
                ));
            }
        }
    }
}

/// A CloudNativePG Cluster, or a StatefulSet of the database component or running PostgreSQL.
fn is_database(manifest: &Manifest) -> bool {
    match manifest.kind() {
        "Cluster" => is_cnpg(&manifest.object),
        "StatefulSet" => {
            Component::of(&manifest.object) == Some(Component::Database)
                || manifest.object["spec"]["template"]["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c["image"].as_str())
                    .any(|image| image_parts(image).0.rsplit('/').next().is_some_and(|repository| repository.starts_with("postgres")))
        }
        _ => false,
    }
}

/// Whether the backup's namespaces take `namespace` (unset: the release's, which a Schedule naming one takes).
fn namespace_included(template: &Value, namespace: Option<&str>) -> bool {
    let (included, excluded) = (names(template, "includedNamespaces"), names(template, "excludedNamespaces"));
    let named = |list: &[&str]| list.iter().any(|n| *n == "*" || same_namespace(Some(n), namespace));
    (included.is_empty() || named(&included)) && !excluded.iter().any(|n| namespace.is_some_and(|ns| ns == *n))
}

/// Whether the backup's resource filters take PersistentVolumeClaims.
fn claims_included(template: &Value) -> bool {
    let claims = |list: &[&str]| list.iter().any(|r| matches!(r.to_ascii_lowercase().as_str(), "*" | "persistentvolumeclaims" | "persistentvolumeclaim" | "pvc"));
    let included = [names(template, "includedResources"), names(template, "includedNamespaceScopedResources")];
    let excluded = [names(template, "excludedResources"), names(template, "excludedNamespaceScopedResources")];
    included.iter().all(|list| list.is_empty() || claims(list)) && !excluded.iter().any(|list| claims(list))
}

/// The strings of a list field of the backup template.
fn names<'a>(template: &'a Value, key: &str) -> Vec<&'a str> {
    template[key].as_array().into_iter().flatten().filter_map(Value::as_str).collect()
}

/// Whether the backup's label selectors select an object with `labels`.
fn selected(template: &Value, labels: &serde_json::Map<String, Value>) -> bool {
    let any_of = template["orLabelSelectors"].as_array().filter(|list| !list.is_empty());
    match any_of {
        Some(selectors) => selectors.iter().any(|s| selector_matches(s, labels)),
        None => template["labelSelector"].is_null() || selector_matches(&template["labelSelector"], labels),
    }
}
