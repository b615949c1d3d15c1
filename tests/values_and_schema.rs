//! `chartgen values` and `chartgen schema`: generated from the model, they
//! agree with each other and with the defaults chartgen renders from.

mod common;

use common::{chartgen, display, specs, temp_file};
use serde_json::{json, Value};

fn schema_for(spec_args: &[String]) -> jsonschema::Validator {
    let mut args = spec_args.to_vec();
    args.push("schema".into());
    let run = chartgen(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    jsonschema::draft7::new(&schema).expect("the schema compiles as draft-07")
}

fn default_values(spec_args: &[String]) -> (String, Value) {
    let mut args = spec_args.to_vec();
    args.push("values".into());
    let run = chartgen(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let source = chartgen::diagnostic::Source::new("values.yaml", run.stdout.clone());
    let tree = chartgen::source::load_str(&source).expect("values.yaml parses");
    (run.stdout, tree.to_json())
}

#[test]
fn the_default_values_pass_the_schema() {
    for (name, args) in specs() {
        let (_, values) = default_values(&args);
        let validator = schema_for(&args);
        let errors: Vec<String> = validator.iter_errors(&values).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
}

#[test]
fn every_field_of_values_yaml_is_documented() {
    for (name, args) in specs() {
        let (text, _) = default_values(&args);
        let mut schema_args = args.clone();
        schema_args.push("schema".into());
        let schema: Value = serde_json::from_str(&chartgen(&schema_args).stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // The keys above a line, by indentation; entries of a free map (labels) are data, not fields.
        let mut parents: Vec<(usize, String)> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_key = !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('-') && trimmed.contains(':');
            if !is_key {
                continue;
            }
            let indent = line.len() - trimmed.len();
            parents.retain(|(depth, _)| *depth < indent);
            let property = parents.iter().fold(&schema, |node, (_, key)| &node["properties"][key.as_str()]);
            let in_free_map = !parents.is_empty() && property["properties"].is_null();
            let under_list = lines[..i].iter().rev().take_while(|l| !l.trim_start().starts_with('#')).any(|l| l.trim_start().starts_with('-'));
            if !in_free_map && !under_list {
                assert!(lines[i - 1].trim_start().starts_with('#'), "{name}: `{line}` has no doc comment");
            }
            parents.push((indent, trimmed.split(':').next().unwrap().to_string()));
        }
        assert!(text.starts_with("# yaml-language-server: $schema=values.schema.json"));
        assert!(text.contains("  # Flag: pvc | s3.\n  sink: pvc"), "{name}: flags are marked");
    }
}

#[test]
fn the_values_file_renders_the_same_as_the_defaults() {
    let (text, _) = default_values(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = display(&temp_file(&dir, "values.yaml", text.as_bytes()));
    assert_eq!(chartgen(&["render", "-f", &path]).stdout, chartgen(&["render"]).stdout);
}

#[test]
fn the_schema_rejects_the_runbook_mistakes_of_seed_000() {
    let validator = schema_for(&[]);
    let (_, defaults) = default_values(&[]);
    let mut misspelt = defaults.clone();
    misspelt["backup"]["pvc"]["storageClass"] = json!("fast");
    assert!(!validator.is_valid(&misspelt), "backup.pvc.storageClass is not a field");
    let mut as_string = defaults.clone();
    as_string["backup"]["s3"]["credentialsSecret"] = json!("certctl-backup-aws");
    assert!(!validator.is_valid(&as_string), "credentialsSecret is a map");
}

#[test]
fn the_schema_requires_a_bucket_only_for_the_s3_sink() {
    let validator = schema_for(&[]);
    let (_, defaults) = default_values(&[]);
    let mut s3 = defaults.clone();
    s3["backup"]["enabled"] = json!(true);
    s3["backup"]["sink"] = json!("s3");
    assert!(!validator.is_valid(&s3), "an empty bucket with sink=s3");
    s3["backup"]["s3"]["bucket"] = json!("db-backups");
    assert!(validator.is_valid(&s3));
    let mut pvc = defaults;
    pvc["backup"]["enabled"] = json!(true);
    assert!(validator.is_valid(&pvc), "no bucket needed with sink=pvc");
}

#[test]
fn the_schema_has_one_typed_threshold_per_spec_parameter() {
    let (_, ledger_args) = specs().pop().unwrap();
    let validator = schema_for(&ledger_args);
    let (_, defaults) = default_values(&ledger_args);
    let mut wrong = defaults.clone();
    wrong["monitoring"]["prometheusRules"]["thresholds"]["queueDepth"] = json!("500");
    assert!(!validator.is_valid(&wrong), "an integer threshold given as a string");
    let mut unknown = defaults;
    unknown["monitoring"]["prometheusRules"]["thresholds"]["jobFailureRatio"] = json!(0.1);
    assert!(!validator.is_valid(&unknown), "a threshold of the other spec");
}
