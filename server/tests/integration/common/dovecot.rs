//! A real Dovecot IMAP server on loopback, started by a test with its own configuration in
//! a temporary directory (plain IMAP, a passwd-file with one mailbox) and stopped when
//! dropped. Dovecot comes from Debian's `dovecot-imapd` (installed by `.ci/setup`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Dovecot {
    pub port: u16,
    pub user: String,
    pub password: String,
    dir: PathBuf,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Dovecot {
    pub async fn start(user: &str, password: &str) -> Dovecot {
        let binary = ["/usr/sbin/dovecot", "/usr/bin/dovecot"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect(
                "Dovecot is not installed: run `bash .ci/setup` (apt-get install dovecot-imapd)",
            );
        let dir = std::env::temp_dir().join(format!("dialogs-dovecot-{}", fastrand::u64(..)));
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dovecot dirs");
        }
        // Mail is kept as the unprivileged "nobody"; the home root must be theirs to write.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("home"), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        std::fs::write(dir.join("passwd"), format!("{user}:{{PLAIN}}{password}\n"))
            .expect("passwd");
        let port = free_port();
        let d = dir.display();
        let config = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
             log_path = {d}/log\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             mail_location = maildir:{d}/home/%u/Maildir\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={d}/home/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), config).expect("config");
        let child = Command::new(binary)
            .args(["-F", "-c"])
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting dovecot");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Dovecot {
            port,
            user: user.to_owned(),
            password: password.to_owned(),
            dir,
            child,
        }
    }

    /// Delivers an email into the mailbox's INBOX over IMAP APPEND.
    pub async fn deliver(&self, raw: &[u8]) {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connecting to dovecot");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.expect("greeting");
        let mut session = client
            .login(&self.user, &self.password)
            .await
            .map_err(|(e, _)| e)
            .expect("login");
        session
            .append("INBOX", None, None, raw)
            .await
            .expect("APPEND");
        let _ = session.logout().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        // TERM lets the master stop its login and mail processes with it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
