//! CG301: credentials reach containers only from Secrets.

use crate::extract::containers;
use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: SecretEnvRule = SecretEnvRule;

pub struct SecretEnvRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG301,
    severity: Severity::Error,
    checks: "An environment variable whose name says it holds a credential (`PASSWORD`, `SECRET`, `TOKEN`, `ACCESS_KEY`, \
             `PRIVATE_KEY`, `CREDENTIAL`) takes its value from a Secret (`valueFrom.secretKeyRef`), never a literal `value:` \
             or a ConfigMap.",
    why: "A literal lands in the manifest, in `helm get manifest`, in the release Secret's history and in every CI log \
          that renders the chart; a ConfigMap is readable by anyone who may read the namespace's configuration.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: upload\nspec:\n  template:\n    spec:\n      containers:\n        - name: upload\n          image: amazon/aws-cli:2.22.35\n          env:\n            - name: AWS_SECRET_ACCESS_KEY\n              value: wJalrXUtnFEMI\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: upload\nspec:\n  template:\n    spec:\n      containers:\n        - name: upload\n          image: amazon/aws-cli:2.22.35\n          env:\n            - name: AWS_SECRET_ACCESS_KEY\n              valueFrom:\n                secretKeyRef: {name: backup-s3, key: AWS_SECRET_ACCESS_KEY}\n",
    },
};

const CREDENTIAL_WORDS: [&str; 6] = ["PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY", "PRIVATE_KEY", "CREDENTIAL"];

impl Rule for SecretEnvRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            for (i, env) in container.value["env"].as_array().into_iter().flatten().enumerate() {
                let name = env["name"].as_str().unwrap_or_default();
                if !CREDENTIAL_WORDS.iter().any(|w| name.to_uppercase().contains(w)) {
                    continue;
                }
                if env["valueFrom"]["secretKeyRef"].is_null() {
                    out.push(Violation::at(
                        container.document,
                        format!("{}/env/{i}", container.pointer),
                        format!("`{name}` holds a credential but does not come from a Secret; use valueFrom.secretKeyRef"),
                    ));
                }
            }
        }
    }
}
