//! `chartgen generate`: the chart it writes reads like a hand-written one,
//! `--check` reports staleness with a diff and the fixing command, a
//! directory chartgen did not make is never overwritten, and a run killed at
//! any point leaves the previous chart whole.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chartgen::helm::{self, repeated_run};
use chartgen::render::templates::Templates;
use chartgen::spec;
use common::chartgen;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn generate(out: &std::path::Path, extra: &[&str]) -> common::Run {
    let mut args = vec!["generate", "--out", out.to_str().unwrap()];
    args.extend(extra);
    chartgen(&args)
}

#[test]
fn no_run_of_more_than_three_lines_appears_twice_in_a_generated_template() {
    for (_, spec_args) in common::specs() {
        let spec = spec::load(spec_args.get(1).map(std::path::Path::new)).unwrap().spec;
        let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
        for (file, text) in chart.files.iter().filter(|(f, _)| f.starts_with("templates/")) {
            // Each define of _helpers.tpl is its own template.
            for piece in text.split("{{- define ") {
                assert_eq!(repeated_run(piece), None, "{file} repeats lines");
            }
        }
    }
}

#[test]
fn conditionals_nest_no_deeper_than_the_flags_a_template_reads() {
    let spec = spec::load(None).unwrap().spec;
    let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
    for (file, text) in chart.files.iter().filter(|(f, _)| f.ends_with(".yaml")) {
        let mut depth = 0usize;
        let mut deepest = 0usize;
        let mut flags = std::collections::BTreeSet::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if let Some(condition) = trimmed.strip_prefix("{{- if ") {
                depth += 1;
                deepest = deepest.max(depth);
                let path = condition.split_whitespace().find(|w| w.starts_with("$.Values.")).unwrap();
                flags.insert(path.to_string());
            } else if trimmed.starts_with("{{- end }}") && depth > 0 {
                depth -= 1;
            }
        }
        assert!(deepest <= flags.len(), "{file}: depth {deepest} over {} flags", flags.len());
    }
}

#[test]
fn a_conditional_holds_whole_items_and_keys_at_its_own_indentation() {
    let spec = spec::load(None).unwrap().spec;
    let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
    let indentation = |line: &str| line.len() - line.trim_start().len();
    let control = |line: &str| ["{{- if ", "{{- else", "{{- end", "{{- with ", "{{- range "].iter().any(|c| line.trim_start().starts_with(c));
    for (file, text) in chart.files.iter().filter(|(f, _)| f.starts_with("templates/") && !f.ends_with("NOTES.txt")) {
        for (line, next) in text.lines().zip(text.lines().skip(1)).filter(|(_, next)| !next.trim().is_empty() && !control(next)) {
            let test = line.trim_start();
            // A branch that began inside one item would start deeper than its test;
            // one that ended inside an item would be followed by the rest of it.
            if test.starts_with("{{- if ") || test.starts_with("{{- with ") || test == "{{- else }}" {
                assert_eq!(indentation(next), indentation(line), "{file}: {line:?} guards {next:?}");
            }
            if test == "{{- end }}" {
                assert!(indentation(next) <= indentation(line), "{file}: {next:?} follows {line:?}");
            }
        }
    }
}

#[test]
fn each_template_is_reported_against_its_longest_variant() {
    let spec = spec::load(None).unwrap().spec;
    let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
    let cronjob = chart.report.iter().find(|r| r.file == "templates/backup-cronjob.yaml").unwrap();
    assert_eq!(cronjob.variants, 5, "off, barman (no CronJob), s3, pvc with and without a created claim");
    assert!(cronjob.lines < cronjob.longest_variant * 3 / 2, "{cronjob:?}");
    assert!(cronjob.lines >= cronjob.longest_variant, "{cronjob:?}");
}

#[test]
fn scalars_keep_their_types_and_nothing_defaults_silently() {
    let spec = spec::load(None).unwrap().spec;
    let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
    for (file, text) in chart.files.iter().filter(|(f, _)| f.starts_with("templates/") && !f.ends_with("NOTES.txt")) {
        assert!(!text.contains("| default"), "{file} uses default");
        assert!(!text.contains("| quote"), "{file} quotes instead of toJson");
    }
}

#[test]
fn the_chart_holds_every_file_helm_and_a_reader_expect() {
    let dir = tempfile::tempdir().unwrap();
    let run = generate(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let chart = dir.path().join("certctl");
    for file in ["Chart.yaml", "values.yaml", "values.schema.json", "README.md", ".helmignore", "templates/_helpers.tpl", "templates/NOTES.txt"] {
        assert!(chart.join(file).is_file(), "{file} is missing");
    }
    let values = std::fs::read_to_string(chart.join("values.yaml")).unwrap();
    assert!(values.starts_with("# yaml-language-server: $schema=values.schema.json\n"));
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    assert!(chart_yaml.contains("apiVersion: v2\n"));
    let readme = std::fs::read_to_string(chart.join("README.md")).unwrap();
    assert!(readme.contains("| `backup.sink` | \"pvc\" \\| \"s3\" (*flag*) | `\"pvc\"` |"), "{readme}");
    let notes = std::fs::read_to_string(chart.join("templates/NOTES.txt")).unwrap();
    assert!(notes.contains("OnDelete") && notes.contains("CERTCTL_MIGRATIONS_VIA_HOOK"));
    assert!(run.stdout.contains("templates/backup-cronjob.yaml"), "the report lists each template: {}", run.stdout);
}

#[test]
fn check_passes_on_current_output_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
    let run = generate(dir.path(), &["--check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("is current"));
}

#[test]
fn check_fails_with_a_diff_and_the_fixing_command_when_stale() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
    let chart = dir.path().join("certctl");
    let path = chart.join("templates/backup-pvc.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace("ReadWriteOnce", "ReadWriteMany");
    std::fs::write(&path, text).unwrap();
    std::fs::write(chart.join("templates/stray.yaml"), "kind: ConfigMap\n").unwrap();
    let run = generate(dir.path(), &["--check"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("--- a/templates/backup-pvc.yaml\n+++ b/templates/backup-pvc.yaml"), "{}", run.stdout);
    assert!(run.stdout.contains("-    - ReadWriteMany\n+    - ReadWriteOnce"), "{}", run.stdout);
    assert!(run.stdout.contains("templates/stray.yaml: not generated"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("2 of 34 files differ; run `chartgen generate --out {}`", dir.path().display())), "{}", run.stdout);
    assert!(std::fs::read_to_string(&path).unwrap().contains("ReadWriteMany"), "--check writes nothing");
}

#[test]
fn check_truncates_a_long_diff_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let run = generate(dir.path(), &["--check"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("more stale files"), "{}", run.stdout);
    assert!(run.stdout.lines().count() < 400);
}

#[test]
fn generate_refuses_a_directory_it_did_not_create() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("certctl");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("Chart.yaml"), "apiVersion: v2\nname: certctl\nversion: 9.9.9\n").unwrap();
    let run = generate(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("refusing to overwrite"), "{}", run.stderr);
    assert_eq!(run.stdout, "", "no partial output");
    assert!(std::fs::read_to_string(foreign.join("Chart.yaml")).unwrap().contains("9.9.9"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "nothing written beside it");
}

#[test]
fn a_failed_generate_leaves_the_previous_chart_untouched() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
    let before = std::fs::read_to_string(dir.path().join("certctl/values.yaml")).unwrap();
    let spec = dir.path().join("broken.yaml");
    std::fs::write(&spec, "chart: [\n").unwrap();
    let run = chartgen(&["--spec", spec.to_str().unwrap(), "generate", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert_eq!(std::fs::read_to_string(dir.path().join("certctl/values.yaml")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 2, "only the chart and the spec: {names:?}");
}

#[test]
fn regenerating_replaces_the_previous_chart_whole() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
    let values = dir.path().join("certctl/values.yaml");
    let generated = std::fs::read_to_string(&values).unwrap();
    std::fs::write(&values, "edited: by hand\n").unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), generated, "a generated file is generated again");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no staging directory left behind");
}

#[test]
fn the_committed_chart_is_current() {
    let run = chartgen(&["generate", "--check", "--out", common::root().join("charts-out").to_str().unwrap()]);
    assert_eq!(run.code, 0, "charts-out/ is stale; run `cargo run -- generate`:\n{}", run.stdout);
}

/// Every file under `dir`, by path inside it.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.insert(path.strip_prefix(base).unwrap().to_path_buf(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The certctl spec copied into `dir` with one edit, less its `check:`
/// section, whose paths are relative to the fixtures.
fn spec_copy(dir: &Path, name: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(common::root().join("fixtures/specs/certctl.yaml")).unwrap();
    let (text, _check) = text.split_once("\ncheck:\n").unwrap();
    assert!(text.contains(from), "the spec has no `{from}`");
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", text.replacen(from, to, 1))).unwrap();
    path
}

const CERTCTL_DESCRIPTION: &str = "PostgreSQL operations for certctl: backups, migrations, alerts and the database itself.";

#[test]
fn generate_refuses_a_chart_whose_chart_yaml_does_not_set_the_annotation() {
    let hand_written = [
        "# Unlike the charts marked chartgen/generated: \"true\", this one is kept by hand.\napiVersion: v2\nname: certctl\nversion: 9.9.9\n",
        "apiVersion: v2\nname: certctl\nversion: 9.9.9\ndescription: 'chartgen/generated: \"true\"'\nannotations:\n  owner: platform\n",
        "apiVersion: v2\nname: certctl\nversion: 9.9.9\nannotations:\n  chartgen/generated: \"false\"\n",
        "apiVersion: v2\nname: certctl\nversion: 9.9.9\nannotations: [\n# chartgen/generated: \"true\"\n",
    ];
    for chart_yaml in hand_written {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("certctl");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(chart.join("Chart.yaml"), chart_yaml).unwrap();
        std::fs::write(chart.join("templates/deployment.yaml"), "kind: Deployment\n").unwrap();
        let before = tree(&chart);
        let run = generate(dir.path(), &[]);
        assert_eq!(run.code, 2, "{chart_yaml}");
        assert!(run.stderr.contains("refusing to overwrite"), "{}", run.stderr);
        assert_eq!(tree(&chart), before, "untouched: {chart_yaml}");
        assert_eq!(names(dir.path()), ["certctl"], "nothing written beside it");
    }
}

/// A chart generated from a spec whose alert description holds template syntax.
fn chart_with_template_syntax(dir: &tempfile::TempDir) -> (std::path::PathBuf, &'static str) {
    let description = "{{ $value }} certificates expire soon; backups are at most {{ .Values.backup.rpo }} old.";
    let spec = spec_copy(dir.path(), "spec.yaml", "{{ $value }} certificates managed by certctl expire soon and have not been renewed.", description);
    let out = dir.path().join("out");
    let run = chartgen(&["--spec", spec.to_str().unwrap(), "generate", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    (out.join("certctl"), description)
}

#[test]
fn spec_text_that_looks_like_a_template_is_printed_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (chart, description) = chart_with_template_syntax(&dir);
    let template = std::fs::read_to_string(chart.join("templates/prometheusrule.yaml")).unwrap();
    // A Go string literal: Helm prints its contents and evaluates nothing in it.
    let printed = format!("description: {{{{ {} }}}}", serde_json::to_string(&format!("\"{description}\"")).unwrap());
    assert!(template.contains(&printed), "{printed} not in\n{template}");
}

#[test]
#[ignore = "needs real Helm: helm-python-sdk in CHARTGEN_PYTHON (bash .ci/run installs it)"]
fn real_helm_prints_spec_text_that_looks_like_a_template_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let (chart, description) = chart_with_template_syntax(&dir);
    let python = common::helm_python();
    let request = serde_json::json!({
        "op": "render",
        "chart": chart,
        "cases": [{"values": {"monitoring": {"prometheusRules": {"enabled": true}}}, "name": "release-name", "namespace": "default"}],
    });
    let mut oracle = Command::new(python)
        .arg(common::root().join("tests/helm/chart_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(oracle.stdin.take().unwrap(), &request).unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&oracle.wait_with_output().unwrap().stdout).unwrap();
    let rule = answer[0]["manifests"]["certctl/templates/prometheusrule.yaml"].as_str().unwrap_or_else(|| panic!("no rule rendered: {answer}"));
    assert!(rule.contains(&format!("description: \"{description}\"")), "{rule}");
}

/// How every directory `generate` makes beside the chart begins.
const SCRATCH: &str = ".chartgen-certctl.";

/// The process id in the name of a directory `generate` made beside the chart.
fn scratch_pid(name: &str) -> Option<u32> {
    name.strip_prefix(SCRATCH)?.split('.').next()?.parse().ok()
}

#[test]
fn leftovers_of_ended_runs_are_deleted_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut ended = Command::new("true").spawn().unwrap();
    let ended_pid = ended.id();
    ended.wait().unwrap();
    let alive_pid = std::process::id();
    let kept = [
        format!("{SCRATCH}{alive_pid}.aBc123"),
        format!(".chartgen-ledger.{ended_pid}.aBc123"),
        ".certctl.previous-1234".to_string(),
        format!("chartgen-certctl.{ended_pid}.aBc123"),
    ];
    let deleted = [format!("{SCRATCH}{ended_pid}.aBc123"), format!("{SCRATCH}{ended_pid}.aBc123.old")];
    for name in kept.iter().chain(&deleted) {
        std::fs::create_dir_all(dir.path().join(name).join("templates")).unwrap();
    }
    assert_eq!(generate(dir.path(), &[]).code, 0);
    let mut expected: Vec<String> = kept.to_vec();
    expected.push("certctl".to_string());
    expected.sort();
    assert_eq!(names(dir.path()), expected);
}

/// One lane of the kill test: `generate` run again and again into its own
/// directory, each run writing the chart that is not there yet, and killed
/// a random time after it starts writing.
struct Lane {
    out: PathBuf,
    specs: [PathBuf; 2],
    rng: StdRng,
    /// The earliest a run was seen writing, so that the wait for it can sleep until shortly before.
    writing_after: Duration,
}

/// How the killed runs of a lane ended.
#[derive(Debug, Default)]
struct Outcomes {
    old_chart_kept: usize,
    new_chart_in_place: usize,
    left_something_beside: usize,
    finished_before_the_kill: usize,
}

impl Outcomes {
    fn killed(&self) -> usize {
        self.old_chart_kept + self.new_chart_in_place
    }
}

impl Lane {
    fn new(out: PathBuf, specs: [PathBuf; 2], seed: u64) -> Lane {
        Lane { out, specs, rng: StdRng::seed_from_u64(seed), writing_after: Duration::ZERO }
    }

    fn spawn(&self, spec: &Path) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_chartgen"))
            .args(["--spec", spec.to_str().unwrap(), "generate", "--out", self.out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Waits until the run starts writing, which is when a new name appears
    /// beside the chart, or has ended.
    fn wait_until_writing(&mut self, child: &mut std::process::Child) {
        let started = Instant::now();
        let before = names(&self.out);
        loop {
            if child.try_wait().unwrap().is_some() {
                // It wrote before it was looked for: look earlier next time.
                self.writing_after /= 2;
                return;
            }
            if started.elapsed() < self.writing_after * 3 / 4 {
                std::thread::sleep(Duration::from_millis(1));
            } else if std::fs::read_dir(&self.out).unwrap().any(|e| !before.contains(&e.unwrap().file_name().to_string_lossy().into_owned())) {
                self.writing_after = if self.writing_after.is_zero() { started.elapsed() } else { self.writing_after.min(started.elapsed()) };
                return;
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
    }

    fn run(mut self, charts: &[BTreeMap<PathBuf, Vec<u8>>; 2], kills: usize, seed: u64) -> Outcomes {
        let chart = self.out.join("certctl");
        let mut outcomes = Outcomes::default();
        // One run left alone times the write, so that the kills spread over it and as far again.
        let mut child = self.spawn(&self.specs[1]);
        self.wait_until_writing(&mut child);
        let writing = Instant::now();
        assert!(child.wait().unwrap().success());
        let mut latest_kill = writing.elapsed() * 2;
        let mut on_disk = 1;
        for run in 0.. {
            if outcomes.killed() == kills {
                break;
            }
            let next = 1 - on_disk;
            // Log-uniform from a microsecond on: as many kills early in the write as late.
            let delay = Duration::from_secs_f64(10f64.powf(self.rng.random_range(-6.0..latest_kill.as_secs_f64().log10())));
            let mut child = self.spawn(&self.specs[next]);
            self.wait_until_writing(&mut child);
            std::thread::sleep(delay);
            child.kill().unwrap();
            let finished = child.wait().unwrap().success();
            let context = format!("run {run} (seed {seed}, killed {delay:?} into the write)");
            assert!(chart.is_dir(), "{context}: the chart directory is gone");
            let now = tree(&chart);
            on_disk = charts.iter().position(|c| *c == now).unwrap_or_else(|| {
                let differing: Vec<_> = now.keys().chain(charts[next].keys()).filter(|f| now.get(*f) != charts[next].get(*f)).collect();
                panic!("{context}: the chart is neither the old nor the new one whole; differing from the new: {differing:?}")
            });
            let beside: Vec<String> = names(&self.out).into_iter().filter(|n| n != "certctl").collect();
            for name in &beside {
                assert_eq!(scratch_pid(name), Some(child.id()), "{context}: {name} is not the killed run's, so an earlier run's was not deleted");
            }
            if finished {
                outcomes.finished_before_the_kill += 1;
                assert_eq!(on_disk, next, "{context}: a finished run wrote its chart");
            } else if on_disk == next {
                outcomes.new_chart_in_place += 1;
            } else {
                outcomes.old_chart_kept += 1;
                // Under load a write takes longer than the one timed alone: late kills that still
                // land before the swap stretch the range, so that some land after it.
                if delay > latest_kill / 2 {
                    latest_kill = latest_kill * 3 / 2;
                }
            }
            outcomes.left_something_beside += usize::from(!beside.is_empty());
        }
        outcomes
    }
}

#[test]
fn a_killed_generate_leaves_the_old_chart_or_the_new_one_whole_and_the_next_run_cleans_up() {
    // Two lanes in parallel: a run is mostly compiling the chart, on one core.
    const LANES: u64 = 2;
    const KILLS_PER_LANE: usize = 100;
    let seed: u64 = std::env::var("CHARTGEN_KILL_SEED").map_or_else(|_| rand::random(), |s| s.parse().expect("a number"));
    eprintln!("kill test: seed {seed}; repeat with CHARTGEN_KILL_SEED={seed}");
    let work = tempfile::tempdir().unwrap();
    // The same chart name and two descriptions: two charts that differ in Chart.yaml and README.md.
    let specs = ["old", "new"].map(|word| spec_copy(work.path(), &format!("{word}.yaml"), CERTCTL_DESCRIPTION, &format!("{CERTCTL_DESCRIPTION} ({word})")));
    let charts = [0, 1].map(|i| {
        let out = work.path().join(format!("expected-{i}"));
        assert_eq!(chartgen(&["--spec", specs[i].to_str().unwrap(), "generate", "--out", out.to_str().unwrap()]).code, 0);
        tree(&out.join("certctl"))
    });
    assert_ne!(charts[0], charts[1]);
    let lanes: Vec<Lane> = (0..LANES)
        .map(|lane| {
            let out = work.path().join(format!("lane-{lane}"));
            assert_eq!(chartgen(&["--spec", specs[0].to_str().unwrap(), "generate", "--out", out.to_str().unwrap()]).code, 0);
            Lane::new(out, specs.clone(), seed.wrapping_add(lane))
        })
        .collect();
    let charts = Arc::new(charts);
    let started = Instant::now();

    // The watcher: no chart directory is ever missing, nor its Chart.yaml.
    let done = Arc::new(AtomicBool::new(false));
    let missing = Arc::new(AtomicUsize::new(0));
    let watched: Vec<PathBuf> = lanes.iter().map(|l| l.out.join("certctl/Chart.yaml")).collect();
    let watcher = {
        let (done, missing) = (done.clone(), missing.clone());
        std::thread::spawn(move || {
            let mut polls = 0usize;
            while !done.load(Ordering::Relaxed) {
                missing.fetch_add(watched.iter().filter(|f| !f.is_file()).count(), Ordering::Relaxed);
                polls += 1;
                std::thread::sleep(Duration::from_micros(100));
            }
            polls
        })
    };
    let outcomes: Vec<Outcomes> = lanes
        .into_iter()
        .map(|lane| {
            let charts = charts.clone();
            std::thread::spawn(move || lane.run(&charts, KILLS_PER_LANE, seed))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    done.store(true, Ordering::Relaxed);
    let polls = watcher.join().unwrap();
    eprintln!("kill test: {} kills in {:.1} s, the watcher polled {polls} times; {outcomes:?}", LANES as usize * KILLS_PER_LANE, started.elapsed().as_secs_f64());
    assert_eq!(missing.load(Ordering::Relaxed), 0, "a chart directory was missing while runs were killed");
    let total = |count: fn(&Outcomes) -> usize| outcomes.iter().map(count).sum::<usize>();
    assert!(total(|o| o.old_chart_kept) > 0 && total(|o| o.new_chart_in_place) > 0, "the kills landed on both sides of the swap: {outcomes:?}");
    assert!(total(|o| o.left_something_beside) > 0, "some kills left a staging directory or an old chart: {outcomes:?}");

    let out = work.path().join("lane-0");
    assert_eq!(chartgen(&["--spec", specs[0].to_str().unwrap(), "generate", "--out", out.to_str().unwrap()]).code, 0);
    assert_eq!(names(&out), ["certctl"], "the clean run deleted every leftover");
    assert_eq!(tree(&out.join("certctl")), charts[0]);
}

#[test]
fn a_file_added_to_the_generated_chart_is_never_deleted_silently() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
    let added = dir.path().join("certctl/templates/app.yaml");
    std::fs::write(&added, "kind: ConfigMap\n").unwrap();
    let run = generate(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("it holds files chartgen does not generate: templates/app.yaml"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&added).unwrap(), "kind: ConfigMap\n", "the file is still there");
    std::fs::remove_file(&added).unwrap();
    assert_eq!(generate(dir.path(), &[]).code, 0);
}

#[test]
fn the_chart_readme_gives_each_backup_tier_s_schedule_retention_and_recovery_point() {
    use chartgen::values::BackupTier;
    let spec = spec::load(None).unwrap().spec;
    let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
    let readme = &chart.files["README.md"];
    let archive_timeout = chartgen::values::Values::defaults(&spec).backup.barman.archive_timeout.to_string();
    for tier in BackupTier::ALL {
        let row = readme.lines().find(|l| l.starts_with(&format!("| `{}` |", tier.as_str()))).unwrap_or_else(|| panic!("no row for {}:\n{readme}", tier.as_str()));
        match tier.defaults() {
            None => assert!(row.contains("losing the Cluster's volumes loses the data"), "{row}"),
            Some(settings) => {
                let gap = chartgen::scalars::longest_gap(&settings.schedule.to_string(), chrono_tz::UTC).unwrap().0;
                assert!(row.contains(&format!("`{}`, at most {} apart", settings.schedule, chartgen::scalars::human(gap))), "{row}");
                assert!(row.contains(&format!("| {} |", settings.retention_policy)), "{row}");
                let rpo = if tier == BackupTier::Pitr { format!("| {archive_timeout} (`backup.barman.archiveTimeout`)") } else { format!("up to {} of writes", chartgen::scalars::human(gap)) };
                assert!(row.contains(&rpo), "{row}");
            }
        }
    }
}

#[test]
fn no_conditional_is_put_inside_an_action_that_spans_lines() {
    let spec = spec::load(None).unwrap().spec;
    let chart = helm::compile(&Templates::builtin(), &spec).unwrap();
    for (file, text) in chart.files.iter().filter(|(f, _)| f.starts_with("templates/")) {
        let mut open = 0isize;
        for (number, line) in text.lines().enumerate() {
            assert!(open == 0 || !line.trim_start().starts_with("{{"), "{file}:{}: {line:?} is inside an action opened above it", number + 1);
            open += line.matches("{{").count() as isize - line.matches("}}").count() as isize;
        }
    }
}
