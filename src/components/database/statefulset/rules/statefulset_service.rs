//! CG702: the StatefulSet's serviceName is a rendered headless Service.

use crate::rules::{Example, Rule, RuleDoc, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: StatefulSetServiceRule = StatefulSetServiceRule;

pub struct StatefulSetServiceRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG702,
    severity: Severity::Error,
    checks: "Every StatefulSet's `serviceName` names a Service rendered with it that is headless (`clusterIP: None`).",
    why: "The StatefulSet's pods get their stable DNS names from that governing Service; without it, or with a normal \
          ClusterIP Service, `db-0.db-hl` does not resolve and clients that address the primary by pod name fail.",
    bad: Example {
        values: "",
        manifests: "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  selector: {app: db}\n  ports: [{port: 5432}]\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template: {}\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: v1\nkind: Service\nmetadata:\n  name: db-hl\nspec:\n  clusterIP: None\n  selector: {app: db}\n  ports: [{port: 5432}]\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db-hl\n  selector: {matchLabels: {app: db}}\n  template: {}\n",
    },
};

impl Rule for StatefulSetServiceRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for (index, manifest) in subject.manifests.iter().enumerate().filter(|(_, m)| m.kind() == "StatefulSet") {
            let name = manifest.object["spec"]["serviceName"].as_str().unwrap_or_default();
            match subject.manifests.iter().find(|m| m.kind() == "Service" && m.name() == name) {
                None => out.push(Violation::at(index, "/spec/serviceName", format!("the governing Service `{name}` is not rendered"))),
                Some(service) if service.object["spec"]["clusterIP"] != "None" => {
                    out.push(Violation::at(index, "/spec/serviceName", format!("the governing Service `{name}` is not headless (clusterIP: None)")));
                }
                _ => {}
            }
        }
    }
}
