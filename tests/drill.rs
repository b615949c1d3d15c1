//! The restore drill against real components: a PostgreSQL server
//! (`CHARTGEN_DATABASE_URL`, an admin connection) and a local S3 endpoint
//! (`CHARTGEN_S3_ENDPOINT`, moto), both started by `.ci/run`. The backup and
//! verify scripts run exactly as rendered, under /bin/sh.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

struct Services {
    admin_url: String,
    s3: String,
}

fn services() -> Services {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("set {name} (bash .ci/run starts PostgreSQL and moto and sets it)"));
    Services { admin_url: var("CHARTGEN_DATABASE_URL"), s3: var("CHARTGEN_S3_ENDPOINT") }
}
fn psql(url: &str, sql: &str) -> String {
    let output = Command::new("psql").args([url, "--no-psqlrc", "--tuples-only", "--no-align", "--quiet", "--command", sql]).output().expect("psql runs");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A fresh database with the certctl tables the sanity queries read, and one more.
fn seeded_database(services: &Services, name: &str) -> String {
    psql(&services.admin_url, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&services.admin_url, &format!("CREATE DATABASE {name}"));
    let url = services.admin_url.rsplit_once('/').unwrap().0.to_string() + "/" + name;
    psql(&url, "CREATE TABLE schema_migrations (version int PRIMARY KEY); INSERT INTO schema_migrations SELECT generate_series(1, 42)");
    psql(&url, "CREATE TABLE managed_certificates (id int PRIMARY KEY, common_name text); INSERT INTO managed_certificates SELECT g, 'host' || g || '.example.com' FROM generate_series(1, 5000) g");
    psql(&url, "CREATE TABLE agents (id int PRIMARY KEY, online bool); INSERT INTO agents SELECT g, g % 3 = 0 FROM generate_series(1, 137) g");
    url
}

const TABLES: [&str; 3] = ["schema_migrations", "managed_certificates", "agents"];

fn counts(url: &str) -> Vec<String> {
    TABLES.iter().map(|t| psql(url, &format!("SELECT count(*) FROM {t}"))).collect()
}

struct Drill {
    code: i32,
    stdout: String,
    verdict: Option<Value>,
}

fn drill(args: &[&str], path_prefix: Option<&Path>) -> Drill {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chartgen"));
    command.arg("drill").args(args).env("NO_COLOR", "1");
    if let Some(prefix) = path_prefix {
        command.env("PATH", format!("{}:{}", prefix.display(), std::env::var("PATH").unwrap_or_default()));
    }
    let output = command.output().expect("chartgen runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    let verdict = stdout.lines().rev().find_map(|l| serde_json::from_str::<Value>(l.trim()).ok().filter(Value::is_object));
    Drill { code: output.status.code().unwrap_or(-1), stdout, verdict }
}

/// A directory for the PVC sink that the unprivileged user the drill uses can write.
fn pvc_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let _ = Command::new("chmod").args(["0777", dir.path().to_str().unwrap()]).status();
    dir
}

fn dumps(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with("backup-") || n.starts_with(".backup-")).collect();
    names.sort();
    names
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_pvc_sink_backs_up_and_the_verify_job_restores_every_row() {
    let services = services();
    let url = seeded_database(&services, "drill_pvc");
    let dir = pvc_dir();
    let run = drill(&["--database-url", &url, "--pvc-dir", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let verdict = run.verdict.expect("the verify job prints its result");
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["queries"][0]["value"], "42", "{verdict}");
    assert_eq!(verdict["queries"][1]["value"], "5000", "{verdict}");
    eprintln!("pvc drill: {}", run.stdout);
    // The dump restores every row of every table, not only those the sanity queries read.
    let dump = dumps(dir.path()).pop().unwrap();
    let restored = seeded_database(&services, "drill_pvc_restored");
    psql(&restored, "DROP TABLE schema_migrations, managed_certificates, agents");
    let status = Command::new("pg_restore").args(["--no-owner", "--no-acl", "--dbname", &restored]).arg(dir.path().join(&dump)).status().unwrap();
    assert!(status.success());
    assert_eq!(counts(&restored), counts(&url));
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_s3_sink_uploads_and_the_verify_job_downloads_and_restores() {
    let services = services();
    let url = seeded_database(&services, "drill_s3");
    let bucket = "chartgen-drill-s3";
    let _ = Command::new("aws").args(["--endpoint-url", &services.s3, "s3", "mb", &format!("s3://{bucket}")]).output();
    let run = drill(&["--database-url", &url, "--set", &format!("backup.sink=s3,backup.s3.bucket={bucket}"), "--s3-endpoint", &services.s3], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let verdict = run.verdict.unwrap();
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["queries"][1]["value"], "5000");
    eprintln!("s3 drill: {}", run.stdout);
    let listing = Command::new("aws").args(["--endpoint-url", &services.s3, "s3", "ls", &format!("s3://{bucket}/certctl/")]).output().unwrap();
    assert!(String::from_utf8_lossy(&listing.stdout).contains(".dump"));
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn a_missing_bucket_fails_the_backup_with_a_clear_message() {
    let services = services();
    let url = seeded_database(&services, "drill_nobucket");
    let run = drill(&["--database-url", &url, "--set", "backup.sink=s3,backup.s3.bucket=chartgen-no-such-bucket", "--s3-endpoint", &services.s3], None);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/upload"), "{}", run.stdout);
    assert!(run.stdout.contains("upload to s3://chartgen-no-such-bucket/certctl/backup-"), "{}", run.stdout);
    assert!(run.stdout.contains("check the bucket, the region and the credentials Secret"), "{}", run.stdout);
    assert!(!run.stdout.contains("verify/"), "the drill stops at the failed step");
}

/// Runs the drill with a `pg_dump` that runs the real one, then spoils its file with `spoil` (sh, `$f` is the file).
fn drill_with_spoiled_dump(services: &Services, database: &str, spoil: &str) -> (Drill, tempfile::TempDir) {
    let url = seeded_database(services, database);
    let fake = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/sh\nset -e\nfor dir in /usr/lib/postgresql/*/bin; do real=\"$dir/pg_dump\"; done\n\"$real\" \"$@\"\nfor a; do case $a in --file=*) f=${{a#--file=}};; esac; done\n{spoil}\n"
    );
    let path = fake.path().join("pg_dump");
    std::fs::write(&path, script).unwrap();
    Command::new("chmod").args(["0755", path.to_str().unwrap(), fake.path().to_str().unwrap()]).status().unwrap();
    let dir = pvc_dir();
    (drill(&["--database-url", &url, "--pvc-dir", dir.path().to_str().unwrap()], Some(fake.path())), dir)
}

fn assert_refused_before_kept(run: &Drill, dir: &Path) {
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/dump"), "{}", run.stdout);
    assert!(run.stdout.contains("does not read back with pg_restore --list; not keeping it"), "{}", run.stdout);
    assert_eq!(dumps(dir), Vec::<String>::new(), "neither the dump nor its partial file is left");
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn a_truncated_dump_is_refused_before_it_is_kept() {
    let services = services();
    // As when the disk fills mid-dump.
    let (run, dir) = drill_with_spoiled_dump(&services, "drill_truncated", "head -c 300 \"$f\" > \"$f.cut\" && mv \"$f.cut\" \"$f\"");
    assert_refused_before_kept(&run, dir.path());
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn a_dump_of_random_bytes_is_refused_before_it_is_kept() {
    let services = services();
    let (run, dir) = drill_with_spoiled_dump(&services, "drill_random", "head -c 4096 /dev/urandom > \"$f\"");
    assert_refused_before_kept(&run, dir.path());
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn a_failed_sanity_query_fails_the_verify_job() {
    let services = services();
    let url = seeded_database(&services, "drill_empty_migrations");
    psql(&url, "DELETE FROM schema_migrations");
    let dir = pvc_dir();
    let run = drill(&["--database-url", &url, "--pvc-dir", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let verdict = run.verdict.unwrap();
    assert_eq!(verdict["ok"], false, "{verdict}");
    assert_eq!(verdict["queries"][0]["name"], "schema-migrations-applied");
    assert_eq!(verdict["queries"][0]["value"], "0");
    assert_eq!(verdict["queries"][0]["ok"], false);
    assert_eq!(verdict["queries"][1]["ok"], true);
}

fn verify_only(dir: &Path, url: &str) -> Drill {
    drill(&["--database-url", url, "--pvc-dir", dir.to_str().unwrap(), "--verify-only"], None)
}

fn now_stamp() -> String {
    String::from_utf8(Command::new("date").args(["-u", "+%Y%m%dT%H%M%SZ"]).output().unwrap().stdout).unwrap().trim().to_string()
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_verify_job_fails_on_random_bytes_and_on_a_truncated_dump() {
    let services = services();
    let url = seeded_database(&services, "drill_verify_bad");
    let random = pvc_dir();
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    std::fs::write(random.path().join(format!("backup-{}.dump", now_stamp())), bytes).unwrap();
    let run = verify_only(random.path(), &url);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let verdict = run.verdict.unwrap();
    assert_eq!(verdict["ok"], false);
    assert!(verdict["error"].as_str().unwrap().contains("does not read back as a custom-format dump"), "{verdict}");

    let truncated = pvc_dir();
    assert_eq!(drill(&["--database-url", &url, "--pvc-dir", truncated.path().to_str().unwrap()], None).code, 0);
    let dump = truncated.path().join(dumps(truncated.path()).pop().unwrap());
    let whole = std::fs::read(&dump).unwrap();
    std::fs::write(&dump, &whole[..whole.len() / 2]).unwrap();
    let run = verify_only(truncated.path(), &url);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.verdict.unwrap()["ok"], false);
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_verify_job_fails_when_there_is_no_dump_or_it_is_older_than_the_rpo() {
    let services = services();
    let url = seeded_database(&services, "drill_verify_old");
    let empty = pvc_dir();
    let run = verify_only(empty.path(), &url);
    assert_eq!(run.code, 1);
    assert!(run.verdict.unwrap()["error"].as_str().unwrap().starts_with("no dump yet in"), "{}", run.stdout);

    let old = pvc_dir();
    assert_eq!(drill(&["--database-url", &url, "--pvc-dir", old.path().to_str().unwrap()], None).code, 0);
    let dump = dumps(old.path()).pop().unwrap();
    std::fs::rename(old.path().join(&dump), old.path().join("backup-20200101T020000Z.dump")).unwrap();
    let run = verify_only(old.path(), &url);
    assert_eq!(run.code, 1);
    let error = run.verdict.unwrap()["error"].as_str().unwrap().to_string();
    assert!(error.contains("backup-20200101T020000Z.dump is") && error.contains("more than the RPO of 26h"), "{error}");
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn pruning_keeps_exactly_the_configured_number_of_dumps() {
    let services = services();
    let url = seeded_database(&services, "drill_prune");
    let dir = pvc_dir();
    for stamp in ["20240101T020000Z", "20240102T020000Z", "20240103T020000Z", "20240104T020000Z"] {
        std::fs::write(dir.path().join(format!("backup-{stamp}.dump")), b"older dump").unwrap();
    }
    let run = drill(&["--database-url", &url, "--pvc-dir", dir.path().to_str().unwrap(), "--set", "backup.pvc.keep=3"], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let left = dumps(dir.path());
    assert_eq!(left.len(), 3, "{left:?}");
    assert_eq!(&left[..2], ["backup-20240103T020000Z.dump", "backup-20240104T020000Z.dump"]);
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_scripts_run_under_busybox_sh_too() {
    let services = services();
    let busybox = common::program("busybox", "busybox");
    // Called as `sh`, busybox is its shell, as in the images that ship it.
    let shell_dir = tempfile::tempdir().unwrap();
    let shell = shell_dir.path().join("sh");
    std::os::unix::fs::symlink(busybox, &shell).unwrap();
    Command::new("chmod").args(["0755", shell_dir.path().to_str().unwrap()]).status().unwrap();
    let url = seeded_database(&services, "drill_busybox");
    let dir = pvc_dir();
    let run = drill(&["--database-url", &url, "--pvc-dir", dir.path().to_str().unwrap(), "--shell", shell.to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.verdict.unwrap()["queries"][1]["value"], "5000");
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn wrong_credentials_fail_the_backup_clearly_and_leave_no_object() {
    let services = services();
    let url = seeded_database(&services, "drill_badcreds");
    // The bucket is made while requests are still free; then every request needs real IAM keys.
    let s3 = common::StrictS3::start(1);
    let made = Command::new("aws").args(["--endpoint-url", &s3.endpoint, "s3", "mb", "s3://chartgen-locked"]).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let run = drill(&["--database-url", &url, "--set", "backup.sink=s3,backup.s3.bucket=chartgen-locked", "--s3-endpoint", &s3.endpoint], None);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("FAIL backup/upload"), "{}", run.stdout);
    assert!(run.stdout.contains("InvalidAccessKeyId") || run.stdout.contains("AccessDenied"), "{}", run.stdout);
    assert!(run.stdout.contains("check the bucket, the region and the credentials Secret"), "{}", run.stdout);
    s3.stop_checking();
    let listing = Command::new("aws").args(["--endpoint-url", &s3.endpoint, "s3", "ls", "--recursive", "s3://chartgen-locked"]).output().unwrap();
    assert!(listing.status.success());
    assert_eq!(String::from_utf8_lossy(&listing.stdout).trim(), "", "no partial object is left");
}

/// Owner and group of a path.
fn owner(path: &Path) -> (u32, u32) {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).unwrap();
    (meta.uid(), meta.gid())
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_drill_never_changes_the_owner_of_the_pvc_directory() {
    let services = services();
    let url = seeded_database(&services, "drill_owner");
    let dir = pvc_dir();
    let mine = dir.path().join("notes.txt");
    std::fs::write(&mine, "a file of the user's own").unwrap();
    let before = (owner(dir.path()), owner(&mine));
    let run = drill(&["--database-url", &url, "--pvc-dir", dir.path().to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!((owner(dir.path()), owner(&mine)), before, "the drill re-owned the user's directory");
    let run = verify_only(dir.path(), &url);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!((owner(dir.path()), owner(&mine)), before);
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn a_sanity_query_that_returns_anything_but_one_number_fails_with_valid_json() {
    let services = services();
    let url = seeded_database(&services, "drill_queries");
    let cases = [
        ("SELECT version FROM schema_migrations ORDER BY version", "not one number"),
        ("SELECT 'many'", "not one number"),
        ("SELECT NULL", "not one number"),
        // The server's message holds quotes and a backslash, which the JSON line must escape.
        (r#"SELECT "no\such" FROM schema_migrations"#, "failed"),
    ];
    for (sql, said) in cases {
        let dir = tempfile::tempdir().unwrap();
        let query = format!("  - name: odd\n    sql: {}\n    expect: \"> 0\"", serde_json::to_string(sql).unwrap());
        let spec = common::spec_with_queries(&dir, &query);
        let pvc = pvc_dir();
        let run = drill(&["--spec", &spec, "--database-url", &url, "--pvc-dir", pvc.path().to_str().unwrap()], None);
        assert_eq!(run.code, 1, "{sql}: {}", run.stdout);
        let verdict = run.verdict.unwrap_or_else(|| panic!("{sql}: the verify job printed no valid JSON line:\n{}", run.stdout));
        assert_eq!(verdict["ok"], false, "{sql}: {verdict}");
        let error = verdict["error"].as_str().unwrap();
        assert!(error.starts_with("sanity query odd") && error.contains(said), "{sql}: {error}");
    }
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn numbers_are_compared_as_numbers() {
    let services = services();
    let url = seeded_database(&services, "drill_numbers");
    let dir = tempfile::tempdir().unwrap();
    // As strings, "9" > "10" and "137" < "42"; as numbers neither holds.
    let spec = common::spec_with_queries(&dir, "  - name: ten\n    sql: SELECT 10\n    expect: \"> 9\"\n  - name: agents\n    sql: SELECT count(*) FROM agents\n    expect: \">= 42\"");
    let pvc = pvc_dir();
    let run = drill(&["--spec", &spec, "--database-url", &url, "--pvc-dir", pvc.path().to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let verdict = run.verdict.unwrap();
    assert_eq!(verdict["queries"][0]["ok"], true, "{verdict}");
    assert_eq!(verdict["queries"][1]["value"], "137", "{verdict}");
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn an_empty_s3_prefix_is_no_dump_yet_not_a_listing_failure() {
    let services = services();
    let url = seeded_database(&services, "drill_s3_empty");
    let bucket = "chartgen-drill-empty";
    let _ = Command::new("aws").args(["--endpoint-url", &services.s3, "s3", "mb", &format!("s3://{bucket}")]).output();
    let run = drill(
        &["--database-url", &url, "--set", &format!("backup.sink=s3,backup.s3.bucket={bucket},backup.s3.prefix=nothing-here/"), "--s3-endpoint", &services.s3, "--verify-only"],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains(&format!("no dump yet under s3://{bucket}/nothing-here/")), "{}", run.stdout);
    assert!(!run.stdout.contains("check the bucket"), "{}", run.stdout);
    assert!(run.verdict.unwrap()["error"].as_str().unwrap().starts_with("no dump yet"), "the verify job says so too");
}

/// Expands `$(NAME)` references to the variables defined before, as the kubelet does.
fn kubelet_expand(value: &str, defined: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("$(") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find(')') else { break };
        let name = &rest[start + 2..start + end];
        match defined.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(&rest[start..=start + end]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// A PostgreSQL server of the test's own that asks for passwords over TCP
/// (the shared one trusts everyone, so a wrong password would go unnoticed).
struct PasswordServer {
    dir: tempfile::TempDir,
    bin: std::path::PathBuf,
    port: u16,
}

impl PasswordServer {
    fn start() -> PasswordServer {
        let bin = std::fs::read_dir("/usr/lib/postgresql").unwrap().flatten().map(|e| e.path().join("bin")).max().expect("PostgreSQL's server programs");
        let dir = tempfile::tempdir().unwrap();
        let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
        if root {
            Command::new("chown").args(["postgres", dir.path().to_str().unwrap()]).status().unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let server = PasswordServer { dir, bin, port };
        server.run("initdb", &["--pgdata=data", "--username=postgres", "--auth-local=trust", "--auth-host=scram-sha-256"]);
        let options = format!("-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={}", server.dir.path().display());
        server.run("pg_ctl", &["--pgdata=data", "--log=server.log", "--wait", &format!("--options={options}"), "start"]);
        server
    }

    fn run(&self, program: &str, args: &[&str]) {
        let root = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
        let program = self.bin.join(program);
        let mut command = if root { Command::new("runuser") } else { Command::new(&program) };
        if root {
            command.args(["-u", "postgres", "--"]).arg(&program);
        }
        let output = command.args(args).current_dir(self.dir.path()).output().unwrap();
        assert!(output.status.success(), "{program:?}: {}", String::from_utf8_lossy(&output.stderr));
    }

    /// Runs SQL as the superuser over the Unix socket.
    fn admin(&self, sql: &str) {
        let url = format!("postgresql:///postgres?host={}&port={}&user=postgres", self.dir.path().display(), self.port);
        psql(&url, sql);
    }
}

impl Drop for PasswordServer {
    fn drop(&mut self) {
        self.run("pg_ctl", &["--pgdata=data", "--mode=immediate", "stop"]);
    }
}

#[test]
#[ignore = "needs PostgreSQL and moto: CHARTGEN_DATABASE_URL and CHARTGEN_S3_ENDPOINT (bash .ci/run starts them)"]
fn the_migration_database_url_connects_whatever_the_password_holds() {
    let password = "p@ss/w:rd#?%&=+ x";
    let server = PasswordServer::start();
    server.admin(&format!("CREATE ROLE url_user LOGIN PASSWORD '{password}'"));
    server.admin("CREATE DATABASE drill_url OWNER url_user");
    let port = server.port.to_string();
    let run = common::chartgen(&[
        "render",
        "--set",
        &format!("postgresql.enabled=false,migrations.viaHook=true,externalDatabase.host=127.0.0.1,externalDatabase.port={port},externalDatabase.database=drill_url,externalDatabase.sslMode=disable"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let job = run.stdout.split("\n---\n").find(|d| d.contains("kind: Job")).unwrap();
    let job: Value = chartgen::source::load_str(&chartgen::diagnostic::Source::new("job", job)).unwrap().to_json();
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    // The Secret's keys hold the role's name and password, as in a cluster.
    let mut defined: Vec<(String, String)> = Vec::new();
    for env in container["env"].as_array().unwrap() {
        let name = env["name"].as_str().unwrap().to_string();
        let value = match env["valueFrom"]["secretKeyRef"]["key"].as_str() {
            Some("username") => "url_user".to_string(),
            Some("password") => password.to_string(),
            _ => kubelet_expand(env["value"].as_str().unwrap(), &defined),
        };
        defined.push((name, value));
    }
    let url = defined.iter().find(|(n, _)| n == "CERTCTL_DATABASE_URL").unwrap().1.clone();
    let connect = |url: &str, password: &str| {
        Command::new("psql")
            .args([url, "--no-psqlrc", "--tuples-only", "--no-align", "--command", "SELECT current_user"])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .envs(defined.iter().filter(|(n, _)| n.starts_with("PG")).map(|(n, v)| (n.as_str(), v.as_str())))
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
    };
    let output = connect(&url, password);
    assert!(output.status.success(), "{url}: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "url_user");
    // The server really checks the password: a wrong one is refused.
    assert!(!connect(&url, "wrong").status.success(), "the server must ask for the password");
    // The URL the chart wrote before, with the password inside it, breaks.
    let inline = format!("postgres://url_user:{password}@127.0.0.1:{port}/drill_url?sslmode=disable");
    assert!(!connect(&inline, "").status.success(), "a raw password in a URL breaks it");
}
