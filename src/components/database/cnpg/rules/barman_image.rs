//! CG902: a Cluster that runs Barman Cloud in-tree runs an image that carries it.

use crate::codes::RuleCode;
use crate::extract::{image_parts, Cnpg};
use crate::rules::{Rule, RuleDoc, Severity, Target, Violation};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        code: RuleCode::CG902,
        severity: Severity::Error,
        checks: "A CloudNativePG Cluster that uses the in-tree Barman Cloud support (`spec.backup.barmanObjectStore`, or an \
                 external cluster's `barmanObjectStore` as its recovery or replica source) does not run a `minimal` or \
                 `standard` operand image (a tag such as `16.6-minimal-bookworm` or `17.6-standard-trixie`). The image is the \
                 Cluster's `imageName`, or the image its `imageCatalogRef` names when that catalog is among the documents; a \
                 Cluster that gives neither runs the operator's default `system` image and passes.",
        why: "In-tree, the instance runs `barman-cloud-wal-archive`, `barman-cloud-backup` and `barman-cloud-restore` in its \
              own container. Only the `system` images carry them; `minimal` and `standard` are meant for the barman-cloud \
              plugin, whose sidecar brings its own. With them every WAL segment fails to archive, WAL piles up on the volume \
              until it is full, no base backup is ever taken, and a recovery cannot even start.",
    },
    target: Target::Cnpg(check),
};

/// The flavour of a CloudNativePG operand image without Barman Cloud, and the tag with `system` in its place.
fn without_barman(image: &str) -> Option<(&'static str, String)> {
    let (repository, tag) = image_parts(image.split('@').next().unwrap_or(image));
    if !(repository.contains("cloudnative-pg") || repository.rsplit('/').next() == Some("postgresql")) {
        return None;
    }
    let segments: Vec<&str> = tag.split('-').collect();
    let flavour = ["minimal", "standard"].into_iter().find(|f| segments.contains(f))?;
    let system = segments.iter().map(|s| if *s == flavour { "system" } else { s }).collect::<Vec<_>>().join("-");
    Some((flavour, format!("{repository}:{system}")))
}

fn check(cnpg: &Cnpg<'_>, out: &mut Vec<Violation>) {
    for cluster in cnpg.clusters.iter().filter(|c| c.uses_in_tree_barman()) {
        let Some(image) = cnpg.image_of(cluster) else { continue };
        let Some((flavour, system)) = without_barman(image) else { continue };
        let (pointer, how) = if cluster.image_name.is_some() {
            ("/spec/imageName", String::new())
        } else {
            ("/spec/imageCatalogRef", " (from its image catalog)".to_string())
        };
        let uses = if cluster.barman_object_store.is_some() { "archives WAL through the in-tree `backup.barmanObjectStore`" } else { "recovers through an in-tree `barmanObjectStore`" };
        out.push(Violation::at(
            cluster.document,
            pointer,
            format!(
                "Cluster `{}` {uses}, but its image `{image}`{how} is a `{flavour}` image, which carries no barman-cloud tools; \
                 use the barman-cloud plugin (its sidecar brings them), or a `system` image such as `{system}`",
                cluster.name
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::without_barman;

    #[test]
    fn the_flavour_is_a_segment_of_the_tag() {
        assert_eq!(without_barman("ghcr.io/cloudnative-pg/postgresql:16.6-minimal-bookworm").unwrap().1, "ghcr.io/cloudnative-pg/postgresql:16.6-system-bookworm");
        assert_eq!(without_barman("ghcr.io/cloudnative-pg/postgresql:16.10-202509090953-standard-trixie@sha256:ab").unwrap().0, "standard");
        assert!(without_barman("ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie").is_none());
        assert!(without_barman("ghcr.io/cloudnative-pg/postgresql:16").is_none());
        assert!(without_barman("example.com/tools/minimal:1-minimal-x").is_none());
    }
}
