//! CG702: the StatefulSet's serviceName is a rendered headless Service.

use crate::codes::RuleCode;
use crate::rules::{Rule, RuleDoc, Severity, Subject, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG702,
        severity: Severity::Error,
        checks: "Every StatefulSet's `serviceName` names a Service rendered with it that is headless (`clusterIP: None`).",
        why: "The StatefulSet's pods get their stable DNS names from that governing Service; without it, or with a normal \
              ClusterIP Service, `db-0.db-hl` does not resolve and clients that address the primary by pod name fail.",
    },
    target: Target::Rendering(check),
};

/// Looks for the Service among the other documents, so it looks at the whole rendering.
fn check(subject: &Subject<'_>, out: &mut Vec<Violation>) {
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
