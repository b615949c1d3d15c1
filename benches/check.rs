//! `cargo bench`: what a full `chartgen check` costs, against real Helm
//! rendering the generated chart over the same combinations in the same run,
//! and how the cost grows with the number of combinations.
//!
//! - chartgen: the release binary's `chartgen check` (every combination of
//!   the built-in spec), as a whole process, median of several runs.
//! - Helm: helm-python-sdk rendering the chart in process, render calls only
//!   (no process start, no chart loading), median of several rounds; needs
//!   `CHARTGEN_PYTHON` (a Python with helm-python-sdk, as `.ci/run` sets).
//! - An earlier build (`CHARTGEN_BENCH_BASELINE`, a chartgen binary): its
//!   `chartgen check`, alternating with this build's, and the ratio.
//! - Growth: synthetic models of 8, 10 and 12 flags (every fourth one
//!   depending on the one before), their full and pairwise sizes, and the
//!   in-process cost of checking that many combinations.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chartgen::check::{self, CheckOptions, RELEASE};
use chartgen::helm;
use chartgen::matrix::{self, Combination};
use chartgen::render::templates::Templates;
use chartgen::spec;
use chartgen::values::flags::Flag;

const RUNS: usize = 15;
/// Two builds differ by less than the machine's noise: more runs, alternating.
const COMPARE_RUNS: usize = 41;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

// The chartgen binary's allocator, so that the in-process figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

/// One whole `chartgen check` of the built-in spec by `binary`.
fn time_check(binary: &std::path::Path, root: &std::path::Path) -> Duration {
    let start = Instant::now();
    let status = Command::new(binary).arg("check").current_dir(root).stdout(Stdio::null()).status().expect("chartgen runs");
    assert!(status.success(), "{} check found problems; the benchmark needs a clean check", binary.display());
    start.elapsed()
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/chartgen");
    let built = Command::new(env!("CARGO")).args(["build", "--release", "--quiet"]).current_dir(root).status().expect("cargo runs");
    assert!(built.success(), "the release build failed");
    let loaded = spec::load(None).expect("the built-in spec loads");
    let combinations = matrix::select(&loaded, matrix::Strategy::Full, None).expect("the combinations");
    let count = combinations.len();

    // chartgen check, whole process.
    let chartgen_wall = median((0..RUNS).map(|_| time_check(&binary, root)).collect());
    println!("machine: {} cores ({})", std::thread::available_parallelism().map_or(1, |n| n.get()), std::env::consts::ARCH);
    println!("chartgen check, full matrix of the built-in spec: {count} combinations in {} wall, whole process (median of {RUNS}; target < 100 ms)", ms(chartgen_wall));

    // An earlier build, timed in the same run and alternating with this one, so that both meet the same machine.
    match std::env::var_os("CHARTGEN_BENCH_BASELINE") {
        None => println!("earlier build: skipped (set CHARTGEN_BENCH_BASELINE to an earlier build of chartgen to compare with)"),
        Some(earlier) => {
            let earlier = std::path::PathBuf::from(earlier);
            let (mut now, mut before) = (Vec::new(), Vec::new());
            for _ in 0..COMPARE_RUNS {
                now.push(time_check(&binary, root));
                before.push(time_check(&earlier, root));
            }
            let (now, before) = (median(now), median(before));
            println!(
                "against the earlier build {}: {} now, {} before (medians of {COMPARE_RUNS}, alternating); this build takes {:.3}x its time",
                earlier.display(),
                ms(now),
                ms(before),
                now.as_secs_f64() / before.as_secs_f64()
            );
        }
    }

    // Per combination: render + every check, in process, once the schemas are
    // compiled (each run with a fresh checker, so no run reuses another's parsed documents).
    let options = CheckOptions::default();
    let runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let checker = check::Checker::new(&loaded, &options).expect("a checker");
            let start = Instant::now();
            let report = checker.run(&loaded, combinations.clone(), &options).expect("the check runs");
            assert_eq!(report.findings(), 0);
            start.elapsed()
        })
        .collect();
    let per_combination = median(runs) / count as u32;
    println!(
        "chartgen per combination (render + schemas + references + golden, {} threads): {} (whole process, fixed costs spread: {})",
        rayon::current_num_threads(),
        us(per_combination),
        us(chartgen_wall / count as u32)
    );

    // Real Helm rendering the generated chart over the same combinations.
    match std::env::var_os("CHARTGEN_PYTHON") {
        None => println!("Helm: skipped (set CHARTGEN_PYTHON to a Python with helm-python-sdk; `bash .ci/run` does)"),
        Some(python) => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let chart = helm::compile(&Templates::builtin(), &loaded.spec).expect("the chart compiles");
            let chart_dir = dir.path().join(&chart.name);
            helm::write_chart(&chart, &chart_dir).expect("the chart is written");
            let cases: Vec<serde_json::Value> = combinations
                .iter()
                .map(|c| serde_json::json!({"values": matrix::user_tree(&loaded, c).expect("values").to_json(), "name": RELEASE.0, "namespace": RELEASE.1}))
                .collect();
            let request = serde_json::json!({"chart": chart_dir, "cases": cases, "rounds": 5});
            let mut child = Command::new(python)
                .arg(root.join("tests/helm/bench_render.py"))
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("Python starts");
            child.stdin.take().expect("stdin").write_all(request.to_string().as_bytes()).expect("the request is sent");
            let output = child.wait_with_output().expect("Helm renders");
            assert!(output.status.success(), "the Helm benchmark failed");
            let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON timings");
            let rounds: Vec<Duration> = answer["seconds"].as_array().expect("rounds").iter().map(|s| Duration::from_secs_f64(s.as_f64().unwrap_or_default())).collect();
            let helm_round = median(rounds);
            let helm_per = helm_round / count as u32;
            println!("Helm render only (helm-python-sdk, in process), same {count} combinations: {} (median of 5), {} per combination", ms(helm_round), us(helm_per));
            println!(
                "ratio per combination: chartgen (render + every check) is {:.1}x faster than Helm's render alone (target >= 20x); whole process with its fixed costs: {:.1}x",
                helm_per.as_secs_f64() / per_combination.as_secs_f64(),
                helm_per.as_secs_f64() / (chartgen_wall / count as u32).as_secs_f64()
            );
        }
    }

    hand_written_chart(root, &binary);

    // Growth with the number of combinations.
    println!("growth (synthetic models; in-process check of that many renderings, goldens compared):");
    for flags in [8, 10, 12] {
        let synthetic: Vec<Flag> = (0..flags)
            .map(|i| {
                let flag = Flag::bool(&format!("synthetic.f{i}"));
                if i % 4 == 3 { flag.when(&format!("synthetic.f{}", i - 1), true) } else { flag }
            })
            .collect();
        let start = Instant::now();
        let all = matrix::full(&loaded.spec, &synthetic);
        let enumerate = start.elapsed();
        let start = Instant::now();
        let pairs = matrix::pairwise(&all);
        let pairwise = start.elapsed();
        // Each synthetic combination renders one of the real ones, under its own id.
        let work: Vec<Combination> = all
            .iter()
            .enumerate()
            .map(|(i, c)| Combination { id: c.id.clone(), flags: combinations[i % count].flags.clone(), scenario: None })
            .collect();
        let golden = tempfile::tempdir().expect("a temporary directory");
        let options = CheckOptions { golden: Some(golden.path().to_path_buf()), update: true, ..CheckOptions::default() };
        check::Checker::new(&loaded, &options).expect("a checker").run(&loaded, work.clone(), &options).expect("goldens are written");
        let options = CheckOptions { update: false, ..options };
        let start = Instant::now();
        let report = check::Checker::new(&loaded, &options).expect("a checker").run(&loaded, work, &options).expect("the check runs");
        let checked = start.elapsed();
        assert_eq!(report.findings(), 0);
        println!(
            "  {flags:>2} flags: {:>5} combinations (pairwise {:>3}); enumerate {}, pairwise {}, check {} ({} per combination)",
            all.len(),
            pairs.len(),
            us(enumerate),
            ms(pairwise),
            ms(checked),
            us(checked / all.len() as u32)
        );
    }
}

/// One whole `chartgen check --chart` of a fixture chart, with its summary line.
fn time_chart_check(binary: &std::path::Path, chart: &std::path::Path, args: &[&str]) -> (Duration, String) {
    let start = Instant::now();
    // The switches and enums alone, whose full matrix (4,608) a check renders.
    let switches = chart.with_file_name("storefront-switches.yaml");
    let output = Command::new(binary).arg("check").arg("--chart").arg(chart).arg("--matrix").arg(switches).args(args).output().expect("chartgen runs");
    let elapsed = start.elapsed();
    assert!(output.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = String::from_utf8_lossy(&output.stdout).lines().last().unwrap_or_default().to_string();
    (elapsed, summary)
}

/// A hand-written chart (fixtures/charts/storefront, 12 flags): the pairwise
/// and full matrices with each renderer, and a combination's cost against
/// `helm template` as a process, timed in the same run.
fn hand_written_chart(root: &std::path::Path, binary: &std::path::Path) {
    let chart = root.join("fixtures/charts/storefront");
    let Some(helm) = std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).map(|d| d.join("helm")).find(|p| p.is_file()) else {
        println!("hand-written chart: skipped (no helm on PATH; `bash .ci/run` puts one in .venv/bin)");
        return;
    };
    println!("hand-written chart {} (its 12 switches and enums; the two ci/ scenarios included):", chart.display());
    let template = |_: usize| {
        let start = Instant::now();
        let status = Command::new(&helm).args(["template", "release-name"]).arg(&chart).stdout(Stdio::null()).status().expect("helm runs");
        assert!(status.success());
        start.elapsed()
    };
    let helm_template = median((0..9).map(template).collect());
    println!("  `helm template` as a process, one values set: {} (median of 9)", ms(helm_template));
    let mut renderers = vec![("helm", vec!["--helm".to_string(), helm.display().to_string()])];
    if std::env::var_os("CHARTGEN_PYTHON").is_some() {
        renderers.push(("helm-sdk", vec!["--renderer".to_string(), "helm-sdk".to_string()]));
    } else {
        println!("  helm-sdk: skipped (set CHARTGEN_PYTHON to a Python with helm-python-sdk)");
    }
    for (name, renderer) in &renderers {
        for (strategy, runs) in [("pairwise", 5), ("full", if *name == "helm" { 1 } else { 3 })] {
            let mut args: Vec<&str> = renderer.iter().map(String::as_str).collect();
            args.extend(["--strategy", strategy]);
            let timed: Vec<(Duration, String)> = (0..runs).map(|_| time_chart_check(binary, &chart, &args)).collect();
            let summary = timed[0].1.clone();
            let wall = median(timed.into_iter().map(|(d, _)| d).collect());
            let count: u32 = summary.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(1);
            let per = wall / count.max(1);
            println!(
                "  {name:<8} {strategy:<8} {} wall (median of {runs}), {} per combination = {:.2}x `helm template` as a process; {summary}",
                ms(wall),
                us(per),
                per.as_secs_f64() / helm_template.as_secs_f64()
            );
        }
    }
}

