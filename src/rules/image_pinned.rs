//! CG202: images are pinned to a tag or digest, never `latest`.

use crate::extract::{containers, image_parts};
use super::{Example, Rule, RuleDoc, Scope, Severity, Subject, Violation};
use crate::codes::RuleCode;

pub static RULE: ImagePinnedRule = ImagePinnedRule;

pub struct ImagePinnedRule;

static DOC: RuleDoc = RuleDoc {
    code: RuleCode::CG202,
    severity: Severity::Error,
    checks: "Every container image names a tag other than `latest`, or a digest.",
    why: "An unpinned image changes under the chart: a new PostgreSQL major in the backup image writes dumps the \
          server's `pg_restore` cannot read, and a rollback does not roll the image back.",
    bad: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres\n        - name: upload\n          image: amazon/aws-cli:latest\n",
    },
    good: Example {
        values: "",
        manifests: "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: dump\nspec:\n  template:\n    spec:\n      containers:\n        - name: dump\n          image: postgres:16.6\n        - name: upload\n          image: amazon/aws-cli:2.22.35\n",
    },
};

impl Rule for ImagePinnedRule {
    fn doc(&self) -> &'static RuleDoc {
        &DOC
    }

    fn scope(&self) -> Scope {
        Scope::Document
    }

    fn check(&self, subject: &Subject<'_>, out: &mut Vec<Violation>) {
        for container in containers(subject.manifests) {
            let image = container.value["image"].as_str().unwrap_or_default();
            let (_, tag) = image_parts(image);
            let problem = match tag {
                "" => Some("has no tag"),
                "latest" => Some("is tagged `latest`"),
                _ => None,
            };
            if let Some(problem) = problem {
                out.push(Violation::at(container.document, format!("{}/image", container.pointer), format!("the image `{image}` {problem}; pin a version")));
            }
        }
    }
}
