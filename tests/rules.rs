//! The lint rules: each rule's bad examples (`fixtures/rules/<CODE>/bad*.yaml`)
//! fail it and its good ones pass (the first of each are what `chartgen
//! explain` prints), the registry is complete and documented, configuration
//! and suppressions work.

mod common;

use chartgen::codes::RuleCode;
use chartgen::diagnostic::{Origin, Source};
use chartgen::extract::Manifest;
use chartgen::render::templates::Templates;
use chartgen::render::Release;
use chartgen::rules::{self, Config, Example, Subject};
use chartgen::source::{load_str, Node};
use chartgen::spec;
use chartgen::spec::lint::LintSettings;
use chartgen::values;

/// The documents of a YAML stream.
fn manifests(text: &str) -> Vec<Manifest> {
    text.split("\n---\n")
        .map(|text| {
            let object = load_str(&Source::new("example", text)).expect("the example is YAML").to_json();
            Manifest::new("templates/example.yaml".into(), text.to_string(), object)
        })
        .collect()
}

/// What an example's own rule finds in it, through the engine (so with
/// suppressions), one line per finding.
fn findings_of_its_rule(example: &Example) -> Vec<String> {
    let loaded = spec::load(None).unwrap();
    let user = if example.values.trim().is_empty() { Node::empty_map(Origin::Default) } else { load_str(&Source::new("example values", example.values)).unwrap() };
    let values = values::from_user_tree(&loaded.spec, user).expect("the example's values are valid");
    let tree = values.tree.to_json();
    let manifests = manifests(example.manifests);
    let subject = Subject { spec: &loaded.spec, values: &values.values, values_tree: &tree, manifests: &manifests };
    rules::run(&Config::all(), &subject, &rules::DocumentCache::default())
        .into_iter()
        .filter(|f| f.code == example.code)
        .map(|f| {
            let v = f.violation;
            let document = v.document.map_or("(values)".to_string(), |i| format!("{}/{}", manifests[i].kind(), manifests[i].name()));
            format!("{document} {}: {}", v.pointer, v.message)
        })
        .collect()
}

#[test]
fn every_bad_example_fails_its_rule() {
    for example in rules::EXAMPLES.iter().filter(|e| e.is_bad()) {
        let found = findings_of_its_rule(example);
        assert!(!found.is_empty(), "{} does not fail its example {}", example.code, example.case);
        insta::assert_snapshot!(format!("{}-{}", example.code, example.case), found.join("\n"));
    }
}

#[test]
fn every_good_example_passes_its_rule() {
    for example in rules::EXAMPLES.iter().filter(|e| !e.is_bad()) {
        assert_eq!(findings_of_its_rule(example), Vec::<String>::new(), "{} fails its example {}", example.code, example.case);
    }
}

#[test]
fn every_rule_has_a_code_a_doc_and_reviewed_examples() {
    let registry = rules::registry();
    let mut codes = std::collections::BTreeSet::new();
    for rule in &registry {
        let doc = &rule.doc;
        assert!(codes.insert(doc.code), "{} is used twice", doc.code);
        for (heading, text) in [("checks", doc.checks), ("why", doc.why)] {
            assert!(text.trim().len() > 20, "{} has no `{heading}`", doc.code);
        }
        let cases: Vec<&str> = rules::examples(doc.code).map(|e| e.case).collect();
        let first = |bad: bool| rules::examples(doc.code).find(|e| e.is_bad() == bad).map(|e| e.case);
        assert_eq!((first(true), first(false)), (Some("bad"), Some("good")), "{} needs fixtures/rules/{}/bad.yaml and good.yaml, which explain prints: {cases:?}", doc.code, doc.code);
        for example in rules::examples(doc.code).filter(|e| e.is_bad()) {
            let snapshot = common::root().join(format!("tests/snapshots/rules__{}-{}.snap", doc.code, example.case));
            assert!(snapshot.is_file(), "{} has no reviewed snapshot of its example {} ({})", doc.code, example.case, snapshot.display());
        }
    }
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), RuleCode::ALL, "every code of the table has one rule file, and no rule file has another code");
}

#[test]
fn every_file_of_the_rule_fixtures_is_an_example_or_its_values() {
    for folder in std::fs::read_dir(common::root().join("fixtures/rules")).unwrap() {
        let folder = folder.unwrap().path();
        let code = folder.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&folder).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            let case = name.strip_suffix(".values.yaml").or_else(|| name.strip_suffix(".yaml"));
            let known = case.is_some_and(|case| rules::EXAMPLES.iter().any(|e| e.code.as_str() == code && e.case == case));
            assert!(known, "fixtures/rules/{code}/{name} is not read: examples are bad*.yaml or good*.yaml, values <example>.values.yaml");
        }
    }
}

#[test]
fn the_rules_page_is_current() {
    let page = std::fs::read_to_string(common::root().join("docs/rules.md")).unwrap_or_default();
    assert!(page == rules::markdown(), "docs/rules.md is stale; run `cargo run -- rules --markdown > docs/rules.md`");
}

#[test]
fn every_combination_passes_every_rule_with_the_longest_release_name() {
    // Helm's limit: 53 characters.
    let release = Release::new(&"r".repeat(53), "default").unwrap();
    for (_, spec_args) in common::specs() {
        let loaded = spec::load(spec_args.get(1).map(std::path::Path::new)).unwrap();
        for combination in chartgen::matrix::full(&loaded.spec, chartgen::values::flags::model_flags()) {
            let values = chartgen::matrix::values(&loaded, &combination).unwrap();
            let manifests = Templates::builtin().render(&loaded.spec, &values.values, &release).unwrap();
            let tree = values.tree.to_json();
            let subject = Subject { spec: &loaded.spec, values: &values.values, values_tree: &tree, manifests: &manifests };
            let findings = rules::run(&Config::all(), &subject, &rules::DocumentCache::default());
            assert!(findings.is_empty(), "{}: {findings:#?}", combination.id);
        }
    }
}

fn cronjob_with_annotations(annotations: &str) -> Vec<Manifest> {
    manifests(&format!("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: db-backup\n  annotations:\n{annotations}\nspec:\n  schedule: \"0 2 * * *\"\n  jobTemplate: {{}}\n"))
}

fn lint(manifests: &[Manifest], config: &Config) -> Vec<(String, String)> {
    let loaded = spec::load(None).unwrap();
    let values = values::from_user_tree(&loaded.spec, Node::empty_map(Origin::Default)).unwrap();
    let tree = values.tree.to_json();
    let subject = Subject { spec: &loaded.spec, values: &values.values, values_tree: &tree, manifests };
    rules::run(config, &subject, &rules::DocumentCache::default()).into_iter().map(|f| (f.code.to_string(), f.violation.message)).collect()
}

#[test]
fn an_annotation_with_a_reason_suppresses_a_rule_on_that_object() {
    let plain = lint(&cronjob_with_annotations("    x: y"), &Config::all());
    assert!(plain.iter().any(|(code, _)| code == "CG103"), "{plain:?}");
    let suppressed = lint(&cronjob_with_annotations("    chartgen/ignore-CG103: \"a test fixture, never scheduled\""), &Config::all());
    assert!(!suppressed.iter().any(|(code, _)| code == "CG103"), "{suppressed:?}");
}

#[test]
fn a_suppression_without_a_reason_is_itself_a_finding() {
    let found = lint(&cronjob_with_annotations("    chartgen/ignore-CG103: \"\""), &Config::all());
    assert!(found.iter().any(|(code, _)| code == "CG103"), "an empty reason suppresses nothing: {found:?}");
    assert!(found.iter().any(|(code, message)| code == "CG000" && message.contains("gives no reason")), "{found:?}");
}

#[test]
fn a_cached_document_is_reported_where_each_copy_stands() {
    let cronjob = cronjob_with_annotations("    x: y").remove(0);
    let configmap = manifests("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: {}\n").remove(0);
    let loaded = spec::load(None).unwrap();
    let values = values::from_user_tree(&loaded.spec, Node::empty_map(Origin::Default)).unwrap();
    let tree = values.tree.to_json();
    let cache = rules::DocumentCache::default();
    let documents_of = |manifests: &[Manifest]| {
        let subject = Subject { spec: &loaded.spec, values: &values.values, values_tree: &tree, manifests };
        let mut found: Vec<usize> = rules::run(&Config::all(), &subject, &cache).into_iter().filter(|f| f.code == RuleCode::CG103).filter_map(|f| f.violation.document).collect();
        found.dedup();
        found
    };
    assert_eq!(documents_of(&[cronjob.clone(), configmap.clone()]), [0]);
    // The second rendering reads the CronJob's findings from the cache.
    assert_eq!(documents_of(&[configmap, cronjob.clone(), cronjob]), [1, 2]);
}

#[test]
fn the_spec_can_disable_a_rule_and_change_a_severity() {
    let settings: LintSettings = serde_json::from_value(serde_json::json!({"disable": ["CG103"], "severity": {"CG101": "warning"}})).unwrap();
    let config = Config::new(&settings);
    let found = lint(&cronjob_with_annotations("    x: y"), &config);
    assert!(!found.iter().any(|(code, _)| code == "CG103"), "{found:?}");
}

#[test]
fn an_unknown_code_in_the_spec_is_bad_input_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(common::root().join("fixtures/specs/certctl.yaml")).unwrap().replace("  scenarios: ../scenarios\n", "")
        + "\nlint:\n  disable: [CG1O3]\n";
    let path = common::temp_file(&dir, "chartgen.yaml", text.as_bytes());
    let run = common::chartgen(&["--spec", path.to_str().unwrap(), "check", "--only", "defaults"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`CG1O3` is not a rule code"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `CG103`?"), "{}", run.stderr);
    assert!(run.stderr.contains("chartgen.yaml:"), "{}", run.stderr);
}

#[test]
fn explain_prints_the_fixed_headings() {
    let run = common::chartgen(&["explain", "CG102"]);
    assert_eq!(run.code, 0);
    for heading in ["## CG102 backup-rpo", "### What it checks", "### Why it matters", "### Bad", "### Good"] {
        assert!(run.stdout.contains(heading), "{heading}: {}", run.stdout);
    }
}

#[test]
fn lint_reports_findings_with_exit_code_one() {
    let run = common::chartgen(&["lint", "--set", "backup.enabled=true,backup.rpo=12h"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("error[CG102]"), "{}", run.stdout);
    assert!(run.stdout.contains("leaves up to 1d between backups"), "{}", run.stdout);
    assert_eq!(common::chartgen(&["lint", "--set", "backup.enabled=true"]).code, 0);
}

#[test]
fn rules_lists_every_rule() {
    let run = common::chartgen(&["rules"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout.lines().count(), rules::registry().len());
}

/// The built-in spec with a `lint:` section, in a directory of its own.
fn spec_with_lint(dir: &tempfile::TempDir, lint: &str) -> String {
    let text = std::fs::read_to_string(common::root().join("fixtures/specs/certctl.yaml")).unwrap();
    let text = text[..text.find("  golden:").unwrap()].to_string() + lint;
    common::display(&common::temp_file(dir, "chartgen.yaml", text.as_bytes()))
}

#[test]
fn a_finding_made_a_warning_is_reported_but_fails_only_when_warnings_are_denied() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_with_lint(&dir, "lint:\n  severity:\n    CG102: warning\n");
    // A daily schedule leaves a day between backups: more than an RPO of one hour.
    let args = ["--spec", &spec, "lint", "--set", "backup.enabled=true,backup.rpo=1h"];
    let run = common::chartgen(&args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("warning[CG102]"), "{}", run.stdout);
    let denied = common::chartgen(&[&["--deny-warnings"][..], &args].concat());
    assert_eq!(denied.code, 1, "{}", denied.stdout);
    let spec = spec_with_lint(&dir, "lint:\n  denyWarnings: true\n  severity:\n    CG102: warning\n");
    assert_eq!(common::chartgen(&["--spec", &spec, "lint", "--set", "backup.enabled=true,backup.rpo=1h"]).code, 1, "the spec can deny warnings too");
}

#[test]
fn rules_and_explain_read_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let spec = spec_with_lint(&dir, "lint:\n  disable: [CG605]\n  severity:\n    CG102: warning\n");
    let run = common::chartgen(&["--spec", &spec, "rules"]);
    let line = |code: &str| run.stdout.lines().find(|l| l.starts_with(code)).unwrap_or_else(|| panic!("no {code}")).to_string();
    assert!(line("CG102").contains(" warning "), "{}", line("CG102"));
    assert!(line("CG605").contains(" off "), "{}", line("CG605"));
    assert!(line("CG101").contains(" error "), "{}", line("CG101"));
    let explained = common::chartgen(&["--spec", &spec, "explain", "backup-rpo"]);
    assert_eq!(explained.code, 0, "a rule's name works as well as its code: {}", explained.stderr);
    assert!(explained.stdout.starts_with("## CG102 backup-rpo"), "{}", explained.stdout);
    assert!(explained.stdout.contains("runs it as warning instead"), "{}", explained.stdout);
    let unknown = common::chartgen(&["explain", "backup-rp"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("did you mean `backup-rpo`?"), "{}", unknown.stderr);
}
