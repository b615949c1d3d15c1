//! Values full of hostile strings (quotes, newlines, `$(...)`, backticks,
//! template braces, YAML specials, unicode) are either refused where they
//! enter, naming the field, or render to manifests that parse and give each
//! string back exactly as given: inert data, never code.

use chartgen::render::templates::Templates;
use chartgen::render::Release;
use chartgen::spec;
use chartgen::values::{self, ValueInputs};
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "\"", "'", "\\", "\n", "\t", "$(rm -rf /)", "`id`", "{{", "}}", "{%", "{#", "${HOME}", ": ", " #", "*", "&", "!",
    "%", "@", "yes", "no", "on", "null", "~", "0x1F", "1e3", "0123", "é☃𝄞", "\u{2028}", "\u{7f}", "---", "...", "- ",
    "[", "]", "{", "}", ",", "|", ">", "?", "x", "",
];

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..8).prop_map(|pieces| pieces.concat())
}

/// `--set-json path=<the string as JSON>`: the exact string, whatever it holds.
fn set(path: &str, text: &str) -> String {
    format!("{path}={}", serde_json::to_string(text).unwrap())
}

/// The value of the env var `name` in the first container of `kind` that sets it.
fn env_value(manifests: &[chartgen::extract::Manifest], name: &str) -> Option<String> {
    manifests.iter().find_map(|m| {
        let pod = &m.object["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let containers = pod["initContainers"].as_array().into_iter().chain(pod["containers"].as_array()).flatten();
        containers.flat_map(|c| c["env"].as_array().cloned().unwrap_or_default()).find_map(|e| {
            (e["name"] == name).then(|| e["value"].as_str().unwrap_or_default().to_string())
        })
    })
}

/// Whether the model takes `text` for a field of type `T`.
fn accepted<T: std::str::FromStr>(text: &str) -> bool {
    text.parse::<T>().is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A string the model takes renders inert and comes back exactly; one it
    /// refuses (a control character, a prefix without its `/`) is refused at
    /// the edge with an error naming the field, before anything renders.
    #[test]
    fn hostile_strings_render_exactly_or_are_refused_by_name(prefix in hostile(), region in hostile(), password in hostile(), selector in hostile()) {
        use chartgen::scalars::{LabelValue, Region, S3Prefix, Text};
        let loaded = spec::load(None).unwrap();
        let password = format!("p{password}");
        let prefix = format!("{prefix}/");
        let inputs = ValueInputs {
            set: vec!["backup.enabled=true,backup.sink=s3,backup.s3.bucket=db-backups,postgresql.auth.create=true,monitoring.prometheusRules.enabled=true".into()],
            set_json: vec![
                set("backup.s3.prefix", &prefix),
                set("backup.s3.region", &region),
                set("postgresql.auth.password", &password),
                format!("backup.nodeSelector={}", serde_json::json!({ "k": selector })),
            ],
            ..ValueInputs::default()
        };
        let fields = [
            ("backup.s3.prefix", accepted::<S3Prefix>(&prefix)),
            ("backup.s3.region", accepted::<Region>(&region)),
            ("postgresql.auth.password", accepted::<Text>(&password)),
            ("backup.nodeSelector.k", accepted::<LabelValue>(&selector)),
        ];
        let refused: Vec<&str> = fields.iter().filter(|(_, ok)| !ok).map(|(path, _)| *path).collect();
        match values::load(&loaded.spec, &inputs) {
            Err(bad) => {
                let said = bad.to_string();
                prop_assert!(!refused.is_empty(), "refused values the model takes: {said}");
                for path in &refused {
                    prop_assert!(said.contains(&format!("`{path}`")), "{path} is not named in: {said}");
                }
                prop_assert_eq!(bad.0.len(), refused.len(), "one error per refused field: {}", said);
            }
            Ok(values) => {
                prop_assert!(refused.is_empty(), "took values the model refuses: {:?}", refused);
                let release = Release::new("prod", "certs").unwrap();
                let manifests = Templates::builtin().render(&loaded.spec, &values.values, &release).map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(env_value(&manifests, "S3_PREFIX"), Some(prefix));
                prop_assert_eq!(env_value(&manifests, "AWS_DEFAULT_REGION"), Some(region));
                let secret = manifests.iter().find(|m| m.kind() == "Secret").unwrap();
                prop_assert_eq!(secret.object["stringData"]["password"].as_str(), Some(password.as_str()));
                let cronjob = manifests.iter().find(|m| m.kind() == "CronJob").unwrap();
                prop_assert_eq!(cronjob.object["spec"]["jobTemplate"]["spec"]["template"]["spec"]["nodeSelector"]["k"].as_str(), Some(selector.as_str()));
            }
        }
    }
}

#[test]
fn every_document_reads_as_its_kubernetes_api_type() {
    use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
    let loaded = spec::load(None).unwrap();
    let inputs = ValueInputs {
        set: vec!["backup.enabled=true,migrations.viaHook=true,postgresql.auth.create=true,postgresql.auth.password=x".into()],
        ..ValueInputs::default()
    };
    let values = values::load(&loaded.spec, &inputs).unwrap();
    let manifests = Templates::builtin().render(&loaded.spec, &values.values, &Release::new("prod", "certs").unwrap()).unwrap();
    for m in &manifests {
        let json = (*m.object).clone();
        let read = match m.kind() {
            "StatefulSet" => serde_json::from_value::<apps::StatefulSet>(json).map(drop),
            "CronJob" => serde_json::from_value::<batch::CronJob>(json).map(drop),
            "Job" => serde_json::from_value::<batch::Job>(json).map(drop),
            "Service" => serde_json::from_value::<core::Service>(json).map(drop),
            "ConfigMap" => serde_json::from_value::<core::ConfigMap>(json).map(drop),
            "Secret" => serde_json::from_value::<core::Secret>(json).map(drop),
            "PersistentVolumeClaim" => serde_json::from_value::<core::PersistentVolumeClaim>(json).map(drop),
            other => panic!("no API type for {other}"),
        };
        assert!(read.is_ok(), "{} {}: {:?}", m.kind(), m.name(), read.err());
    }
    assert_eq!(manifests.len(), 8);
}
