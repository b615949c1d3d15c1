//! Helm mode: the same templates yield Go-template expressions, branch only
//! on flags, and report which flags they read. Native mode refuses a value
//! printed without a typed helper.

use chartgen::render::templates::Templates;
use chartgen::spec;
use chartgen::values::flags::{model_flags, Assignment, Flag, FlagValue, ValuePath};

/// Every assignment of every flag's domain.
fn assignments(flags: &[Flag]) -> Vec<Assignment> {
    flags.iter().fold(vec![Assignment::new()], |acc, flag| acc.iter().flat_map(|partial| flag.domain.iter().map(move |value| partial.with(&flag.path, value))).collect())
}

/// Every flag at its first value, but those given.
fn on(flags: &[(&str, FlagValue)]) -> Assignment {
    let mut all = Assignment::new();
    for flag in model_flags() {
        all.insert(flag.path.clone(), flag.domain[0].clone());
    }
    for (path, value) in flags {
        all.insert(ValuePath::parse(path), value.clone());
    }
    all
}

fn paths(dotted: &[&str]) -> Vec<ValuePath> {
    dotted.iter().map(|p| ValuePath::parse(p)).collect()
}

/// The built-in spec as the templates read it.
fn builtin_spec_as_templates_read_it() -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(spec::load(None).unwrap().spec))
}

#[test]
fn every_template_renders_in_helm_mode_for_every_flag_assignment() {
    let spec = builtin_spec_as_templates_read_it();
    let renderer = Templates::builtin();
    let all = assignments(model_flags());
    // Fourteen two-valued flags and the three backup tiers.
    assert_eq!(all.len(), (1 << 14) * 3);
    for assignment in &all {
        for name in renderer.template_names() {
            let rendering = renderer.render_helm(name, &spec, assignment);
            assert!(rendering.is_ok(), "{name} with {assignment:?}: {}", rendering.err().unwrap());
        }
    }
}

#[test]
fn helm_mode_prints_expressions_not_default_values() {
    let spec = builtin_spec_as_templates_read_it();
    // With S3 the upload container is written in the template itself, not in a partial.
    let flags = on(&[("backup.enabled", true.into()), ("backup.sink", FlagValue::Choice("s3".into()))]);
    let text = Templates::builtin().render_helm("backup-cronjob.yaml.j2", &spec, &flags).unwrap().text;
    assert!(text.contains("schedule: {{ $.Values.backup.schedule | toJson }}"));
    assert!(text.contains("resources: {{- toYaml $.Values.backup.resources | nindent 16 }}"));
    assert!(text.contains("nodeSelector: {{- toYaml $.Values.backup.nodeSelector | nindent 12 }}"), "nest shifts nindent");
    assert!(!text.contains("0 2 * * *"), "the default schedule must not be baked in");
    assert!(!text.contains("postgres:16.6"), "the default image must not be baked in");
}

#[test]
fn helm_mode_reports_only_the_flags_a_rendering_depends_on() {
    let spec = builtin_spec_as_templates_read_it();
    let renderer = Templates::builtin();
    let off = renderer.render_helm("backup-cronjob.yaml.j2", &spec, &on(&[])).unwrap();
    assert_eq!(off.flags_read.iter().cloned().collect::<Vec<_>>(), paths(&["backup.enabled"]));
    let pvc = renderer.render_helm("backup-cronjob.yaml.j2", &spec, &on(&[("backup.enabled", true.into())])).unwrap();
    assert!(pvc.flags_read.contains(&ValuePath::parse("backup.pvc.create")) && pvc.flags_read.contains(&ValuePath::parse("backup.sink")));
}

#[test]
fn threshold_expressions_keep_durations_raw_and_numbers_as_json() {
    let spec = builtin_spec_as_templates_read_it();
    let flags = on(&[("monitoring.prometheusRules.enabled", true.into())]);
    let text = Templates::builtin().render_helm("prometheusrule.yaml.j2", &spec, &flags).unwrap().text;
    assert!(text.contains("\"sum(rate(certctl_job_failed_total[\" $.Values.monitoring.prometheusRules.thresholds.jobFailureWindow\n"), "{text}");
    assert!(text.contains("(toJson $.Values.monitoring.prometheusRules.thresholds.jobFailureRatio)"), "{text}");
    assert!(text.contains(r#"{{ "\"{{ $value }} certificates"#), "Prometheus templating is escaped for Helm: {text}");
}

fn renderer_with(template: &str) -> (tempfile::TempDir, Templates) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken.yaml.j2"), template).unwrap();
    let renderer = Templates::builtin_with(dir.path()).unwrap();
    (dir, renderer)
}

#[test]
fn branching_on_a_value_that_is_not_a_flag_is_refused() {
    let spec = builtin_spec_as_templates_read_it();
    let (_dir, renderer) = renderer_with("{% if values.backup.s3.bucket %}x: 1{% endif %}\n");
    let err = renderer.render_helm("broken.yaml.j2", &spec, &on(&[])).unwrap_err();
    assert!(err.to_string().contains("branches on `backup.s3.bucket`, which is not a flag"), "{err}");
}

#[test]
fn a_raw_value_printed_without_a_helper_is_refused() {
    let loaded = spec::load(None).unwrap();
    let values = chartgen::values::load(&loaded.spec, &Default::default()).unwrap().values;
    let (_dir, renderer) = renderer_with("schedule: {{ values.backup.schedule }}\n");
    let release = chartgen::render::Release::new("prod", "certs").unwrap();
    let err = renderer.render(&loaded.spec, &values, &release).unwrap_err();
    assert!(err.to_string().contains("a raw value"), "{err}");
    assert!(err.to_string().contains("typed helper"), "{err}");
}
