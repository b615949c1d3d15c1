//! CG202: images are pinned to a tag or digest, never `latest`.

use crate::codes::RuleCode;
use crate::extract::{image_parts, Container};
use crate::spec::Spec;
use super::{Problems, Rule, RuleDoc, Severity, Target};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG202,
        severity: Severity::Error,
        checks: "Every container image names a tag other than `latest`, or a digest.",
        why: "An unpinned image changes under the chart: a new PostgreSQL major in the backup image writes dumps the \
              server's `pg_restore` cannot read, and a rollback does not roll the image back.",
    },
    target: Target::Containers(check),
};

fn check(container: &Container<'_>, _: &Spec, out: &mut Problems) {
    let image = container.value["image"].as_str().unwrap_or_default();
    let (_, tag) = image_parts(image);
    let problem = match tag {
        "" => Some("has no tag"),
        "latest" => Some("is tagged `latest`"),
        _ => None,
    };
    if let Some(problem) = problem {
        out.add(format!("{}/image", container.pointer), format!("the image `{image}` {problem}; pin a version"));
    }
}
