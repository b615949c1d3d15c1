//! The Barman backend in the drill: point-in-time recovery proven on this
//! machine with Barman's cloud tools, from the object store the chart renders.
//!
//! A source server archives its WAL with `barman-cloud-wal-archive`, as the
//! operator would (a scratch server, or the one `--database-url` names,
//! which must already archive that way). The drill writes its own rows
//! around a target time, takes base backups, runs the rendered retention
//! policy, restores the newest base backup that ends before the target into
//! a fresh data directory and replays WAL to the target through
//! `barman-cloud-wal-restore`. The rows written before the target must be
//! there, and those written or deleted after it must not have changed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde_json::Value;

use super::{database_env, postgres_bin_dirs, running_as_root, Step, RUN_AS};
use crate::components::Component;
use crate::diagnostic::{BadInput, Diagnostic};
use crate::extract::Manifest;
use crate::scalars::RecoveryWindow;
use crate::values::RecoveryFigures;

/// What the drill needs beyond the object store: where the tools are, and when to recover to.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BarmanTarget {
    /// Recover to this time (RFC 3339 with a zone); by default a moment the drill picks between two batches of its writes. A time up to 10 minutes ahead is waited for.
    #[arg(long, value_name = "TIME", value_parser = target_time)]
    pub target_time: Option<DateTime<FixedOffset>>,
    /// Directory of PostgreSQL's server programs (initdb, pg_ctl); by default PATH, then the newest /usr/lib/postgresql/*/bin.
    #[arg(long, value_name = "DIR")]
    pub pg_bin: Option<PathBuf>,
    /// Directory of Barman's cloud tools (barman-cloud-backup, ...); by default PATH.
    #[arg(long, value_name = "DIR")]
    pub barman_bin: Option<PathBuf>,
    /// After a successful recovery, write what it measured (base backup, restore, replay per WAL segment) to FILE as JSON.
    #[arg(long, value_name = "FILE")]
    pub figures: Option<PathBuf>,
}

fn target_time(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text).map_err(|e| format!("{e}: give an RFC 3339 time with its zone, such as 2026-05-04T15:30:00Z"))
}

/// Longest the drill waits for a target time ahead of it.
const LONGEST_WAIT: TimeDelta = TimeDelta::minutes(10);
/// The drill's rows: a seed, a batch before the target, a batch after it, and deletes after it.
const SEED_ROWS: i64 = 1000;
const BEFORE_ROWS: i64 = 500;
const AFTER_ROWS: i64 = 300;
const DELETED_ROWS: i64 = 100;

/// Where one server's base backups and WAL go, as a rendered Cluster and its object store say.
#[derive(Debug, Clone, PartialEq)]
pub struct Archive {
    /// `s3://bucket/path`, the store's destinationPath.
    pub destination: String,
    /// The folder under it: the server name.
    pub server: String,
    pub endpoint: Option<String>,
    /// Options of barman-cloud-wal-archive: compression and encryption.
    pub wal_options: Vec<String>,
    /// Options of barman-cloud-backup: compression and encryption.
    pub data_options: Vec<String>,
    /// The retention policy, in CloudNativePG's form (`35d`).
    pub retention: Option<String>,
}

impl Archive {
    pub fn url(&self) -> String {
        format!("{}/{}", self.destination.trim_end_matches('/'), self.server)
    }
}

/// The archives the rendering configures: the running Cluster's, and the
/// recovered Cluster's source and own archive when it is rendered.
#[derive(Debug, Clone, PartialEq)]
pub struct Archives {
    pub source: Archive,
    /// Where the recovered Cluster reads from (its external cluster) and where it archives.
    pub recovery: Option<(Archive, Archive)>,
}

fn options(settings: &Value, section: &str, compressions: &[&str]) -> Vec<String> {
    let mut options = Vec::new();
    if let Some(compression) = settings[section]["compression"].as_str().filter(|c| compressions.contains(c)) {
        options.push(format!("--{compression}"));
    }
    if let Some(encryption) = settings[section]["encryption"].as_str().filter(|e| !e.is_empty()) {
        options.extend(["--encryption".to_string(), encryption.to_string()]);
    }
    options
}

/// An archive from Barman Cloud's object store settings (an ObjectStore's
/// `configuration` or a Cluster's `barmanObjectStore`).
fn archive(configuration: &Value, server: &str, retention: Option<&Value>) -> Option<Archive> {
    Some(Archive {
        destination: configuration["destinationPath"].as_str()?.to_string(),
        server: server.to_string(),
        endpoint: configuration["endpointURL"].as_str().map(str::to_string),
        wal_options: options(configuration, "wal", &["gzip", "bzip2", "snappy", "xz", "zstd", "lz4"]),
        data_options: options(configuration, "data", &["gzip", "bzip2", "snappy", "lz4"]),
        retention: retention.and_then(Value::as_str).map(str::to_string),
    })
}

/// The archive a plugin entry (`plugins[]` or `externalClusters[].plugin`) or an in-tree store names.
fn archive_named(manifests: &[Manifest], plugin: &Value, in_tree: &Value, retention: &Value, default_server: &str) -> Option<Archive> {
    if plugin["name"] == "barman-cloud.cloudnative-pg.io" {
        let parameters = &plugin["parameters"];
        let store = manifests.iter().find(|m| m.kind() == "ObjectStore" && m.object["metadata"]["name"] == parameters["barmanObjectName"])?;
        let server = parameters["serverName"].as_str().unwrap_or(default_server);
        return archive(&store.object["spec"]["configuration"], server, Some(&store.object["spec"]["retentionPolicy"]));
    }
    let server = in_tree["serverName"].as_str().unwrap_or(default_server);
    archive(in_tree, server, Some(retention))
}

/// Reads the archives from the rendered Clusters.
pub fn archives(manifests: &[Manifest]) -> Option<Archives> {
    let clusters: Vec<&Value> = manifests.iter().filter(|m| m.kind() == "Cluster").map(|m| &*m.object).collect();
    let own_archive = |cluster: &Value| {
        let name = cluster["metadata"]["name"].as_str().unwrap_or_default();
        let plugin = cluster["spec"]["plugins"].as_array().into_iter().flatten().find(|p| p["isWALArchiver"] == true).cloned().unwrap_or(Value::Null);
        let backup = &cluster["spec"]["backup"];
        archive_named(manifests, &plugin, &backup["barmanObjectStore"], &backup["retentionPolicy"], name)
    };
    let source = clusters.iter().find(|c| c["spec"]["bootstrap"]["recovery"].is_null()).and_then(|c| own_archive(c))?;
    let recovery = clusters.iter().find(|c| !c["spec"]["bootstrap"]["recovery"].is_null()).and_then(|cluster| {
        let from = &cluster["spec"]["bootstrap"]["recovery"]["source"];
        let external = cluster["spec"]["externalClusters"].as_array()?.iter().find(|e| &e["name"] == from)?;
        let name = cluster["metadata"]["name"].as_str().unwrap_or_default();
        let reads = archive_named(manifests, &external["plugin"], &external["barmanObjectStore"], &Value::Null, name)?;
        Some((reads, own_archive(cluster)?))
    });
    Some(Archives { source, recovery })
}

/// PostgreSQL's form of a time: `recovery_target_time` rejects RFC 3339's `Z`.
fn postgres_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string()
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim()).ok().or_else(|| DateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f%#z").ok()).map(|t| t.with_timezone(&Utc))
}

/// Why a step failed.
type Failure = String;

/// The drill's steps so far, each timed; the first failure ends the drill.
struct Steps {
    steps: Vec<Step>,
}

/// The drill has stopped at a failed step, already recorded.
struct Stopped;

impl Steps {
    fn run<T>(&mut self, job: Component, name: &str, step: impl FnOnce() -> Result<(T, String), Failure>) -> Result<T, Stopped> {
        let started = Instant::now();
        let result = step();
        let elapsed = started.elapsed();
        let (ok, output, value) = match result {
            Ok((value, output)) => (true, output, Some(value)),
            Err(failure) => (false, failure, None),
        };
        self.steps.push(Step { job, name: format!("{}/{name}", job.label()), ok, elapsed, output });
        value.ok_or(Stopped)
    }

    /// How long the step just run took.
    fn last_seconds(&self) -> f64 {
        self.steps.last().map_or(0.0, |step| step.elapsed.as_secs_f64())
    }
}

/// A program the drill runs, as the unprivileged user when the drill runs as root.
struct Runner {
    root: bool,
    env: BTreeMap<String, String>,
}

impl Runner {
    fn command(&self, program: &Path) -> Command {
        let mut command = if self.root { Command::new("runuser") } else { Command::new(program) };
        if self.root {
            command.args(["-u", RUN_AS, "--"]).arg(program);
        }
        command.env_clear().envs(&self.env);
        command
    }

    /// Runs it; its output, or why it failed with that output.
    fn run(&self, program: &Path, args: &[String]) -> Result<String, Failure> {
        let output = self.command(program).args(args).output().map_err(|e| format!("cannot run {}: {e}", program.display()))?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        if output.status.success() {
            Ok(text)
        } else {
            Err(format!("{} {} failed ({}):\n{}", program.display(), args.join(" "), output.status, text.trim_end()))
        }
    }

    /// Makes `path` the unprivileged user's, so that the servers and tools can write there.
    fn own(&self, path: &Path) {
        if self.root {
            let _ = Command::new("chown").args(["-R", RUN_AS]).arg(path).status();
        }
    }
}

/// Barman's cloud tools against one archive.
struct Barman<'a> {
    bin: Option<&'a Path>,
    endpoint: Option<String>,
    runner: &'a Runner,
}

impl Barman<'_> {
    fn program(&self, tool: &str) -> PathBuf {
        self.bin.map_or_else(|| PathBuf::from(tool), |dir| dir.join(tool))
    }

    /// `--endpoint-url ...` then the archive's URL and server: what every tool starts with.
    fn common(&self) -> Vec<String> {
        let mut args = vec!["--cloud-provider".to_string(), "aws-s3".to_string()];
        if let Some(endpoint) = &self.endpoint {
            args.extend(["--endpoint-url".to_string(), endpoint.clone()]);
        }
        args
    }

    fn run(&self, tool: &str, archive: &Archive, options: &[String], after: &[String]) -> Result<String, Failure> {
        let mut args = self.common();
        args.extend_from_slice(options);
        args.extend([archive.destination.clone(), archive.server.clone()]);
        args.extend_from_slice(after);
        self.runner.run(&self.program(tool), &args)
    }

    /// The shell command PostgreSQL runs for `tool`, with `%p`/`%f` arguments.
    fn command_line(&self, tool: &str, archive: &Archive, options: &[String], after: &str) -> String {
        let mut words = vec![self.program(tool).display().to_string()];
        words.extend(self.common());
        words.extend_from_slice(options);
        words.extend([archive.destination.clone(), archive.server.clone()]);
        let quoted: Vec<String> = words.iter().map(|w| shlex::try_quote(w).map_or_else(|_| w.clone(), |q| q.into_owned())).collect();
        format!("{} {after}", quoted.join(" "))
    }

    /// The base backups in the archive, oldest first: id, status and end time.
    fn backups(&self, archive: &Archive) -> Result<Vec<BaseBackup>, Failure> {
        let text = self.run("barman-cloud-backup-list", archive, &["--format".to_string(), "json".to_string()], &[])?;
        let json: Value = serde_json::from_str(text.lines().find(|l| l.starts_with('{')).unwrap_or_default()).map_err(|e| format!("barman-cloud-backup-list printed no JSON ({e}):\n{text}"))?;
        let mut backups: Vec<BaseBackup> = json["backups_list"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|b| {
                Some(BaseBackup { id: b["backup_id"].as_str()?.to_string(), done: b["status"] == "DONE", end: b["end_time_iso"].as_str().and_then(parse_time) })
            })
            .collect();
        backups.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(backups)
    }

    /// The tools' version (`barman-cloud-backup --version` prints `barman-cloud-backup 3.19.1`).
    fn version(&self) -> String {
        let output = self.runner.run(&self.program("barman-cloud-backup"), &["--version".to_string()]).unwrap_or_default();
        output.split_whitespace().last().unwrap_or_default().to_string()
    }

    /// Refuses an archive that already holds WAL, as CloudNativePG does before a new cluster archives.
    fn check_empty(&self, archive: &Archive) -> Result<(), Failure> {
        self.run("barman-cloud-check-wal-archive", archive, &[], &[]).map(drop).map_err(|output| {
            if output.contains("Expected empty archive") {
                format!("{} already holds WAL: a new server archives only into an empty path (\"Expected empty archive\"); empty it, or give the drill another destinationPath with --set", archive.url())
            } else {
                output
            }
        })
    }
}

#[derive(Debug, Clone)]
struct BaseBackup {
    id: String,
    done: bool,
    end: Option<DateTime<Utc>>,
}

/// The newest finished base backup that ends before `target`: where a recovery to it starts.
fn backup_for(backups: &[BaseBackup], target: DateTime<Utc>) -> Result<&BaseBackup, Failure> {
    let done: Vec<&BaseBackup> = backups.iter().filter(|b| b.done).collect();
    done.iter().rev().find(|b| b.end.is_some_and(|end| end <= target)).copied().ok_or_else(|| match done.first().and_then(|b| b.end) {
        Some(first) => format!("the target {} is before the first base backup, which ends at {}: no base backup to start the recovery from", postgres_time(target), postgres_time(first)),
        None => "the archive holds no finished base backup to start the recovery from".to_string(),
    })
}

/// A PostgreSQL server the drill started; stopped when dropped.
struct Server<'a> {
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    port: u16,
    log: PathBuf,
    runner: &'a Runner,
    started: bool,
}

impl<'a> Server<'a> {
    fn new(bin: &Path, data: PathBuf, work: &Path, runner: &'a Runner) -> Result<Server<'a>, Failure> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| format!("no free loopback port: {e}"))?.port();
        let name = data.file_name().unwrap_or_default().to_string_lossy().into_owned();
        Ok(Server { bin: bin.to_path_buf(), socket: work.to_path_buf(), log: work.join(format!("{name}.log")), data, port, runner, started: false })
    }

    fn settings(&self, extra: &[(&str, String)]) -> Result<(), Failure> {
        let mut text = format!("\n# The drill's\nport = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\n", self.port, self.socket.display());
        for (name, value) in extra {
            text.push_str(&format!("{name} = '{}'\n", value.replace('\'', "''")));
        }
        let file = self.data.join("postgresql.auto.conf");
        let mut current = std::fs::read_to_string(&file).unwrap_or_default();
        current.push_str(&text);
        std::fs::write(&file, current).map_err(|e| format!("cannot write {}: {e}", file.display()))
    }

    fn start(&mut self) -> Result<String, Failure> {
        self.started = true;
        let args = ["--pgdata".to_string(), self.data.display().to_string(), "--log".to_string(), self.log.display().to_string(), "--wait".to_string(), "--timeout=600".to_string(), "start".to_string()];
        self.runner.run(&self.bin.join("pg_ctl"), &args).map_err(|e| format!("{e}\n{}", self.log_text()))
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn running(&self) -> bool {
        let args = ["--pgdata".to_string(), self.data.display().to_string(), "status".to_string()];
        self.runner.run(&self.bin.join("pg_ctl"), &args).is_ok()
    }

    fn sql(&self, sql: &str) -> Result<String, Failure> {
        let mut args: Vec<String> = ["--host", &self.socket.display().to_string(), "--port", &self.port.to_string(), "--username", "postgres", "--dbname", "postgres"].map(str::to_string).into();
        args.extend(psql_args(sql));
        self.runner.run(&self.bin.join("psql"), &args).map(|out| out.trim().to_string())
    }

    fn stop(&mut self) {
        if std::mem::take(&mut self.started) {
            let args = ["--pgdata".to_string(), self.data.display().to_string(), "--mode=immediate".to_string(), "--wait".to_string(), "stop".to_string()];
            let _ = self.runner.run(&self.bin.join("pg_ctl"), &args);
        }
    }
}

impl Drop for Server<'_> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// psql's options for one statement whose output is the bare result.
fn psql_args(sql: &str) -> Vec<String> {
    ["--no-psqlrc", "--tuples-only", "--no-align", "--quiet", "--set", "ON_ERROR_STOP=1", "--command", sql].map(str::to_string).into()
}

/// The connection of a server the user runs.
struct Existing {
    env: BTreeMap<&'static str, String>,
}

impl Existing {
    fn sql(&self, bin: &Path, runner: &Runner, sql: &str) -> Result<String, Failure> {
        let mut command = Command::new(bin.join("psql"));
        command.args(psql_args(sql)).env_clear().envs(&runner.env).envs(&self.env);
        let output = command.output().map_err(|e| format!("cannot run psql: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
        } else {
            Err(format!("{sql}: {}", String::from_utf8_lossy(&output.stderr).trim()))
        }
    }
}

/// The source server: a scratch one of the drill's, or the user's.
enum Source<'a> {
    Scratch(Server<'a>),
    Existing(Existing),
}

impl Source<'_> {
    fn sql(&self, bin: &Path, runner: &Runner, sql: &str) -> Result<String, Failure> {
        match self {
            Source::Scratch(server) => server.sql(sql),
            Source::Existing(existing) => existing.sql(bin, runner, sql),
        }
    }

    /// barman-cloud-backup's connection options.
    fn connection(&self) -> Vec<String> {
        match self {
            Source::Scratch(server) => vec!["--host".into(), server.socket.display().to_string(), "--port".into(), server.port.to_string(), "--user".into(), "postgres".into()],
            Source::Existing(existing) => {
                let mut args = vec!["--host".into(), existing.env["PGHOST"].clone(), "--port".into(), existing.env["PGPORT"].clone(), "--dbname".into(), existing.env["PGDATABASE"].clone()];
                if let Some(user) = existing.env.get("PGUSER") {
                    args.extend(["--user".into(), user.clone()]);
                }
                args
            }
        }
    }
}

/// What the drill found in the recovered server, against what it wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub seed: i64,
    pub before: i64,
    pub after: i64,
    /// Seed rows the drill deleted after the target that are still there.
    pub deleted_kept: i64,
}

/// The drill's own table, in a schema of its own so that it meets nothing of the application's.
const TABLE: &str = "chartgen_drill.pitr";

fn counts(text: &str) -> Rows {
    let numbers: Vec<i64> = text.split('|').map(|n| n.trim().parse().unwrap_or(-1)).collect();
    let n = |i: usize| numbers.get(i).copied().unwrap_or(-1);
    Rows { seed: n(0), before: n(1), after: n(2), deleted_kept: n(3) }
}

fn count_sql() -> String {
    format!(
        "SELECT count(*) FILTER (WHERE batch = 'seed'), count(*) FILTER (WHERE batch = 'before'), count(*) FILTER (WHERE batch = 'after'), count(*) FILTER (WHERE batch = 'seed' AND id <= {DELETED_ROWS}) FROM {TABLE}"
    )
}

/// The drill for `backup.method=barman`. `manifests` is the rendering with the
/// recovered Cluster; `existing` the user's server, if `--database-url` names one.
pub fn run(manifests: &[Manifest], target: &BarmanTarget, endpoint: Option<&str>, database_url: Option<&str>, work: &Path) -> Result<Vec<Step>, BadInput> {
    let Some(archives) = archives(manifests) else {
        return Err(Diagnostic::plain("the rendering has no Cluster that archives WAL with Barman Cloud: set postgresql.provider=cnpg, backup.enabled=true, backup.method=barman and a tier other than none").into());
    };
    let now = Utc::now();
    if let Some(time) = target.target_time
        && time.with_timezone(&Utc) > now + LONGEST_WAIT
    {
        return Err(Diagnostic::plain(format!(
            "--target-time {time} is past the end of the archive the drill writes: its last rows are written within a minute, and it waits at most {} minutes for a target",
            LONGEST_WAIT.num_minutes()
        ))
        .into());
    }
    let existing = database_url.map(database_env).transpose()?;
    let root = running_as_root();
    let pg_bin = target.pg_bin.clone().or_else(|| find_program("initdb").and_then(|p| std::fs::canonicalize(p).ok()?.parent().map(Path::to_path_buf))).or_else(|| postgres_bin_dirs().first().map(PathBuf::from));
    // psql beside them too: a symlinked initdb on PATH leads to its real directory.
    let Some(pg_bin) = pg_bin.filter(|dir| dir.join("pg_ctl").is_file() && dir.join("psql").is_file()) else {
        return Err(Diagnostic::plain("PostgreSQL's server programs (initdb, pg_ctl) are not on PATH nor in /usr/lib/postgresql: install PostgreSQL or give --pg-bin DIR").into());
    };
    let tool = |name: &str| target.barman_bin.as_ref().map_or_else(|| find_program(name), |dir| Some(dir.join(name)).filter(|p| p.is_file()));
    if tool("barman-cloud-backup").is_none() {
        return Err(Diagnostic::plain("Barman's cloud tools (barman-cloud-backup, ...) are not on PATH: install the Debian package barman-cli-cloud, or `pip install 'barman[cloud]'` into a virtualenv built from /usr/bin/python3, and give --barman-bin DIR").into());
    }
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("PATH".into(), format!("{}:{}", std::env::var("PATH").unwrap_or_default(), pg_bin.display()));
    env.insert("HOME".into(), work.display().to_string());
    env.insert("LC_ALL".into(), "C.UTF-8".into());
    // The credentials the cluster reads from the object store's Secret, mapped from the drill's environment.
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"] {
        if let Ok(value) = std::env::var(name) {
            env.insert(name.into(), value);
        }
    }
    let runner = Runner { root, env };
    runner.own(work);
    let endpoint = endpoint.map(str::to_string).or_else(|| archives.source.endpoint.clone());
    let barman = Barman { bin: target.barman_bin.as_deref(), endpoint, runner: &runner };
    let drill = Drill { archives: &archives, barman: &barman, runner: &runner, pg_bin: &pg_bin, work, target: target.target_time.map(|t| t.with_timezone(&Utc)) };
    let mut steps = Steps { steps: Vec::new() };
    if let Ok(figures) = drill.run(&mut steps, existing)
        && let Some(path) = &target.figures
    {
        let text = serde_json::to_string_pretty(&figures).expect("figures serialize") + "\n";
        std::fs::write(path, text).map_err(|e| Diagnostic::plain(format!("cannot write the figures to {}: {e}", path.display())))?;
    }
    Ok(steps.steps)
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

struct Drill<'a> {
    archives: &'a Archives,
    barman: &'a Barman<'a>,
    runner: &'a Runner,
    pg_bin: &'a Path,
    work: &'a Path,
    target: Option<DateTime<Utc>>,
}

impl Drill<'_> {
    fn run(&self, steps: &mut Steps, existing: Option<BTreeMap<&'static str, String>>) -> Result<RecoveryFigures, Stopped> {
        let source_archive = &self.archives.source;
        let backup_job = Component::Backup;
        steps.run(backup_job, "object-store", || self.preflight(existing.is_some()).map(|text| ((), text)))?;
        let mut source = match existing {
            None => steps.run(backup_job, "source", || self.scratch_source())?,
            Some(env) => steps.run(backup_job, "source", || self.existing_source(env))?,
        };
        let sql = |source: &Source, sql: &str| source.sql(self.pg_bin, self.runner, sql);
        steps.run(backup_job, "seed", || {
            sql(&source, &format!("DROP SCHEMA IF EXISTS chartgen_drill CASCADE; CREATE SCHEMA chartgen_drill; CREATE TABLE {TABLE} (id int PRIMARY KEY, batch text NOT NULL, written timestamptz NOT NULL DEFAULT clock_timestamp())"))?;
            sql(&source, &format!("INSERT INTO {TABLE} (id, batch) SELECT g, 'seed' FROM generate_series(1, {SEED_ROWS}) g"))?;
            Ok(((), format!("{SEED_ROWS} rows in {TABLE}")))
        })?;
        let seeded = Utc::now();
        let retention = source_archive.retention.as_deref().and_then(RecoveryWindow::of);
        // Retention needs base backups older than its window: two more, backdated past it.
        let backups = if retention.is_some() { 3 } else { 1 };
        let mut base_backups = Vec::new();
        let mut backup_seconds = 0.0;
        for n in 1..=backups {
            let id = steps.run(backup_job, &format!("base-backup-{n}"), || self.base_backup(&source))?;
            backup_seconds += steps.last_seconds();
            base_backups.push(id);
        }
        steps.run(backup_job, "before-target", || {
            sql(&source, &format!("INSERT INTO {TABLE} (id, batch) SELECT g, 'before' FROM generate_series({}, {}) g", SEED_ROWS + 1, SEED_ROWS + BEFORE_ROWS))?;
            Ok(((), format!("{BEFORE_ROWS} rows")))
        })?;
        let target = steps.run(backup_job, "target", || self.target(&source))?;
        steps.run(backup_job, "after-target", || {
            sql(&source, &format!("INSERT INTO {TABLE} (id, batch) SELECT g, 'after' FROM generate_series({}, {}) g", SEED_ROWS + BEFORE_ROWS + 1, SEED_ROWS + BEFORE_ROWS + AFTER_ROWS))?;
            sql(&source, &format!("DELETE FROM {TABLE} WHERE batch = 'seed' AND id <= {DELETED_ROWS}"))?;
            Ok(((), format!("{AFTER_ROWS} rows written and {DELETED_ROWS} seed rows deleted")))
        })?;
        steps.run(backup_job, "archive-wal", || self.archive_wal(&source))?;
        if let Some(window) = &retention {
            steps.run(backup_job, "retention", || self.retention(window, &base_backups[..2], target))?;
        }
        if let Source::Scratch(server) = &mut source {
            // The source stops so that the restored server is the only one left.
            server.stop();
        }
        let restored = steps.run(Component::Verify, "restore", || self.restore(target))?;
        let restore_seconds = steps.last_seconds();
        let mut server = restored;
        let wal_segments = steps.run(Component::Verify, "replay", || self.replay(&mut server, target))?;
        let replay_seconds = steps.last_seconds();
        steps.run(Component::Verify, "compare", || {
            if target < seeded {
                // A target in the archive's past: the drill's rows came later, so none may be there.
                let absent = server.sql(&format!("SELECT to_regclass('{TABLE}') IS NULL"))? == "t";
                return if absent { Ok(((), format!("{TABLE}, created after the target, is absent as it should be"))) } else { Err(format!("{TABLE} was created after the target but is there")) };
            }
            compare(&counts(&server.sql(&count_sql())?))
        })?;
        if let Source::Existing(existing) = &source {
            let _ = existing.sql(self.pg_bin, self.runner, "DROP SCHEMA chartgen_drill CASCADE");
        }
        Ok(RecoveryFigures {
            // `15.18 (Debian 15.18-0+deb12u1)`: the version is the first word.
            postgresql: server.sql("SHOW server_version").unwrap_or_default().split_whitespace().next().unwrap_or_default().to_string(),
            barman: self.barman.version(),
            base_backup_seconds: backup_seconds / f64::from(backups),
            restore_seconds,
            replay_seconds,
            wal_segments,
        })
    }

    /// Refuses, before anything is written, what cannot work: a store out of reach, a
    /// scratch server's archive that is not empty, a target before every base backup.
    fn preflight(&self, existing: bool) -> Result<String, Failure> {
        let source = &self.archives.source;
        let mut text = String::new();
        self.barman.run("barman-cloud-backup-list", source, &["--test".to_string()], &[]).map_err(|output| {
            format!("cannot reach {} with the drill's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY): check the bucket, the endpoint and the keys\n{output}", source.destination)
        })?;
        text.push_str(&format!("{} is reachable\n", source.destination));
        if !existing {
            self.barman.check_empty(source)?;
            text.push_str(&format!("{} is empty: the source archives there\n", source.url()));
        }
        if let Some(target) = self.target.filter(|t| *t < Utc::now()) {
            // The drill's own base backups all end after now.
            backup_for(&self.barman.backups(source)?, target).map_err(|why| format!("{why}; the drill's own base backups end after now"))?;
        }
        if let Some((reads, own)) = &self.archives.recovery {
            if (reads.destination.as_str(), reads.server.as_str()) != (source.destination.as_str(), source.server.as_str()) {
                return Err(format!("the recovered Cluster reads {} but the Cluster archives into {}: its external cluster must name the same store and server", reads.url(), source.url()));
            }
            self.barman.check_empty(own)?;
            text.push_str(&format!("{} is empty: the recovered server archives there\n", own.url()));
        }
        Ok(text)
    }

    fn scratch_source(&self) -> Result<(Source<'_>, String), Failure> {
        let data = self.work.join("source");
        let initdb = ["--pgdata".to_string(), data.display().to_string(), "--username=postgres".to_string(), "--auth=trust".to_string(), "--no-sync".to_string()];
        self.runner.run(&self.pg_bin.join("initdb"), &initdb)?;
        let mut server = Server::new(self.pg_bin, data, self.work, self.runner)?;
        let archive = &self.archives.source;
        let archive_command = self.barman.command_line("barman-cloud-wal-archive", archive, &archive.wal_options, "%p");
        server.settings(&[("wal_level", "replica".into()), ("archive_mode", "on".into()), ("archive_command", archive_command.clone()), ("archive_timeout", "60s".into())])?;
        server.start()?;
        let version = server.sql("SHOW server_version")?;
        let text = format!("a scratch PostgreSQL {version} on 127.0.0.1:{}, archive_command = {archive_command}", server.port);
        Ok((Source::Scratch(server), text))
    }

    fn existing_source(&self, env: BTreeMap<&'static str, String>) -> Result<(Source<'_>, String), Failure> {
        let existing = Existing { env };
        let mode = existing.sql(self.pg_bin, self.runner, "SHOW archive_mode")?;
        let command = existing.sql(self.pg_bin, self.runner, "SHOW archive_command")?;
        let archive = &self.archives.source;
        let archives_there = command.contains("barman-cloud-wal-archive") && command.contains(&archive.destination) && command.split_whitespace().any(|w| w.trim_matches('\'') == archive.server);
        if mode == "off" || !archives_there {
            return Err(format!(
                "the server at {}:{} does not archive to {} (archive_mode = {mode}, archive_command = {command}): set archive_mode = on and archive_command = '{}', or leave out --database-url for a scratch server",
                existing.env["PGHOST"],
                existing.env["PGPORT"],
                archive.url(),
                self.barman.command_line("barman-cloud-wal-archive", archive, &archive.wal_options, "%p")
            ));
        }
        Ok((Source::Existing(existing), format!("archive_command = {command}")))
    }

    fn base_backup(&self, source: &Source) -> Result<(String, String), Failure> {
        let archive = &self.archives.source;
        let before: Vec<String> = self.barman.backups(archive)?.into_iter().map(|b| b.id).collect();
        // Backup ids are the second it started: two in one second would collide.
        std::thread::sleep(Duration::from_millis(1000 - u64::from(Utc::now().timestamp_subsec_millis().min(999))));
        let mut options = archive.data_options.clone();
        options.push("--immediate-checkpoint".into());
        options.extend(source.connection());
        self.barman.run("barman-cloud-backup", archive, &options, &[])?;
        let id = self.barman.backups(archive)?.into_iter().find(|b| b.done && !before.contains(&b.id)).map(|b| b.id).ok_or("barman-cloud-backup exited 0 but left no finished base backup")?;
        Ok((id.clone(), format!("base backup {id} in {}/base/{id}", archive.url())))
    }

    /// The target: the user's, waited for if ahead, or the server's clock between the batches.
    fn target(&self, source: &Source) -> Result<(DateTime<Utc>, String), Failure> {
        let clock = || source.sql(self.pg_bin, self.runner, "SET TimeZone = 'UTC'; SELECT to_char(clock_timestamp(), 'YYYY-MM-DD\"T\"HH24:MI:SS.USOF') || ':00'").map(|t| parse_time(&t));
        let target = match self.target {
            Some(target) => {
                while clock()?.is_some_and(|now| now <= target) {
                    std::thread::sleep(Duration::from_millis(200));
                }
                target
            }
            None => {
                // Apart from the commits either side, so that the target falls clearly between them.
                std::thread::sleep(Duration::from_millis(500));
                let target = clock()?.ok_or("the server's clock cannot be read")?;
                std::thread::sleep(Duration::from_millis(500));
                target
            }
        };
        Ok((target, format!("recovery target {}", postgres_time(target))))
    }

    /// Switches to a new WAL segment and waits until the one holding the writes is archived.
    fn archive_wal(&self, source: &Source) -> Result<((), String), Failure> {
        let sql = |sql: &str| source.sql(self.pg_bin, self.runner, sql);
        let segment = sql("SELECT pg_walfile_name(pg_switch_wal())")?;
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let status = sql("SELECT coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '') FROM pg_stat_archiver")?;
            let fields: Vec<&str> = status.split('|').collect();
            if fields.first().is_some_and(|archived| *archived >= segment.as_str()) {
                return Ok(((), format!("WAL up to {segment} archived")));
            }
            if Instant::now() > deadline {
                return Err(format!("segment {segment} was not archived within 120 s (pg_stat_archiver: last archived, failures, last failed = {status}); the server's log says why"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Runs the rendered retention policy on base backups backdated past its window, and
    /// shows that a recovery inside the window still has a base backup and one outside has none.
    fn retention(&self, window: &RecoveryWindow, old: &[String], target: DateTime<Utc>) -> Result<((), String), Failure> {
        let (policy, window) = (&window.barman, TimeDelta::days(window.days));
        let archive = &self.archives.source;
        let now = Utc::now();
        let ages = [window + TimeDelta::days(2), window + TimeDelta::days(1)];
        for (id, age) in old.iter().zip(ages) {
            self.backdate(archive, id, now - age)?;
        }
        let outside = now - ages[0] + TimeDelta::hours(1);
        let before = self.barman.backups(archive)?;
        let served_before = backup_for(&before, outside).map(|b| b.id.clone())?;
        self.barman.run("barman-cloud-backup-delete", archive, &["--retention-policy".to_string(), policy.to_string()], &[])?;
        let after = self.barman.backups(archive)?;
        let kept: Vec<&str> = after.iter().map(|b| b.id.as_str()).collect();
        if kept.contains(&old[0].as_str()) || !kept.contains(&old[1].as_str()) {
            return Err(format!("{policy} should delete only {} (older than the newest backup before the window), but left {kept:?}", old[0]));
        }
        let outside_refused = match backup_for(&after, outside) {
            Ok(backup) => return Err(format!("a recovery to {} is outside the window but still starts from {}", postgres_time(outside), backup.id)),
            Err(why) => why,
        };
        let inside = backup_for(&after, target)?;
        Ok((
            (),
            format!(
                "{policy}: base backups {} and {} backdated by {} and {} days (their backup.info), as no week passes in a drill\n\
                 deleted {} and the WAL before {}; kept {kept:?}\n\
                 inside the window: a recovery to {} starts from {}\n\
                 outside the window: a recovery to {} started from {served_before} before the deletion; now refused: {outside_refused}",
                old[0],
                old[1],
                ages[0].num_days(),
                ages[1].num_days(),
                old[0],
                old[1],
                postgres_time(target),
                inside.id,
                postgres_time(outside),
            ),
        ))
    }

    /// Rewrites a base backup's times in its backup.info, with the boto3 that Barman's own tools use.
    fn backdate(&self, archive: &Archive, id: &str, end: DateTime<Utc>) -> Result<(), Failure> {
        let tool = self.barman.program("barman-cloud-backup");
        let tool = if tool.is_absolute() { tool } else { find_program("barman-cloud-backup").ok_or("barman-cloud-backup is not on PATH")? };
        let shebang = std::fs::read_to_string(&tool).map_err(|e| format!("cannot read {}: {e}", tool.display()))?;
        let python = shebang.lines().next().and_then(|l| l.strip_prefix("#!")).map(str::trim).ok_or_else(|| format!("{} has no #! line naming its Python", tool.display()))?;
        let (bucket, prefix) = archive.destination.trim_start_matches("s3://").split_once('/').unwrap_or((archive.destination.trim_start_matches("s3://"), ""));
        let key = format!("{}{}/base/{id}/backup.info", if prefix.is_empty() { String::new() } else { format!("{}/", prefix.trim_end_matches('/')) }, archive.server);
        let stamp = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string();
        let args = vec![
            "-c".to_string(),
            BACKDATE.to_string(),
            self.barman.endpoint.clone().unwrap_or_default(),
            bucket.to_string(),
            key,
            stamp(end - TimeDelta::minutes(1)),
            stamp(end),
        ];
        self.runner.run(Path::new(python), &args).map(drop)
    }

    /// Restores the newest base backup that ends before the target into a fresh data directory.
    fn restore(&self, target: DateTime<Utc>) -> Result<(Server<'_>, String), Failure> {
        let (reads, own) = self.archives.recovery.clone().map_or_else(|| (self.archives.source.clone(), None), |(reads, own)| (reads, Some(own)));
        let backups = self.barman.backups(&reads)?;
        let backup = backup_for(&backups, target)?;
        // The drill's own work directory is new, so this one is too.
        let data = self.work.join("restored");
        self.barman.run("barman-cloud-restore", &reads, &[], &[backup.id.clone(), data.display().to_string()])?;
        let server = Server::new(self.pg_bin, data, self.work, self.runner)?;
        let restore_command = self.barman.command_line("barman-cloud-wal-restore", &reads, &[], "%f %p");
        let mut text = format!("base backup {} of {} restored into {}\n", backup.id, reads.url(), server.data.display());
        // The recovered server archives its own timeline under its own name, never into the source's.
        let archiving = match &own {
            Some(own) => {
                text.push_str(&format!("it archives into {}\n", own.url()));
                [("archive_mode", "on".to_string()), ("archive_command", self.barman.command_line("barman-cloud-wal-archive", own, &own.wal_options, "%p"))]
            }
            None => [("archive_mode", "off".to_string()), ("archive_command", String::new())],
        };
        let mut settings = vec![("restore_command", restore_command), ("recovery_target_time", postgres_time(target)), ("recovery_target_action", "promote".to_string())];
        settings.extend(archiving);
        server.settings(&settings)?;
        std::fs::write(server.data.join("recovery.signal"), "").map_err(|e| format!("cannot write recovery.signal: {e}"))?;
        self.runner.own(&server.data);
        Ok((server, text))
    }

    /// Starts the restored server and waits until recovery has really ended: `pg_ctl -w` also
    /// returns 0 when the server stops because the archive ends before the target.
    fn replay(&self, server: &mut Server, target: DateTime<Utc>) -> Result<(u32, String), Failure> {
        server.start()?;
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let log = server.log_text();
            if let Some(why) = recovery_failure(&log, target) {
                return Err(format!("{why}\n{}", tail(&log)));
            }
            match server.sql("SELECT pg_is_in_recovery()") {
                Ok(answer) if answer == "f" => break,
                Ok(_) => {}
                Err(_) if !server.running() => return Err(format!("the restored server stopped during recovery\n{}", tail(&server.log_text()))),
                Err(_) => {}
            }
            if Instant::now() > deadline {
                return Err(format!("recovery did not end within 600 s\n{}", tail(&server.log_text())));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = server.log_text();
        let segments = log.lines().filter(|l| l.contains("restored log file") && !l.contains(".history")).count();
        let stop = log.lines().find(|l| l.contains("recovery stopping")).unwrap_or("").trim();
        Ok((u32::try_from(segments).unwrap_or(u32::MAX), format!("replayed {segments} WAL segments from the archive and promoted\n{stop}")))
    }
}

/// Why recovery failed, from the restored server's log.
fn recovery_failure(log: &str, target: DateTime<Utc>) -> Option<String> {
    if log.contains("recovery ended before configured recovery target was reached") {
        return Some(format!("the target {} is past the end of the archive: PostgreSQL replayed all of its WAL without reaching it", postgres_time(target)));
    }
    if log.contains("requested recovery stop point is before consistent recovery point") {
        return Some(format!("the target {} is before the end of the base backup: the recovery must start from an older one", postgres_time(target)));
    }
    None
}

/// The restored rows against what the drill wrote around the target.
fn compare(rows: &Rows) -> Result<((), String), Failure> {
    let text = format!(
        "written before the target: seed {} of {SEED_ROWS} and before {} of {BEFORE_ROWS} present\n\
         written after the target: after {} of {AFTER_ROWS} present (expected 0); {} of the {DELETED_ROWS} seed rows deleted after it still there (expected {DELETED_ROWS})",
        rows.seed, rows.before, rows.after, rows.deleted_kept
    );
    let expected = Rows { seed: SEED_ROWS, before: BEFORE_ROWS, after: 0, deleted_kept: DELETED_ROWS };
    if *rows == expected { Ok(((), text)) } else { Err(format!("the recovered rows are not those written before the target\n{text}")) }
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// Python run by Barman's interpreter: endpoint, bucket, key, begin time, end time.
const BACKDATE: &str = r#"import sys, boto3
endpoint, bucket, key, begin, end = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint or None)
info = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
times = {"begin_time": begin, "end_time": end}
lines = [k + "=" + times[k] if k in times else line for line in info.splitlines() for k in [line.split("=", 1)[0]]]
s3.put_object(Bucket=bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgresql_gets_a_target_time_without_z() {
        let time = parse_time("2026-11-23T01:56:41.5Z").unwrap();
        assert_eq!(postgres_time(time), "2026-11-23 01:56:41.500000+00:00");
        assert_eq!(parse_time("2026-11-23 01:56:41.545147+00:00").map(postgres_time).as_deref(), Some("2026-11-23 01:56:41.545147+00:00"));
    }

    fn backup(id: &str, done: bool, end: &str) -> BaseBackup {
        BaseBackup { id: id.to_string(), done, end: parse_time(end) }
    }

    #[test]
    fn a_recovery_starts_from_the_newest_finished_backup_that_ends_before_the_target() {
        let backups = [backup("20261101T020000", true, "2026-11-01T02:05:00Z"), backup("20261102T020000", true, "2026-11-02T02:05:00Z"), backup("20261103T020000", false, "2026-11-03T02:05:00Z")];
        let target = parse_time("2026-11-03T12:00:00Z").unwrap();
        assert_eq!(backup_for(&backups, target).unwrap().id, "20261102T020000");
        let target = parse_time("2026-11-02T02:04:00Z").unwrap();
        assert_eq!(backup_for(&backups, target).unwrap().id, "20261101T020000");
        let early = backup_for(&backups, parse_time("2026-11-01T02:00:00Z").unwrap()).unwrap_err();
        assert!(early.contains("is before the first base backup, which ends at 2026-11-01 02:05:00.000000+00:00"), "{early}");
        assert!(backup_for(&[], target).unwrap_err().contains("no finished base backup"));
    }

    #[test]
    fn a_recovery_that_ends_short_of_its_target_is_a_failure_though_pg_ctl_says_0() {
        let target = parse_time("2026-11-23T01:56:41Z").unwrap();
        // PostgreSQL 15's own lines.
        let short = "LOG:  redo done at 0/8000100\nFATAL:  recovery ended before configured recovery target was reached\nLOG:  startup process (PID 1) exited with exit code 1";
        assert!(recovery_failure(short, target).unwrap().contains("is past the end of the archive"));
        let early = "FATAL:  requested recovery stop point is before consistent recovery point";
        assert!(recovery_failure(early, target).unwrap().contains("is before the end of the base backup"));
        assert_eq!(recovery_failure("LOG:  recovery stopping before commit of transaction 727\nLOG:  database system is ready to accept connections", target), None);
    }

    #[test]
    fn only_the_rows_written_before_the_target_pass() {
        assert!(compare(&counts("1000|500|0|100")).is_ok());
        assert!(compare(&counts("1000|500|300|100")).unwrap_err().contains("after 300 of 300 present (expected 0)"));
        assert!(compare(&counts("900|500|0|0")).is_err());
        assert!(compare(&counts("garbage")).is_err());
    }
}
