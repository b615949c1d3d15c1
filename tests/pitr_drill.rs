//! The point-in-time recovery drill (`backup.method=barman`) and the chart's
//! scheduled PITR check against real components: PostgreSQL's server
//! programs, Barman's cloud tools (`CHARTGEN_BARMAN_BIN`), the aws command
//! and a local S3 endpoint (`CHARTGEN_S3_ENDPOINT`, moto), all provided by
//! `.ci/run`.

mod common;

use std::process::Command;

fn s3() -> String {
    std::env::var("CHARTGEN_S3_ENDPOINT").expect("set CHARTGEN_S3_ENDPOINT (bash .ci/run starts moto and sets it)")
}

fn barman_bin() -> String {
    std::env::var("CHARTGEN_BARMAN_BIN").expect("set CHARTGEN_BARMAN_BIN to the directory of Barman's cloud tools (bash .ci/run installs them)")
}

fn bucket(s3: &str, name: &str) {
    let made = Command::new("aws").args(["--endpoint-url", s3, "s3", "mb", &format!("s3://{name}")]).output().expect("aws runs");
    let said = String::from_utf8_lossy(&made.stderr);
    assert!(made.status.success() || said.contains("BucketAlreadyOwnedByYou"), "{said}");
}

/// An object in the store, such as a WAL segment some earlier server archived.
fn put(s3: &str, url: &str) {
    let file = tempfile::NamedTempFile::new().unwrap();
    let put = Command::new("aws").args(["--endpoint-url", s3, "s3", "cp", file.path().to_str().unwrap(), url]).output().unwrap();
    assert!(put.status.success(), "{}", String::from_utf8_lossy(&put.stderr));
}

const SERVER: &str = "release-name-certctl-postgresql";

/// A path in the drill bucket no earlier run has used: a new server archives only into an empty one.
fn fresh(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("s3://chartgen-pitr/{name}-{nanos}")
}

/// `chartgen drill` with Barman, archiving into `destination`, with `extra` arguments.
fn drill(s3: &str, destination: &str, extra: &[&str]) -> common::Run {
    let set = format!("postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.objectStore.destinationPath={destination}");
    let mut args = vec!["drill", "--set", &set, "--s3-endpoint", s3];
    let bin = barman_bin();
    args.extend(["--barman-bin", &bin]);
    args.extend_from_slice(extra);
    let run = common::chartgen(&args);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

fn step_ok(run: &common::Run, step: &str) -> bool {
    run.stdout.lines().any(|l| l.starts_with("ok ") && l.split_whitespace().nth(1) == Some(step))
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools and moto: CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn a_seeded_database_recovers_to_the_target_time_with_exactly_the_rows_written_before_it() {
    let s3 = s3();
    bucket(&s3, "chartgen-pitr");
    let destination = fresh("recovers");
    // What this recovery measured, kept beside the build for the run's log: the chart's docs
    // quote the committed src/components/backup/barman/recovery-figures.json.
    let figures = common::root().join("target/recovery-figures.json");
    let run = drill(&s3, &destination, &["--figures", figures.to_str().unwrap()]);
    eprintln!("{}", run.stdout);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for step in ["backup/source", "backup/base-backup-1", "backup/archive-wal", "backup/retention", "verify/restore", "verify/replay", "verify/compare"] {
        assert!(step_ok(&run, step), "{step} did not pass:\n{}", run.stdout);
    }
    assert!(run.stdout.contains("seed 1000 of 1000 and before 500 of 500 present"), "{}", run.stdout);
    assert!(run.stdout.contains("after 0 of 300 present (expected 0); 100 of the 100 seed rows deleted after it still there"), "{}", run.stdout);
    assert!(run.stdout.contains("recovery stopping before commit"), "PostgreSQL itself stopped at the target:\n{}", run.stdout);
    // The recovered server archives under its own name, as the rendered recovery Cluster does.
    assert!(run.stdout.contains(&format!("it archives into {destination}/{SERVER}-recovered")), "{}", run.stdout);
    // Retention: the rendered 35-day window (tier pitr) deletes the oldest backdated backup only.
    assert!(run.stdout.contains("RECOVERY WINDOW OF 35 DAYS"), "{}", run.stdout);
    assert!(run.stdout.contains("inside the window: a recovery to"), "{}", run.stdout);
    assert!(run.stdout.contains("before the deletion; now refused: the target"), "{}", run.stdout);
    assert!(run.stdout.contains("the archive recovers to the target time"), "{}", run.stdout);
    let text = std::fs::read_to_string(&figures).expect("the drill wrote its figures");
    let measured: chartgen::values::RecoveryFigures = serde_json::from_str(&text).expect("the figures' shape is the committed one's");
    eprintln!("measured: {text}");
    assert!(measured.postgresql.starts_with(char::is_numeric) && measured.barman.starts_with(char::is_numeric), "{measured:?}");
    assert!(measured.base_backup_seconds > 0.0 && measured.restore_seconds > 0.0 && measured.replay_seconds > 0.0, "{measured:?}");
    // The drill's writes span the segments of its three backups and its own writes, each switched out.
    assert!(measured.wal_segments >= 1, "{measured:?}");
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools and moto: CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn the_daily_tier_s_seven_day_window_is_the_one_run() {
    let s3 = s3();
    bucket(&s3, "chartgen-pitr");
    let run = drill(&s3, &fresh("daily"), &["--set", "backup.barman.tier=daily"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("RECOVERY WINDOW OF 7 DAYS"), "{}", run.stdout);
    // No recovered Cluster is rendered for tier daily: the restored server does not archive.
    assert!(!run.stdout.contains("it archives into"), "{}", run.stdout);
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools and moto: CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn archive_paths_that_already_hold_wal_are_refused_before_anything_is_written() {
    let s3 = s3();
    bucket(&s3, "chartgen-pitr");
    let used = fresh("used");
    put(&s3, &format!("{used}/{SERVER}/wals/0000000100000000/000000010000000000000001.gz"));
    let run = drill(&s3, &used, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/object-store"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("{used}/{SERVER} already holds WAL")), "{}", run.stdout);
    assert!(!run.stdout.contains("backup/source"), "{}", run.stdout);
    // The recovered server's own path too: a recovery never archives into a used path.
    let used = fresh("recovery-used");
    put(&s3, &format!("{used}/{SERVER}-recovered/wals/0000000100000000/000000010000000000000001.gz"));
    let run = drill(&s3, &used, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains(&format!("{used}/{SERVER}-recovered already holds WAL")), "{}", run.stdout);
    assert!(run.stdout.contains("\"Expected empty archive\""), "{}", run.stdout);
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools and moto: CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn a_missing_bucket_and_wrong_credentials_are_refused_before_anything_is_written() {
    let s3 = s3();
    let run = drill(&s3, "s3://chartgen-no-such-bucket/x", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/object-store"), "{}", run.stdout);
    assert!(run.stdout.contains("cannot reach s3://chartgen-no-such-bucket/x with the drill's credentials"), "{}", run.stdout);
    assert!(run.stdout.contains("Bucket chartgen-no-such-bucket does not exist"), "Barman's own reason is kept:\n{}", run.stdout);
    // A store that checks keys, which the drill's (`testing`) are not.
    let strict = common::StrictS3::start(1);
    bucket(&strict.endpoint, "chartgen-locked");
    let run = drill(&strict.endpoint, "s3://chartgen-locked/x", &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("cannot reach s3://chartgen-locked/x with the drill's credentials"), "{}", run.stdout);
    assert!(run.stdout.contains("403") || run.stdout.contains("Forbidden") || run.stdout.contains("InvalidAccessKeyId"), "{}", run.stdout);
    strict.stop_checking();
    let listing = Command::new("aws").args(["--endpoint-url", &strict.endpoint, "s3", "ls", "--recursive", "s3://chartgen-locked"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&listing.stdout).trim(), "", "nothing was written");
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools and moto: CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn targets_outside_the_archive_are_refused() {
    let s3 = s3();
    bucket(&s3, "chartgen-pitr");
    let run = drill(&s3, &fresh("early"), &["--target-time", "2020-01-01T00:00:00Z"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/object-store"), "refused before anything is written:\n{}", run.stdout);
    assert!(run.stdout.contains("no finished base backup to start the recovery from; the drill's own base backups end after now"), "{}", run.stdout);
    let late = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let run = drill(&s3, "s3://chartgen-pitr/late", &["--target-time", &late]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("is past the end of the archive the drill writes"), "{}", run.stderr);
    let run = drill(&s3, "s3://chartgen-pitr/late", &["--target-time", "yesterday"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("give an RFC 3339 time with its zone"), "{}", run.stderr);
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools and moto: CHARTGEN_DATABASE_URL, CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn a_server_that_does_not_archive_as_the_chart_says_is_refused() {
    let s3 = s3();
    bucket(&s3, "chartgen-pitr");
    let url = std::env::var("CHARTGEN_DATABASE_URL").expect("set CHARTGEN_DATABASE_URL (bash .ci/run starts PostgreSQL)");
    let existing = fresh("existing");
    let run = drill(&s3, &existing, &["--database-url", &url]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/source"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("does not archive to {existing}/{SERVER}")), "{}", run.stdout);
    assert!(run.stdout.contains("or leave out --database-url for a scratch server"), "{}", run.stdout);
}

/// The verify job's JSON line.
fn verdict(run: &common::Run) -> serde_json::Value {
    run.stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l.trim()).ok().filter(serde_json::Value::is_object))
        .unwrap_or_else(|| panic!("the check printed no JSON line:\n{}", run.stdout))
}

#[test]
#[ignore = "needs PostgreSQL, Barman's cloud tools, aws and moto: CHARTGEN_BARMAN_BIN and CHARTGEN_S3_ENDPOINT (bash .ci/run provides them)"]
fn the_scheduled_pitr_check_passes_on_a_good_archive_and_fails_on_a_stale_or_damaged_one() {
    let s3 = s3();
    bucket(&s3, "chartgen-pitr");
    let destination = fresh("checked");
    let made = drill(&s3, &destination, &[]);
    assert_eq!(made.code, 0, "{}", made.stdout);
    // The drill's rows live in the postgres database: the check's sanity query counts them.
    let dir = tempfile::tempdir().unwrap();
    let spec = common::spec_with_queries(&dir, "  - name: drill-rows\n    sql: SELECT count(*) FROM chartgen_drill.pitr\n    expect: \"> 0\"");
    let check = |extra: &str| {
        let set = format!("postgresql.provider=cnpg,backup.enabled=true,backup.method=barman,backup.barman.objectStore.destinationPath={destination},postgresql.auth.database=postgres{extra}");
        let run = common::chartgen(&["--spec", &spec, "drill", "--verify-only", "--set", &set, "--s3-endpoint", &s3]);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    };
    let good = check("");
    eprintln!("{}", good.stdout);
    assert_eq!(good.code, 0, "{}\n{}", good.stdout, good.stderr);
    let result = verdict(&good);
    assert_eq!(result["ok"], true, "{result}");
    // Replayed to the end of the archive: every row the drill left, after its deletes.
    assert_eq!(result["queries"][0]["value"], "1700", "{result}");
    assert!(result["walSegments"].as_u64().unwrap() >= 1, "{result}");
    assert!(good.stdout.contains("the archive's WAL replays to its end"), "{}", good.stdout);

    std::thread::sleep(std::time::Duration::from_secs(2));
    let stale = check(",backup.rpo=1s");
    assert_eq!(stale.code, 1, "{}", stale.stdout);
    let result = verdict(&stale);
    assert_eq!(result["ok"], false, "{result}");
    assert!(result["error"].as_str().unwrap().contains("more than the RPO of 1s: the archive is stale"), "{result}");

    // The newest archived segment, cut in half.
    let wals = format!("{destination}/{SERVER}/wals/");
    let listing = Command::new("aws").args(["--endpoint-url", &s3, "s3", "ls", "--recursive", &wals]).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    let newest = listing.lines().filter_map(|l| l.split_whitespace().last()).filter(|k| k.ends_with(".gz") && !k.contains(".backup") && !k.contains(".history")).max().expect("the drill archived WAL").to_string();
    let bucket_url = format!("s3://{}", destination.trim_start_matches("s3://").split('/').next().unwrap());
    let local = tempfile::NamedTempFile::new().unwrap();
    let got = Command::new("aws").args(["--endpoint-url", &s3, "s3", "cp", &format!("{bucket_url}/{newest}"), local.path().to_str().unwrap()]).output().unwrap();
    assert!(got.status.success());
    let bytes = std::fs::read(local.path()).unwrap();
    std::fs::write(local.path(), &bytes[..bytes.len() / 2]).unwrap();
    let put = Command::new("aws").args(["--endpoint-url", &s3, "s3", "cp", local.path().to_str().unwrap(), &format!("{bucket_url}/{newest}")]).output().unwrap();
    assert!(put.status.success());
    let damaged = check("");
    assert_eq!(damaged.code, 1, "{}", damaged.stdout);
    let result = verdict(&damaged);
    let segment = newest.rsplit('/').next().unwrap().trim_end_matches(".gz");
    assert!(result["error"].as_str().unwrap().contains(&format!("WAL segment {segment} in {destination}/{SERVER} does not decompress")), "{result}");
}
