//! `check --chart`: hand-written charts over their flag combinations,
//! rendered by real Helm. The fixture charts of `fixtures/charts/` carry
//! known defects (storefront) or none (schema-flags); the chart chartgen
//! generates is checked as a hand-written one and must agree with the
//! native check.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{chartgen, display, root, Run};
use serde_json::Value;

fn fixture(name: &str) -> String {
    display(&root().join("fixtures/charts").join(name))
}

/// The real helm binary (bash .ci/run puts one in .venv/bin).
fn helm() -> String {
    display(&common::helm_binary())
}

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    chartgen(&all)
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

/// Every finding of a JSON report as `code file:line`, with how many combinations have it.
fn findings(report: &Value) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let outcomes = report["combinations"].as_array().unwrap().iter().chain(report["flags"].as_array().unwrap());
    for outcome in outcomes {
        let mut seen = BTreeSet::new();
        for finding in outcome["findings"].as_array().unwrap() {
            let file = finding["file"].as_str().map(|f| f.rsplit("fixtures/charts/").next().unwrap().to_string()).unwrap_or_default();
            seen.insert(format!("{} {file}:{}", finding["check"].as_str().unwrap(), finding["line"]));
        }
        for key in seen {
            *out.entry(key).or_default() += 1;
        }
    }
    out
}

#[test]
fn flags_are_found_in_the_chart_and_many_flags_default_to_pairwise() {
    let listed = check(&["--chart", &fixture("storefront"), "--list"]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    // Twelve flags, 4,608 full combinations: pairwise, then the two ci/ scenarios.
    let count: usize = listed.stdout.lines().last().unwrap().strip_suffix(" combinations").unwrap().parse().unwrap();
    assert!((8..=30).contains(&count), "{}", listed.stdout);
    assert!(listed.stdout.contains("scenario-full-values") && listed.stdout.contains("scenario-minimal-values"));
    // A string the templates test for presence is varied empty and set.
    assert!(listed.stdout.contains("ingress.host=chartgen-example") && listed.stdout.contains("+no-className"), "{}", listed.stdout);
    // The switches and enums alone: 4,608 full combinations and the scenarios.
    let full = check(&["--chart", &fixture("storefront"), "--matrix", &fixture("storefront-switches.yaml"), "--list", "--strategy", "full"]);
    assert!(full.stdout.ends_with("4610 combinations\n"), "{}", full.stdout);
    // With the presence axes, more than a full check renders.
    let too_many = check(&["--chart", &fixture("storefront"), "--list", "--strategy", "full"]);
    assert_eq!(too_many.code, 2);
    assert!(too_many.stderr.contains("has more than the 16384 combinations a check renders") && too_many.stderr.contains("use --strategy pairwise"), "{}", too_many.stderr);
    // TLS is varied only with an ingress: never listed as a choice without one.
    assert!(!full.stdout.lines().any(|l| l.contains("ingress.enabled=false") && l.contains("ingress.tls.enabled")), "{}", full.stdout);
    let few = check(&["--chart", &fixture("schema-flags"), "--list"]);
    assert_eq!(few.stdout, "defaults         feature.enabled=false mode=simple\nfeature          feature.enabled=true mode=simple\nmode-advanced    feature.enabled=false mode=advanced\nmode-advanced+feature  feature.enabled=true mode=advanced\n4 combinations\n".replace("defaults         ", "defaults               ").replace("feature          ", "feature                ").replace("mode-advanced    ", "mode-advanced          "));
}

#[test]
fn a_directory_that_is_no_chart_and_bad_matrix_settings_are_bad_input() {
    let none = check(&["--chart", &display(&root().join("fixtures"))]);
    assert_eq!(none.code, 2);
    assert!(none.stderr.contains("is not a Helm chart: it has no Chart.yaml"), "{}", none.stderr);
    let dir = tempfile::tempdir().unwrap();
    // Settings that are not YAML ...
    let settings = common::temp_file(&dir, "matrix.yaml", b"ignore:\n  - no.such.value\nrequires:\n  worker.enabled: {redis.enabled: maybe: yes}\nexternal:\n  - just-a-name\nflagz: {}\n");
    let bad = check(&["--chart", &fixture("storefront"), "--matrix", &display(&settings), "--list"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stdout.is_empty());
    // ... and settings whose every problem is reported, located.
    let settings = common::temp_file(&dir, "matrix.yaml", b"ignore:\n  - no.such.value\nexternal:\n  - just-a-name\nflags:\n  logFormat: [text]\n");
    let bad = check(&["--chart", &fixture("storefront"), "--matrix", &display(&settings), "--list"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    for expected in ["matrix.yaml:2:5", "`no.such.value` is not a value of the chart's values.yaml", "matrix.yaml:4:5", "`just-a-name` is not Kind/name", "matrix.yaml:6:3", "flag `logFormat` lists 1 value(s)", "3 errors"] {
        assert!(bad.stderr.contains(expected), "{expected}: {}", bad.stderr);
    }
}

#[test]
fn settings_that_would_make_flags_overlap_or_never_apply_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    // `ingress` as a flag would hold the flag `ingress.enabled`; `debug` is not a flag; TLS never takes `maybe`.
    let settings = common::temp_file(
        &dir,
        "matrix.yaml",
        b"flags:\n  ingress: [a, b]\nexpectedFailures:\n  - when: {debug: true}\n    message: refused\n  - when: {ingress.tls.enabled: maybe}\n    message: refused too\n",
    );
    let bad = check(&["--chart", &fixture("storefront"), "--matrix", &display(&settings), "--list"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stdout.is_empty());
    for expected in ["the flag `ingress` holds the flag `ingress.enabled`", "matrix.yaml:4:11", "`debug` is not a flag of the matrix", "matrix.yaml:6:11", "the flag `ingress.tls.enabled` never takes `maybe`"] {
        assert!(bad.stderr.contains(expected), "{expected}: {}", bad.stderr);
    }
}

#[test]
fn a_missing_renderer_is_bad_input_that_says_how_to_get_one() {
    let missing = check(&["--chart", &fixture("schema-flags"), "--helm", "/nonexistent/helm"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot run the helm binary `/nonexistent/helm`") && missing.stderr.contains("https://helm.sh/docs/intro/install/"), "{}", missing.stderr);
    let no_sdk = std::process::Command::new(env!("CARGO_BIN_EXE_chartgen"))
        .args(["check", "--chart", &fixture("schema-flags"), "--renderer", "helm-sdk"])
        .env("CHARTGEN_PYTHON", "/usr/bin/false")
        .output()
        .unwrap();
    assert_eq!(no_sdk.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&no_sdk.stderr);
    assert!(stderr.contains("has no helm-python-sdk") && stderr.contains("pip install helm-python-sdk"), "{stderr}");
}

#[test]
#[ignore = "needs the helm binary on PATH (bash .ci/run installs it)"]
fn the_defects_of_a_hand_written_chart_are_found_where_they_are_written() {
    let helm = helm();
    let run = check(&["--chart", &fixture("storefront"), "--helm", &helm, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "", "no progress where stderr is not a terminal");
    let found = findings(&json(&run));
    let kinds: BTreeSet<&str> = found.keys().map(|k| k.split_once(' ').unwrap().1).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            // The fail guard of ingress + TLS without a host, where Helm says.
            "storefront/templates/ingress.yaml:3",
            // Container settings in the worker's pod securityContext, at the first of them.
            "storefront/templates/worker-deployment.yaml:27",
            // ... and so the worker's container lacks them (CG401), placed at its securityContext.
            "storefront/templates/worker-deployment.yaml:22",
            // The Redis Secret read without Redis, and its key that the Secret spells `password`.
            "storefront/templates/deployment.yaml:71",
            "storefront/templates/deployment.yaml:72",
        ]),
        "{found:#?}"
    );
    assert!(found.keys().any(|k| k == "render storefront/templates/ingress.yaml:3"));
    assert!(found.keys().any(|k| k == "kube-schema storefront/templates/worker-deployment.yaml:27"));
    assert!(found.keys().any(|k| k == "reference storefront/templates/deployment.yaml:72"));
    assert!(run.stdout.contains("it is a container's setting: move it to each container's `securityContext`"), "{}", run.stdout);
}

#[test]
#[ignore = "needs the helm binary on PATH (bash .ci/run installs it)"]
fn companion_values_and_expected_failures_come_from_the_matrix_settings() {
    let helm = helm();
    let dir = tempfile::tempdir().unwrap();
    // A host, no longer varied empty and set, lets every TLS combination render.
    let host = common::temp_file(&dir, "host.yaml", b"values:\n  ingress:\n    host: shop.example.com\nignore:\n  - ingress.host\n");
    let run = check(&["--chart", &fixture("storefront"), "--helm", &helm, "--matrix", &display(&host), "--format", "json"]);
    let report = json(&run);
    assert!(!findings(&report).keys().any(|k| k.starts_with("render ")), "{}", run.stdout);
    let tls_ingresses = report["combinations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["flags"]["ingress.tls.enabled"] == true && c["documents"].as_array().unwrap().iter().any(|d| d["kind"] == "Ingress"))
        .count();
    assert!(tls_ingresses >= 2, "the TLS combinations render their Ingress: {}", run.stdout);
    // A refusal the settings expect is no finding ...
    let expected = common::temp_file(&dir, "expected.yaml", b"expectedFailures:\n  - when: {ingress.tls.enabled: true, ingress.host: \"\"}\n    message: ingress.tls.enabled needs ingress.host\n");
    let run = check(&["--chart", &fixture("storefront"), "--helm", &helm, "--matrix", &display(&expected), "--format", "json"]);
    assert!(!findings(&json(&run)).keys().any(|k| k.starts_with("render ")), "{}", run.stdout);
    // ... and one that renders after all is.
    let wrong = common::temp_file(&dir, "wrong.yaml", b"values:\n  ingress:\n    host: shop.example.com\nignore:\n  - ingress.host\nexpectedFailures:\n  - when: {ingress.tls.enabled: true}\n    message: ingress.tls.enabled needs ingress.host\n");
    let run = check(&["--chart", &fixture("storefront"), "--helm", &helm, "--matrix", &display(&wrong)]);
    assert!(run.stdout.contains("the settings expect Helm to refuse this combination with \"ingress.tls.enabled needs ingress.host\", but it rendered"), "{}", run.stdout);
    // An object declared external is no missing reference.
    let external = common::temp_file(&dir, "external.yaml", b"external:\n  - Secret/release-name-storefront-redis\nignore:\n  - fullnameOverride\n");
    let run = check(&["--chart", &fixture("storefront"), "--helm", &helm, "--matrix", &display(&external), "--format", "json"]);
    let found = findings(&json(&run));
    assert!(!found.keys().any(|k| k.ends_with("deployment.yaml:71")), "{found:#?}");
    assert!(found.keys().any(|k| k.ends_with("deployment.yaml:72")), "the key is still missing where the chart renders the Secret: {found:#?}");
}

#[test]
#[ignore = "needs helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs it)"]
fn a_flag_that_changes_nothing_is_found_over_the_full_matrix() {
    common::helm_python();
    let run = check(&["--chart", &fixture("storefront"), "--matrix", &fixture("storefront-switches.yaml"), "--renderer", "helm-sdk", "--strategy", "full", "--format", "json"]);
    let report = json(&run);
    assert_eq!(report["summary"]["combinations"], 4610);
    let flags = report["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{flags:#?}");
    assert_eq!(flags[0]["flag"], "legacyMode.enabled");
    let finding = &flags[0]["findings"][0];
    assert_eq!((finding["check"].as_str(), finding["severity"].as_str(), finding["line"].as_u64()), (Some("flag-no-effect"), Some("warning"), Some(98)));
    assert!(finding["file"].as_str().unwrap().ends_with("storefront/values.yaml"));
    // The chart whose every flag matters has none.
    let clean = check(&["--chart", &fixture("schema-flags"), "--renderer", "helm-sdk", "--format", "json"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert_eq!(json(&clean)["flags"], serde_json::json!([]));
}

/// The goldens a check writes, by file name.
fn goldens(args: &[&str]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let mut all = args.to_vec();
    let golden = display(dir.path());
    all.extend(["--golden", &golden, "--update"]);
    let run = check(&all);
    assert!(run.code <= 1, "{}", run.stderr);
    std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap())).collect()
}

#[test]
#[ignore = "needs the helm binary on PATH and helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs both)"]
fn the_helm_binary_and_helm_python_sdk_render_every_combination_alike() {
    let helm = helm();
    common::helm_python();
    for chart in ["storefront", "schema-flags"] {
        let by_binary = goldens(&["--chart", &fixture(chart), "--helm", &helm]);
        let by_sdk = goldens(&["--chart", &fixture(chart), "--renderer", "helm-sdk"]);
        // One golden for each combination Helm rendered: no two share an id.
        let report = json(&check(&["--chart", &fixture(chart), "--helm", &helm, "--format", "json"]));
        let rendered = report["combinations"].as_array().unwrap().iter().filter(|c| !c["documents"].as_array().unwrap().is_empty()).count();
        assert!(rendered >= 4, "{chart}: {rendered}");
        assert_eq!(by_binary.len(), rendered, "{chart}");
        assert_eq!(by_binary, by_sdk, "{chart}");
    }
}

#[test]
#[ignore = "needs the helm binary on PATH (bash .ci/run installs it)"]
fn goldens_of_a_chart_are_written_then_compared() {
    let helm = helm();
    let dir = tempfile::tempdir().unwrap();
    let golden = display(dir.path());
    let chart = fixture("schema-flags");
    let args = ["--chart", chart.as_str(), "--helm", helm.as_str(), "--golden", golden.as_str()];
    let first = check(&args);
    assert_eq!(first.code, 1);
    assert!(first.stdout.contains("error[golden-missing]"), "{}", first.stdout);
    let update = check(&[&args[..], &["--update"]].concat());
    assert_eq!(update.code, 0, "{}", update.stdout);
    assert_eq!(check(&args).code, 0);
    let file = dir.path().join("mode-advanced.yaml");
    std::fs::write(&file, std::fs::read_to_string(&file).unwrap().replace("advanced", "simple")).unwrap();
    let changed = check(&args);
    assert_eq!(changed.code, 1);
    assert!(changed.stdout.contains("error[golden-mismatch]") && changed.stdout.contains("mode-advanced"), "{}", changed.stdout);
}

/// The documents of a golden file, parsed, by the flags its header names.
fn golden_documents(text: &str) -> (String, Vec<(String, Value)>) {
    let (header, body) = text.split_once('\n').unwrap();
    let flags = header.split_once("` (").unwrap().1.split_once("), release").unwrap().0.to_string();
    let mut documents = Vec::new();
    for document in chartgen::render::split_documents(body) {
        let source = document.lines().find_map(|l| l.strip_prefix("# Source: ")).unwrap_or_default().to_string();
        let object = chartgen::source::load_str(&chartgen::diagnostic::Source::new(source.clone(), document)).unwrap().to_json();
        documents.push((source, object));
    }
    documents.sort_by_key(|d| d.0.clone() + &d.1["kind"].to_string() + &d.1["metadata"]["name"].to_string());
    (flags, documents)
}

#[test]
#[ignore = "needs helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs it)"]
fn chartgen_s_own_chart_checked_as_a_hand_written_one_agrees_with_the_native_check() {
    common::helm_python();
    let chart = display(&root().join("charts-out/certctl"));
    let settings = fixture("certctl-matrix.yaml");
    let args = ["--chart", chart.as_str(), "--matrix", settings.as_str(), "--renderer", "helm-sdk"];
    let run = check(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(run.code, 0, "Helm's rendering passes every check, as the native one does: {}", run.stdout);
    let report = json(&run);
    assert!(report["summary"]["combinations"].as_u64().unwrap() >= 25);
    // Each combination Helm rendered holds the documents of the native golden with the same flags.
    let native: BTreeMap<String, Vec<(String, Value)>> = std::fs::read_dir(root().join("fixtures/golden/certctl"))
        .unwrap()
        .map(|e| golden_documents(&std::fs::read_to_string(e.unwrap().path()).unwrap()))
        .collect();
    let mut compared = 0;
    for text in goldens(&args).values() {
        let (flags, documents) = golden_documents(text);
        if flags.contains("backup.method=barman") && !flags.contains("postgresql.provider=cnpg") {
            continue;
        }
        let expected = native.get(&flags).unwrap_or_else(|| panic!("no native combination has {flags}"));
        assert_eq!(&documents, expected, "{flags}");
        compared += 1;
    }
    assert!(compared >= 15, "{compared}");
}

#[test]
#[ignore = "needs the helm binary on PATH (bash .ci/run installs it)"]
fn lint_renders_one_values_set_of_a_chart_with_helm() {
    let helm = helm();
    let run = chartgen(&["lint", "--chart", &fixture("storefront"), "--helm", &helm, "--set", "redis.enabled=true", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    assert_eq!(report["values"]["flags"]["redis.enabled"], true);
    let messages: Vec<&str> = report["values"]["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert_eq!(messages, ["Secret `release-name-storefront-redis` is rendered without the key `redis-password` (it holds `password`); the pod does not start"]);
    let refused = chartgen(&["lint", "--chart", &fixture("storefront"), "--helm", &helm, "--set", "ingress.enabled=true,ingress.tls.enabled=true"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stdout.contains("error[render] Helm refused to render: execution error at (storefront/templates/ingress.yaml:3:4): ingress.tls.enabled needs ingress.host"), "{}", refused.stdout);
}

#[test]
#[ignore = "needs helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs it)"]
fn a_long_run_on_a_terminal_shows_its_progress_on_stderr() {
    common::helm_python();
    // util-linux's `script` gives the run a terminal; a check of more than a second shows where it is.
    let command = format!(
        "{} check --chart {} --matrix {} --renderer helm-sdk --strategy full > /dev/null",
        env!("CARGO_BIN_EXE_chartgen"),
        fixture("storefront"),
        fixture("storefront-switches.yaml")
    );
    let output = std::process::Command::new("script").args(["--quiet", "--return", "--command", &command, "/dev/null"]).env("NO_COLOR", "1").output().expect("script runs");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("rendered ") && shown.contains(" of 4610, ") && shown.contains(" s elapsed, about "), "{shown}");
    // The line is rewritten in place and cleared at the end.
    assert!(shown.contains('\r') && shown.contains("\x1b[K"), "{shown:?}");
}
