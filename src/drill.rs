//! The restore drill on this machine: the backup and verify scripts exactly
//! as rendered, run with `/bin/sh` (or `--shell`) against a real database.
//!
//! The scripts come from the manifests of one values set (with
//! `backup.enabled` and `backup.verify.enabled` on). Each container's
//! environment is the rendered one, with what only a cluster provides
//! mapped to this machine: the volumes to local directories, the database
//! to `--database-url`, and what each backup backend needs by that
//! backend's own stand-in (`src/components/backup/<backend>/drill.rs`: the
//! PVC to `--pvc-dir`; the S3 endpoint to `--s3-endpoint` and the Secret's
//! keys to the drill's own `AWS_ACCESS_KEY_ID`, ...). Started as root, the script that starts a
//! throwaway server runs as the unprivileged `postgres` user, since
//! PostgreSQL refuses to run as root.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::components::Component;
use crate::diagnostic::{BadInput, Diagnostic};
use crate::extract::{containers, script, Manifest};
use crate::render::templates::Templates;
use crate::render::Release;
use crate::spec::Spec;
use crate::values::{LoadedValues, Sink};

// Each backup backend's stand-in on this machine; the next one goes beside these,
// with a field in `Target` and an arm in `Target::sink`.
#[path = "components/backup/pvc/drill.rs"]
mod pvc;
#[path = "components/backup/s3/drill.rs"]
mod s3;
// Barman's drill is a flow of its own: point-in-time recovery, not the rendered scripts.
#[path = "components/backup/barman/drill.rs"]
pub mod barman;

/// What a backup backend maps from the cluster to this machine.
trait SinkOnThisMachine {
    /// Why the drill's target cannot stand in for this backend, if it cannot.
    fn missing(&self) -> Option<&'static str>;
    /// The local directory that stands for the backup claim, for a backend with one.
    fn claim(&self) -> Option<&Path>;
    /// Replaces in a container's environment what only the cluster provides.
    fn environment(&self, env: &mut BTreeMap<String, String>);
}

/// Where the drill runs the scripts against.
#[derive(Debug, Clone, clap::Args)]
pub struct Target {
    /// The database to back up: postgres://user:password@host:port/database. Needed by the dump drill; with barman, a server on this host that already archives as the chart says (else the drill starts a scratch one).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub pvc: pvc::PvcTarget,
    #[command(flatten)]
    pub s3: s3::S3Target,
    #[command(flatten)]
    pub barman: barman::BarmanTarget,
    /// Run only the verify job, on what the sink already holds.
    #[arg(long)]
    pub verify_only: bool,
    /// The POSIX shell to run the scripts with.
    #[arg(long, default_value = "/bin/sh", value_name = "PATH")]
    pub shell: PathBuf,
}

impl Target {
    fn sink(&self, sink: Sink) -> &dyn SinkOnThisMachine {
        match sink {
            Sink::Pvc => &self.pvc,
            Sink::S3 => &self.s3,
        }
    }
}

/// One step of the drill.
#[derive(Debug, Clone)]
pub struct Step {
    /// The job the step belongs to.
    pub job: Component,
    /// `backup/dump`, `verify/verify`, ...
    pub name: String,
    pub ok: bool,
    pub elapsed: Duration,
    /// What the script printed.
    pub output: String,
}

/// A rendered container the drill runs.
struct Runnable {
    /// The container's name.
    name: String,
    script: String,
    env: Vec<(String, String)>,
    mounts: Vec<Mount>,
}

/// A volume a container mounts, and whether a PersistentVolumeClaim backs it.
struct Mount {
    volume: String,
    path: String,
    on_claim: bool,
}

/// The database connection, as libpq's variables.
fn database_env(url: &str) -> Result<BTreeMap<&'static str, String>, BadInput> {
    let bad = || Diagnostic::plain(format!("--database-url {url}: not a postgres://user:password@host:port/database URL"));
    let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://")).ok_or_else(bad)?;
    let (authority, database) = rest.split_once('/').ok_or_else(bad)?;
    let database = database.split('?').next().unwrap_or_default();
    let (credentials, address) = authority.rsplit_once('@').unwrap_or(("", authority));
    let (user, password) = credentials.split_once(':').unwrap_or((credentials, ""));
    let (host, port) = address.rsplit_once(':').unwrap_or((address, "5432"));
    if host.is_empty() || database.is_empty() {
        return Err(bad().into());
    }
    let mut env = BTreeMap::from([("PGHOST", host.to_string()), ("PGPORT", port.to_string()), ("PGDATABASE", database.to_string()), ("PGSSLMODE", "prefer".to_string())]);
    if !user.is_empty() {
        env.insert("PGUSER", user.to_string());
    }
    if !password.is_empty() {
        env.insert("PGPASSWORD", password.to_string());
    }
    Ok(env)
}

/// The containers of the CronJob of `component`, in the order the pod runs them.
fn runnables(manifests: &[Manifest], component: Component) -> Vec<Runnable> {
    let Some(document) = manifests.iter().position(|m| m.kind() == "CronJob" && Component::of(&m.object) == Some(component)) else {
        return Vec::new();
    };
    containers(manifests)
        .into_iter()
        .filter(|c| c.document == document)
        .filter_map(|c| {
            let (text, _) = script(&c)?;
            let env = c.value["env"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|e| (e["name"].as_str().unwrap_or_default().to_string(), e["value"].as_str().map(str::to_string).unwrap_or_default()))
                .collect();
            let mounts: Vec<(String, String)> = c.value["volumeMounts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|m| (m["name"].as_str().unwrap_or_default().to_string(), m["mountPath"].as_str().unwrap_or_default().to_string()))
                .collect();
            let claim = |volume: &str| c.pod["volumes"].as_array().into_iter().flatten().any(|v| v["name"] == volume && v["persistentVolumeClaim"].is_object());
            let mounts = mounts.into_iter().map(|(volume, path): (String, String)| Mount { on_claim: claim(&volume), volume, path }).collect();
            Some(Runnable { name: c.value["name"].as_str().unwrap_or_default().to_string(), script: text, env, mounts })
        })
        .collect()
}

/// The directories of PostgreSQL's server programs (initdb, pg_ctl), newest first.
fn postgres_bin_dirs() -> Vec<String> {
    let mut dirs: Vec<(u32, String)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_string_lossy().parse().ok()?, e.path().join("bin").display().to_string())))
        .collect();
    dirs.sort();
    dirs.into_iter().rev().map(|(_, d)| d).collect()
}

/// Copies the dump files of `from` (the user's PVC directory) into `to`, a
/// directory of the drill's own, and returns `to`.
fn copy_dumps(from: &Path, to: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("backup-") && name.ends_with(".dump") && entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(to.to_path_buf())
}

/// The unprivileged user scripts run as when the drill runs as root.
const RUN_AS: &str = "postgres";

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The flags the drill sets whatever the values say: it runs the backup and the verify job.
pub fn flags() -> crate::values::flags::Assignment {
    let mut flags = crate::values::flags::Assignment::new();
    for path in ["backup.enabled", "backup.verify.enabled"] {
        flags.insert(crate::values::flags::ValuePath::parse(path), true.into());
    }
    flags
}

/// Runs the drill: for pg_dump, the backup, then the verify job, each
/// container in turn; for Barman, a point-in-time recovery.
/// `values` must set the drill's [`flags`].
pub fn run(spec: &Spec, loaded: &LoadedValues, release: &Release, target: &Target, work: &Path) -> Result<Vec<Step>, BadInput> {
    let values = &loaded.values;
    let barman = values.backup.method == crate::values::BackupMethod::Barman;
    if barman && !target.verify_only {
        // The recovered Cluster says where the recovery reads and archives; its target is the drill's.
        let mut values = values.clone();
        values.backup.barman.recovery.enabled = true;
        let placeholder = target.barman.target_time.unwrap_or_else(|| chrono::Utc::now().fixed_offset());
        values.backup.barman.recovery.target_time = placeholder.to_rfc3339().parse().expect("an RFC 3339 time");
        let manifests = Templates::builtin().render(spec, &values, release)?;
        return barman::run(&manifests, &target.barman, target.s3.s3_endpoint.as_deref(), target.database_url.as_deref(), work);
    }
    let manifests = Templates::builtin().render(spec, values, release)?;
    // Barman's check reads the object store and starts its own server: no database to map.
    let database = match &target.database_url {
        Some(url) => database_env(url)?,
        None if barman => BTreeMap::new(),
        None => return Err(Diagnostic::plain("the pg_dump drill needs --database-url: the database to back up").into()),
    };
    let sink: &dyn SinkOnThisMachine = if barman { &target.s3 } else { target.sink(values.backup.sink) };
    if barman && values.backup.barman.tier == crate::values::BackupTier::None {
        let origin = loaded.tree.get("backup.barman.tier").map_or(crate::diagnostic::Origin::Default, |n| n.origin.clone());
        return Err(Diagnostic::new(origin, "backup.barman.tier is none: the Cluster archives nothing, and the chart renders no point-in-time recovery check").with_help("choose tier daily or pitr").into());
    }
    if let Some(missing) = sink.missing() {
        return Err(Diagnostic::plain(missing).into());
    }
    let root = running_as_root();
    // The server programs (initdb, pg_ctl) are often off PATH; the caller's PATH comes first.
    let path = format!("{}:{}", std::env::var("PATH").unwrap_or_default(), postgres_bin_dirs().join(":"));
    let io = |e: std::io::Error| Diagnostic::plain(format!("cannot prepare the drill's directories under {}: {e}", work.display()));
    let mut steps = Vec::new();
    let mut jobs = Vec::new();
    if !target.verify_only {
        jobs.push(Component::Backup);
    }
    jobs.push(Component::Verify);
    for job in jobs {
        // A pod's emptyDirs are fresh for each run of its job.
        let pod_dir = work.join(job.label());
        let mut volumes: BTreeMap<String, PathBuf> = BTreeMap::new();
        for runnable in runnables(&manifests, job) {
            let mut env: BTreeMap<String, String> = BTreeMap::new();
            env.insert("PATH".into(), path.clone());
            let unprivileged = root && runnable.script.contains("pg_ctl");
            for Mount { volume, path: mount, on_claim } in &runnable.mounts {
                let local = match sink.claim() {
                    // The user's directory is never re-owned: an unprivileged script reads a copy of its dumps.
                    Some(dir) if *on_claim && unprivileged => copy_dumps(dir, &pod_dir.join(volume)).map_err(io)?,
                    Some(dir) if *on_claim => dir.to_path_buf(),
                    _ => volumes.entry(volume.clone()).or_insert_with(|| pod_dir.join(volume)).clone(),
                };
                std::fs::create_dir_all(&local).map_err(io)?;
                if root && local.starts_with(work) {
                    // The scripts run as an unprivileged user that must write in the drill's own directories.
                    let _ = Command::new("chown").args(["-R", RUN_AS, &local.display().to_string()]).status();
                }
                for (name, value) in &runnable.env {
                    if value == mount {
                        env.insert(name.clone(), local.display().to_string());
                    }
                }
                if mount == "/tmp" {
                    env.insert("HOME".into(), local.display().to_string());
                    env.insert("TMPDIR".into(), local.display().to_string());
                }
            }
            for (name, value) in &runnable.env {
                env.entry(name.clone()).or_insert_with(|| value.clone());
            }
            for (name, value) in &database {
                if env.contains_key(*name) {
                    env.insert(name.to_string(), value.clone());
                }
            }
            sink.environment(&mut env);
            let mut command = if unprivileged { Command::new("runuser") } else { Command::new(&target.shell) };
            if unprivileged {
                command.args(["-u", RUN_AS, "--"]).arg(&target.shell);
            }
            command.args(["-c", &runnable.script]).env_clear().envs(&env).current_dir(&pod_dir);
            std::fs::create_dir_all(&pod_dir).map_err(io)?;
            let started = Instant::now();
            let output = command.output().map_err(|e| Diagnostic::plain(format!("cannot run {}: {e}", target.shell.display())))?;
            let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&output.stderr));
            let ok = output.status.success();
            steps.push(Step { job, name: format!("{}/{}", job.label(), runnable.name), ok, elapsed: started.elapsed(), output: text });
            if !ok {
                return Ok(steps);
            }
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_becomes_libpq_variables() {
        let env = database_env("postgres://app:s3cret@127.0.0.1:55432/certctl?sslmode=disable").unwrap();
        assert_eq!(env["PGHOST"], "127.0.0.1");
        assert_eq!(env["PGPORT"], "55432");
        assert_eq!(env["PGDATABASE"], "certctl");
        assert_eq!(env["PGUSER"], "app");
        assert_eq!(env["PGPASSWORD"], "s3cret");
        assert!(database_env("mysql://x/y").is_err());
    }
}
