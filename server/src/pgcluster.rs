//! A private PostgreSQL cluster for machines without `DATABASE_URL`: created with `initdb`
//! under the data directory on first use, started with `pg_ctl` on a free loopback port, and
//! stopped with the app. PostgreSQL refuses to run as root, so as root the cluster belongs
//! to the `postgres` system user.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sqlx::{Connection, PgConnection};

/// The role and database the app uses inside its private cluster.
const ROLE: &str = "dialogs";
const DATABASE: &str = "dialogs";

pub struct PrivateCluster {
    pgdata: PathBuf,
    bin: PathBuf,
    run_as: Option<String>,
    /// Whether this process started the server (and so stops it).
    started_here: bool,
    pub port: u16,
    /// Whether `initdb` ran now: a brand new cluster.
    pub created: bool,
}

impl PrivateCluster {
    pub fn url(&self) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/{DATABASE}", self.port)
    }

    /// Creates the cluster if needed and starts it (or joins one already running there).
    pub async fn start(data_dir: &Path) -> anyhow::Result<PrivateCluster> {
        let bin = find_bin_dir()?;
        let run_as = if is_root() {
            Some("postgres".to_owned())
        } else {
            None
        };
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let pgdata = match &run_as {
            Some(user) if !reachable_by(user, &data_dir) => {
                // A checkout under a private home (e.g. /root) cannot be entered by the
                // postgres user; keep the cluster in a place it can reach, one per data dir.
                let fallback = fallback_dir(&data_dir);
                tracing::warn!(
                    data_dir = %data_dir.display(),
                    cluster = %fallback.display(),
                    "the {user} user cannot reach the data directory; keeping the cluster elsewhere"
                );
                fallback
            }
            _ => data_dir.join("pg"),
        };
        let mut cluster = PrivateCluster {
            pgdata,
            bin,
            run_as,
            started_here: false,
            port: 0,
            created: false,
        };
        if !cluster.pgdata.join("PG_VERSION").exists() {
            cluster.init()?;
        }
        if let Some(port) = cluster.running_port() {
            tracing::info!(port, "joining the private PostgreSQL already running");
            cluster.port = port;
        } else {
            cluster.port = free_port()?;
            cluster
                .run_pg_ctl(&[
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    &cluster.pgdata.join("server.log").to_string_lossy(),
                    "-o",
                    &format!(
                        "-p {} -k {} -c listen_addresses=127.0.0.1",
                        cluster.port,
                        cluster.pgdata.display()
                    ),
                ])
                .context(
                    "starting the private PostgreSQL (see server.log in its data directory)",
                )?;
            cluster.started_here = true;
        }
        cluster.ensure_database().await?;
        Ok(cluster)
    }

    fn init(&mut self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.pgdata)
            .with_context(|| format!("creating {}", self.pgdata.display()))?;
        if let Some(user) = &self.run_as {
            let status = Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:"))
                .arg(&self.pgdata)
                .status()
                .context("running chown")?;
            if !status.success() {
                bail!(
                    "could not give {} to the {user} user",
                    self.pgdata.display()
                );
            }
            if !reachable_by(user, &self.pgdata) {
                bail!(
                    "the {user} user cannot write to {}; set DIALOGS_DATA_DIR to a directory it \
                     can reach (for example /var/lib/dialogs) or set DATABASE_URL",
                    self.pgdata.display()
                );
            }
        }
        tracing::info!(dir = %self.pgdata.display(), "creating a private PostgreSQL cluster");
        let output = self
            .command(&self.bin.join("initdb").to_string_lossy())
            .arg("-D")
            .arg(&self.pgdata)
            .args([
                "-U",
                ROLE,
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .output()
            .context("running initdb")?;
        if !output.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        self.created = true;
        Ok(())
    }

    /// The port of a server already running on this data directory.
    fn running_port(&self) -> Option<u16> {
        let running = self
            .command(&self.bin.join("pg_ctl").to_string_lossy())
            .arg("status")
            .arg("-D")
            .arg(&self.pgdata)
            .output()
            .ok()?
            .status
            .success();
        if !running {
            return None;
        }
        // postmaster.pid: line 4 is the port.
        let pid_file = std::fs::read_to_string(self.pgdata.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    async fn ensure_database(&self) -> anyhow::Result<()> {
        let admin = format!("postgres://{ROLE}@127.0.0.1:{}/postgres", self.port);
        let mut conn = PgConnection::connect(&admin)
            .await
            .context("connecting to the private PostgreSQL")?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(DATABASE)
                .fetch_one(&mut conn)
                .await
                .context("looking for the dialogs database")?;
        if !exists {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {DATABASE}")))
                .execute(&mut conn)
                .await
                .context("creating the dialogs database")?;
        }
        Ok(())
    }

    /// Stops the server if this process started it.
    /// Restarts the server on the same port as a crash would: in-flight transactions are
    /// rolled back, connections dropped. For fault tests.
    pub fn crash_restart(&self) -> anyhow::Result<()> {
        let log = self.pgdata.join("server.log");
        self.run_pg_ctl(&[
            "restart",
            "-m",
            "immediate",
            "-w",
            "-t",
            "60",
            "-l",
            &log.to_string_lossy(),
        ])
    }

    pub fn stop(&self) {
        if !self.started_here {
            return;
        }
        match self.run_pg_ctl(&["stop", "-m", "fast", "-w"]) {
            Ok(()) => tracing::info!("private PostgreSQL stopped"),
            Err(err) => tracing::error!(error = format!("{err:#}"), "stopping PostgreSQL"),
        }
    }

    fn run_pg_ctl(&self, args: &[&str]) -> anyhow::Result<()> {
        let output = self
            .command(&self.bin.join("pg_ctl").to_string_lossy())
            .arg("-D")
            .arg(&self.pgdata)
            .args(args)
            .output()
            .context("running pg_ctl")?;
        if !output.status.success() {
            bail!(
                "pg_ctl {} failed: {}",
                args.first().copied().unwrap_or_default(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--", program]);
                c
            }
            None => Command::new(program),
        }
    }
}

/// Whether `user` can enter `dir` (every parent must let it through).
fn reachable_by(user: &str, dir: &Path) -> bool {
    Command::new("runuser")
        .args(["-u", user, "--", "test", "-x"])
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Where the cluster of `data_dir` lives when the postgres user cannot reach `data_dir`.
fn fallback_dir(data_dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(data_dir.as_os_str().as_encoded_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    PathBuf::from("/var/lib/dialogs").join(format!("pg-{short}"))
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The newest installed PostgreSQL's binaries: `DIALOGS_PG_BIN`, then
/// /usr/lib/postgresql/<version>/bin, then the PATH.
fn find_bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("DIALOGS_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
        .context(
            "no PostgreSQL server binaries (initdb, pg_ctl) found: install PostgreSQL, \
             set DIALOGS_PG_BIN, or set DATABASE_URL",
        )
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
