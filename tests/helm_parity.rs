//! Parity, the contract: real Helm rendering the generated chart and
//! `chartgen render` produce the same objects, for every flag combination
//! of both example specs under two releases, and for hundreds of random
//! values full of hostile strings. Real `helm lint --strict` passes the
//! chart, and Helm's schema validation agrees with chartgen's checks.
//!
//! Helm is helm-python-sdk, asked through `tests/helm/chart_oracle.py`
//! with the Python in `CHARTGEN_PYTHON` (which `.ci/run` sets).

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Stdio};

use chartgen::diagnostic::{Origin, Source};
use chartgen::helm;
use chartgen::matrix::{self, Combination};
use chartgen::render::{Release, Renderer};
use chartgen::source::{load_str, Node};
use chartgen::spec::{self, LoadedSpec};
use chartgen::values;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

fn python() -> Option<OsString> {
    let python = std::env::var_os("CHARTGEN_PYTHON");
    if python.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must set CHARTGEN_PYTHON (see .ci/run)");
        eprintln!("SKIPPED: set CHARTGEN_PYTHON to a Python with helm-python-sdk (bash .ci/run does) to compare with real Helm");
    }
    python
}

fn ask_helm(python: &OsString, request: Value) -> Vec<Value> {
    let mut child = Command::new(python)
        .arg(common::root().join("tests/helm/chart_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let input = serde_json::to_vec(&request).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "the oracle failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Both example specs: the built-in one and the ledger fixture.
fn specs() -> Vec<LoadedSpec> {
    vec![spec::load(None).unwrap(), spec::load(Some(&common::root().join("fixtures/specs/ledger.yaml"))).unwrap()]
}

/// The chart generated for a spec, in a temporary directory.
fn generated_chart(spec: &LoadedSpec) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let chart = helm::compile(&Renderer::builtin(), &spec.spec).unwrap();
    let path = dir.path().join(&chart.name);
    helm::write_chart(&chart, &path).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

/// Documents by template, parsed.
type Objects = BTreeMap<String, Vec<Value>>;

fn parse_documents(source: &str, text: &str, into: &mut Objects) {
    let mut document = String::new();
    for line in text.lines().chain(std::iter::once("---")) {
        if line.trim_end() == "---" {
            if document.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
                document.clear();
                continue;
            }
            let object = load_str(&Source::new(source, std::mem::take(&mut document)))
                .unwrap_or_else(|e| panic!("{source} is not YAML: {e}\n{text}"))
                .to_json();
            if !object.is_null() {
                into.entry(source.to_string()).or_default().push(object);
            }
        } else {
            document.push_str(line);
            document.push('\n');
        }
    }
}

fn helm_objects(chart: &str, manifests: &Value) -> Objects {
    let mut objects = Objects::new();
    for (path, text) in manifests.as_object().expect("a manifest map") {
        let source = path.strip_prefix(&format!("{chart}/")).unwrap_or(path);
        if source.ends_with(".yaml") {
            parse_documents(source, text.as_str().unwrap_or_default(), &mut objects);
        }
    }
    objects
}

fn chartgen_objects(spec: &LoadedSpec, user: &Value, release: &Release) -> Result<Objects, String> {
    let values = values::from_user_tree(&spec.spec, Node::from_json(user, &Origin::Default)).map_err(|e| e.to_string())?;
    let manifests = Renderer::builtin().render(&spec.spec, &values.values, release).map_err(|e| e.to_string())?;
    let mut objects = Objects::new();
    for manifest in manifests {
        objects.entry(manifest.source).or_default().push(manifest.object);
    }
    Ok(objects)
}

/// Pretty JSON with keys sorted, so a diff shows only real differences.
fn sorted_json(objects: &Objects) -> String {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let sorted: BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::to_value(sorted).unwrap()
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let sorted: BTreeMap<&String, Vec<Value>> = objects.iter().map(|(k, v)| (k, v.iter().map(sort).collect())).collect();
    serde_json::to_string_pretty(&sorted).unwrap()
}

/// One values instance to render both ways.
struct Case {
    label: String,
    values: Value,
    release: Release,
}

/// Renders every case with Helm and chartgen; returns the differences.
fn differences(python: &OsString, spec: &LoadedSpec, chart_dir: &str, cases: &[Case]) -> Vec<String> {
    let request = json!({
        "op": "render",
        "chart": chart_dir,
        "cases": cases.iter().map(|c| json!({"values": c.values, "name": c.release.name, "namespace": c.release.namespace})).collect::<Vec<_>>(),
    });
    let answers = ask_helm(python, request);
    let mut problems = Vec::new();
    for (case, answer) in cases.iter().zip(answers) {
        let ours = chartgen_objects(spec, &case.values, &case.release);
        let context = || format!("{} (release {} in {}), values:\n{}", case.label, case.release.name, case.release.namespace, serde_json::to_string_pretty(&case.values).unwrap());
        match (answer.get("manifests"), ours) {
            (Some(manifests), Ok(ours)) => {
                let theirs = helm_objects(&spec.spec.chart.name, manifests);
                if theirs != ours {
                    let diff = similar::TextDiff::from_lines(&sorted_json(&theirs), &sorted_json(&ours))
                    .unified_diff()
                    .header("helm", "chartgen")
                    .to_string();
                    problems.push(format!("{}\n{diff}", context()));
                }
            }
            (None, ours) => problems.push(format!("Helm failed: {} (chartgen: {:?})\n{}", answer["error"], ours.err(), context())),
            (Some(_), Err(e)) => problems.push(format!("chartgen failed where Helm rendered: {e}\n{}", context())),
        }
    }
    problems
}

const RELEASES: [(&str, &str); 2] = [("prod", "certs"), ("payments-eu-west-1-blue-green-canary-release-00042", "platform-ops")];

fn user_values(spec: &LoadedSpec, combination: &Combination) -> Value {
    matrix::user_tree(spec, combination).unwrap().to_json()
}

#[test]
fn every_flag_combination_renders_alike_in_helm_and_chartgen() {
    let Some(python) = python() else { return };
    let mut compared = 0;
    for spec in specs() {
        let (_dir, chart_dir) = generated_chart(&spec);
        let mut cases = Vec::new();
        for combination in matrix::full(&spec.spec, &values::flags()) {
            for (name, namespace) in RELEASES {
                cases.push(Case {
                    label: format!("{}/{}", spec.spec.chart.name, combination.id),
                    values: user_values(&spec, &combination),
                    release: Release::new(name, namespace).unwrap(),
                });
            }
        }
        let problems = differences(&python, &spec, &chart_dir, &cases);
        assert!(problems.is_empty(), "{} of {} renderings differ; the first:\n{}", problems.len(), cases.len(), problems[0]);
        compared += cases.len();
    }
    eprintln!("compared {compared} renderings (every combination x 2 specs x 2 releases) with real Helm");
    assert_eq!(compared, 2 * 2 * 84);
}

/// Hostile pieces strings are made of.
const PIECES: &[&str] = &[
    "\"", "'", "\\", "\n", "\t", "$(reboot)", "`id`", "{{", "}}", "{{ .Values }}", ": ", " #", "*", "&", "!", "%", "@",
    "yes", "no", "on", "off", "null", "~", "0x1F", "1e3", "0123", "é☃𝄞", "---", "- ", "[", "]", "{", "}", ",", "|", ">",
    "?", "x", " ", "",
];

fn hostile(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..6);
    (0..n).map(|_| *PIECES.choose(rng).unwrap()).collect()
}

/// A whole leading piece makes the string start with a YAML special more often.
fn nonempty_hostile(rng: &mut StdRng) -> String {
    format!("{}{}", PIECES.choose(rng).unwrap(), hostile(rng)).replace('\n', " ").chars().chain(std::iter::once('a')).collect()
}

fn set(tree: &mut Value, path: &str, value: Value) {
    let mut node = tree;
    let keys: Vec<&str> = path.split('.').collect();
    for key in &keys[..keys.len() - 1] {
        node = node.as_object_mut().unwrap().entry(key.to_string()).or_insert_with(|| json!({}));
    }
    node.as_object_mut().unwrap().insert(keys[keys.len() - 1].to_string(), value);
}

const QUANTITIES: &[&str] = &["100m", "1", "1.5", "250m", "2Gi", "512Mi", "0.5Gi", "1e3", "500M", "1Ti"];
const SCHEDULES: &[&str] = &["0 2 * * *", "*/15 * * * *", "30 1 * * 1-5", "0 */6 * * *", "@daily", "5 4 1 * *"];
const ZONES: &[&str] = &["Etc/UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"];

/// Random values the model accepts: a random combination, hostile free
/// text, numbers across their range, and the typed strings from real lists.
fn random_values(rng: &mut StdRng, spec: &LoadedSpec, combinations: &[Combination]) -> Value {
    let combination = combinations.choose(rng).unwrap();
    let mut tree = user_values(spec, combination);
    let free_text = [
        "postgresql.auth.password", "backup.s3.prefix", "backup.s3.region", "backup.s3.endpoint", "postgresql.storage.storageClassName",
        "backup.pvc.storageClassName",
    ];
    for path in free_text {
        if rng.random_bool(0.7) {
            set(&mut tree, path, json!(hostile(rng)));
        }
    }
    for path in ["postgresql.auth.username", "postgresql.auth.database", "externalDatabase.host", "externalDatabase.database"] {
        if rng.random_bool(0.7) {
            set(&mut tree, path, json!(nonempty_hostile(rng)));
        }
    }
    if tree["postgresql"]["auth"]["password"] == json!("") {
        set(&mut tree, "postgresql.auth.password", json!("p"));
    }
    for path in ["backup.nodeSelector", "migrations.nodeSelector", "postgresql.nodeSelector", "monitoring.prometheusRules.labels"] {
        if rng.random_bool(0.5) {
            let entries: serde_json::Map<String, Value> =
                (0..rng.random_range(1..3)).map(|i| (format!("example.com/key-{i}"), json!(hostile(rng)))).collect();
            set(&mut tree, path, Value::Object(entries));
        }
    }
    for path in ["backup.tolerations", "postgresql.tolerations"] {
        if rng.random_bool(0.5) {
            let toleration = json!({
                "key": format!("example.com/{}", rng.random_range(0..9)),
                "operator": "Equal",
                "value": hostile(rng),
                "effect": "NoExecute",
                "tolerationSeconds": rng.random_range(0..=4_000_000_000u64),
            });
            set(&mut tree, path, json!([toleration, {"operator": "Exists"}]));
        }
    }
    for path in ["postgresql.port", "externalDatabase.port"] {
        set(&mut tree, path, json!(rng.random_range(1..=65535)));
    }
    for path in ["backup.pvc.keep", "backup.backoffLimit", "migrations.backoffLimit", "backup.startingDeadlineSeconds", "postgresql.securityContext.runAsUser"] {
        set(&mut tree, path, json!(rng.random_range(1..=2_000_000_000u32)));
    }
    for path in ["backup.resources.requests.cpu", "backup.resources.limits.memory", "postgresql.resources.requests.memory", "postgresql.storage.size"] {
        set(&mut tree, path, json!(*QUANTITIES.choose(rng).unwrap()));
    }
    set(&mut tree, "backup.schedule", json!(*SCHEDULES.choose(rng).unwrap()));
    set(&mut tree, "backup.timeZone", json!(*ZONES.choose(rng).unwrap()));
    set(&mut tree, "postgresql.image.tag", json!(format!("{}.{}", rng.random_range(12..18), rng.random_range(0..20))));
    for (name, parameter) in &spec.spec.parameters {
        let path = format!("monitoring.prometheusRules.thresholds.{name}");
        let value = match parameter.kind {
            chartgen::spec::ParameterKind::Duration => json!(format!("{}{}", rng.random_range(1..120), ["s", "m", "h", "d"].choose(rng).unwrap())),
            chartgen::spec::ParameterKind::Integer => json!(rng.random_range(0..1_000_000_000u64)),
            chartgen::spec::ParameterKind::Number => {
                let (low, high) = (parameter.minimum.unwrap_or(0.0), parameter.maximum.unwrap_or(1e12));
                let shapes = [rng.random_range(low..=high), (rng.random_range(low..=high) * 100.0).round() / 100.0, low, high];
                json!(*shapes.choose(rng).unwrap())
            }
        };
        set(&mut tree, &path, value);
    }
    tree
}

fn seed() -> u64 {
    std::env::var("CHARTGEN_PARITY_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
    })
}

/// Random instances per spec; at least 300 in all.
const RANDOM_INSTANCES: usize = 160;

#[test]
fn random_hostile_values_render_alike_in_helm_and_chartgen() {
    let Some(python) = python() else { return };
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut compared = 0;
    for spec in specs() {
        let (_dir, chart_dir) = generated_chart(&spec);
        let combinations = matrix::full(&spec.spec, &values::flags());
        let cases: Vec<Case> = (0..RANDOM_INSTANCES)
            .map(|i| {
                let (name, namespace) = RELEASES[i % 2];
                Case {
                    label: format!("{} random instance {i} (seed {seed})", spec.spec.chart.name),
                    values: random_values(&mut rng, &spec, &combinations),
                    release: Release::new(name, namespace).unwrap(),
                }
            })
            .collect();
        let problems = differences(&python, &spec, &chart_dir, &cases);
        assert!(
            problems.is_empty(),
            "{} of {} random instances differ (rerun with CHARTGEN_PARITY_SEED={seed}); the first:\n{}",
            problems.len(),
            cases.len(),
            problems[0]
        );
        compared += cases.len();
    }
    eprintln!("compared {compared} random hostile values instances with real Helm (seed {seed})");
    assert!(compared >= 300);
}

#[test]
fn helm_lint_strict_reports_nothing_above_info_for_every_combination() {
    let Some(python) = python() else { return };
    for spec in specs() {
        let (_dir, chart_dir) = generated_chart(&spec);
        let combinations = matrix::full(&spec.spec, &values::flags());
        let mut cases = vec![json!({"values": {}})];
        cases.extend(combinations.iter().map(|c| json!({"values": user_values(&spec, c)})));
        let reports = ask_helm(&python, json!({"op": "lint", "chart": chart_dir, "cases": cases}));
        for (case, report) in cases.iter().zip(&reports) {
            let serious: Vec<&Value> = report["messages"].as_array().unwrap().iter().filter(|m| m["severity"].as_i64() > Some(1)).collect();
            assert!(serious.is_empty(), "helm lint --strict on {} with {}: {serious:#?}", spec.spec.chart.name, case["values"]);
            assert_eq!(report["errors"], json!([]), "{report}");
        }
        assert_eq!(reports.len(), combinations.len() + 1);
    }
}

fn helm_verdicts(python: &OsString, chart_dir: &str, instances: &[Value]) -> Vec<Option<String>> {
    let cases: Vec<Value> = instances.iter().map(|v| json!({"values": v})).collect();
    ask_helm(python, json!({"op": "validate", "chart": chart_dir, "cases": cases}))
        .into_iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

#[test]
fn helm_schema_rejects_the_runbook_mistakes_of_seed_000() {
    let Some(python) = python() else { return };
    let spec = spec::load(None).unwrap();
    let (_dir, chart_dir) = generated_chart(&spec);
    let mistakes = [
        json!({"backup": {"enabled": true, "pvc": {"storageClass": "fast"}}}),
        json!({"backup": {"enabled": true, "sink": "s3", "s3": {"bucket": "b", "credentialsSecret": "backup-creds"}}}),
    ];
    for (mistake, verdict) in mistakes.iter().zip(helm_verdicts(&python, &chart_dir, &mistakes)) {
        let error = verdict.unwrap_or_else(|| panic!("Helm accepted {mistake}"));
        assert!(error.contains("storageClass") || error.contains("credentialsSecret"), "{error}");
        assert!(values::from_user_tree(&spec.spec, Node::from_json(mistake, &Origin::Default)).is_err(), "chartgen accepted {mistake}");
    }
}

/// Values that break one rule of the model each.
fn broken_values() -> Vec<Value> {
    vec![
        json!({"backup": {"enabled": "yes"}}),
        json!({"backup": {"sink": "gcs"}}),
        json!({"backup": {"schedule": "0 2 * *"}}),
        json!({"backup": {"schedule": "0 0 2 * * *"}}),
        json!({"backup": {"pvc": {"size": "20Gb"}}}),
        json!({"backup": {"pvc": {"keep": -1}}}),
        json!({"backup": {"pvc": {"keep": 1.5}}}),
        json!({"backup": {"rpo": "a day"}}),
        json!({"backup": {"enabled": true, "sink": "s3"}}),
        json!({"backup": {"enabled": true, "sink": "s3", "s3": {"bucket": "Not_A_Bucket"}}}),
        json!({"backup": {"s3": {"credentialsSecret": {"name": "x", "extra": 1}}}}),
        json!({"postgresql": {"enabled": false}}),
        json!({"postgresql": {"auth": {"create": true}}}),
        json!({"postgresql": {"port": "5432"}}),
        json!({"postgresql": {"image": {"pullPolicy": "Sometimes"}}}),
        json!({"postgresql": {"image": {"tag": ""}}}),
        json!({"postgresql": {"resources": {"limits": {"memory": "1 GB"}}}}),
        json!({"postgresql": {"nodeSelector": {"a": 1}}}),
        json!({"externalDatabase": {"sslMode": "sometimes"}}),
        json!({"migrations": {"viaHook": 1}}),
        json!({"monitoring": {"prometheusRules": {"interval": "1 minute"}}}),
        json!({"monitoring": {"prometheusRules": {"labels": {"app.kubernetes.io/name": "x"}}}}),
        json!({"monitoring": {"prometheusRules": {"thresholds": {"jobFailureRatio": "0.5"}}}}),
        json!({"monitoring": {"prometheusRules": {"thresholds": {"nope": 1}}}}),
        json!({"unknownTopLevel": true}),
    ]
}

#[test]
fn helm_schema_accepts_what_chartgen_accepts_and_chartgen_rejects_what_it_rejects() {
    let Some(python) = python() else { return };
    let seed = seed();
    let mut rng = StdRng::seed_from_u64(seed);
    for spec in specs() {
        let (_dir, chart_dir) = generated_chart(&spec);
        let combinations = matrix::full(&spec.spec, &values::flags());
        let mut instances: Vec<Value> = (0..100).map(|_| random_values(&mut rng, &spec, &combinations)).collect();
        instances.extend(broken_values());
        let verdicts = helm_verdicts(&python, &chart_dir, &instances);
        let mut rejected_by_both = 0;
        for (instance, helm_verdict) in instances.iter().zip(verdicts) {
            let ours = values::from_user_tree(&spec.spec, Node::from_json(instance, &Origin::Default));
            match (&ours, &helm_verdict) {
                (Ok(_), Some(error)) => panic!("Helm's schema rejects values chartgen accepts (seed {seed}): {error}\n{instance:#}"),
                (Err(_), None) if broken_values().contains(instance) => panic!("chartgen rejects values Helm's schema accepts: {instance}"),
                (Err(e), None) => panic!("a random instance chartgen rejects (seed {seed}): {e}\n{instance:#}"),
                (Err(_), Some(_)) => rejected_by_both += 1,
                (Ok(_), None) => {}
            }
        }
        assert!(rejected_by_both >= broken_values().len() - 2, "most broken values are schema errors");
    }
}
