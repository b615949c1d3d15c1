//! `chartgen render` of the seed guard's six value combinations, for both
//! example specs, as reviewed snapshots.

mod common;

use common::{chartgen, specs};

/// The six combinations of the seed's `helm-templates-lint.sh`.
const COMBINATIONS: [(&str, &[&str]); 6] = [
    ("defaults", &[]),
    ("backup-pvc", &["--set", "backup.enabled=true"]),
    ("backup-s3", &["--set", "backup.enabled=true,backup.sink=s3,backup.s3.bucket=db-backups"]),
    ("prometheus-rules", &["--set", "monitoring.prometheusRules.enabled=true"]),
    ("migrations-via-hook", &["--set", "migrations.viaHook=true"]),
    (
        "all-on",
        &["--set", "backup.enabled=true,monitoring.prometheusRules.enabled=true,migrations.viaHook=true"],
    ),
];

#[test]
fn the_six_seed_combinations_render_as_reviewed() {
    for (spec_name, spec_args) in specs() {
        for (combination, set) in COMBINATIONS {
            let mut args = spec_args.clone();
            args.extend(["render", "--release-name", "prod", "--namespace", "certs"].map(String::from));
            args.extend(set.iter().map(|s| s.to_string()));
            let run = chartgen(&args);
            assert_eq!(run.code, 0, "{spec_name}/{combination}: {}", run.stderr);
            insta::assert_snapshot!(format!("{spec_name}-{combination}"), run.stdout);
        }
    }
}

#[test]
fn render_output_is_a_stream_of_sourced_documents() {
    let run = chartgen(&["render"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("---\n# Source: certctl/templates/"));
    let sources = run.stdout.matches("# Source: ").count();
    assert_eq!(sources, run.stdout.matches("\n---\n").count() + 1);
}

#[test]
fn an_external_database_replaces_the_statefulset() {
    let run = chartgen(&["render", "--set", "postgresql.enabled=false,externalDatabase.host=db.internal,backup.enabled=true"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("kind: StatefulSet"));
    assert!(run.stdout.contains("value: db.internal"));
    assert!(run.stdout.contains("secretKeyRef: {name: certctl-database, key: username}"), "the external credentials Secret is referenced");
}

#[test]
fn the_migration_hook_runs_after_install_and_before_upgrade() {
    let run = chartgen(&["render", "--set", "migrations.viaHook=true"]);
    assert!(run.stdout.contains("helm.sh/hook: post-install,pre-upgrade"));
    assert!(run.stdout.contains("CERTCTL_MIGRATIONS_VIA_HOOK: \"true\""));
    assert!(run.stdout.contains("helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded"));
}

#[test]
fn backup_alerts_follow_the_rpo_and_cover_a_backup_that_never_succeeded() {
    let run = chartgen(&[
        "render",
        "--set",
        "backup.enabled=true,backup.rpo=7h,backup.verify.enabled=true,monitoring.prometheusRules.enabled=true",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for alert in ["CertctlBackupFailed", "CertctlBackupStale", "CertctlBackupVerifyFailed"] {
        assert!(run.stdout.contains(&format!("- alert: {alert}\n")), "{alert}");
    }
    // In seconds: Prometheus before 2.54 refuses a duration in arithmetic.
    assert!(run.stdout.contains("cronjob=\\\"release-name-certctl-backup\\\"}) > 25200 or"), "the threshold is the RPO");
    assert!(run.stdout.contains("< time() - 25200 unless on (namespace, cronjob) max by (namespace, cronjob) (kube_cronjob_status_last_successful_time"), "a backup that never succeeded alerts too");
    assert!(!run.stdout.lines().any(|l| l.trim_start().starts_with("expr:") && l.contains("7h")), "no duration is left in an expression");
    let without_verify = chartgen(&["render", "--set", "backup.enabled=true,monitoring.prometheusRules.enabled=true"]);
    assert!(!without_verify.stdout.contains("CertctlBackupVerifyFailed"));
}

#[test]
fn a_cloudnative_pg_cluster_takes_its_image_from_a_catalog_when_one_is_named() {
    let catalog = "postgresql.provider=cnpg,postgresql.cnpg.imageCatalog.name=postgresql,postgresql.cnpg.imageCatalog.kind=ImageCatalog";
    let run = chartgen(&["render", "--set", catalog]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("  imageCatalogRef:\n    apiGroup: postgresql.cnpg.io\n    kind: ImageCatalog\n    name: postgresql\n    major: 16\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("imageName:"), "the operator takes one or the other: {}", run.stdout);
    // The Cluster passes its schema, whose CEL rule forbids both.
    let lint = chartgen(&["lint", "--set", catalog]);
    assert_eq!(lint.code, 0, "{}{}", lint.stdout, lint.stderr);
    let image = chartgen(&["render", "--set", "postgresql.provider=cnpg"]);
    assert!(image.stdout.contains("  imageName: \"ghcr.io/cloudnative-pg/postgresql:16.6-system-bookworm\"\n") && !image.stdout.contains("imageCatalogRef"), "{}", image.stdout);
}

#[test]
fn an_object_store_can_trust_a_private_ca_and_authenticate_with_the_pods_iam_role() {
    let store = "postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.objectStore.destinationPath=s3://my-backups/certctl";
    let secret = chartgen(&["render", "--set", store]);
    assert_eq!(secret.code, 0, "{}", secret.stderr);
    assert!(secret.stdout.contains("    s3Credentials:\n      accessKeyId:\n        name: certctl-barman-s3\n        key: ACCESS_KEY_ID\n"), "{}", secret.stdout);
    assert!(!secret.stdout.contains("endpointCA") && !secret.stdout.contains("inheritFromIAMRole"), "{}", secret.stdout);
    for integration in ["plugin", "inTree"] {
        let set = format!("{store},backup.barman.integration={integration},backup.barman.objectStore.inheritFromIAMRole=true,backup.barman.objectStore.endpointCA.name=minio-ca");
        let run = chartgen(&["render", "--set", &set]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("endpointCA:\n") && run.stdout.contains("  name: minio-ca\n") && run.stdout.contains("  key: ca.crt\n"), "{}", run.stdout);
        assert!(run.stdout.contains("s3Credentials:\n") && run.stdout.contains("  inheritFromIAMRole: true\n"), "{}", run.stdout);
        assert!(!run.stdout.contains("accessKeyId"), "no key pair with the IAM role: {}", run.stdout);
        // The schemas and the references (the CA's Secret is declared external) accept it.
        let lint = chartgen(&["lint", "--set", &set]);
        assert_eq!(lint.code, 0, "{integration}: {}{}", lint.stdout, lint.stderr);
    }
}
