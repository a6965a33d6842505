//! Reading an email channel's IMAP mailbox (B5): new messages by UID, fetched with
//! `BODY.PEEK[]` so they stay unread for anyone else reading the mailbox. The polling, the
//! sync state and storing are in `workers::mail`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use app::store::inbound::ChannelRecord;
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::{credential, setting};

/// How long connecting, logging in and each command may take.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Why a mailbox could not be read: shown to administrators as it is.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0}")]
    Settings(String),
    #[error("cannot reach {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error("the mail server refused the login: {0}")]
    Login(String),
    #[error("the mail server has no folder {folder:?}: {reason}")]
    Folder { folder: String, reason: String },
    #[error("the mail server failed: {0}")]
    Protocol(String),
    #[error("the mail server did not answer within {} s", TIMEOUT.as_secs())]
    Timeout,
}

/// Where and how to log in, from the channel's settings and credentials.
#[derive(Clone)]
pub struct Mailbox {
    pub host: String,
    pub port: u16,
    /// `tls` (993), `starttls` or `none`.
    pub tls: String,
    pub username: String,
    pub password: String,
    pub folder: String,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// The channel's mailbox, or None when it has no `imap_host` (webhook only).
    pub fn of(channel: &ChannelRecord) -> Option<Result<Mailbox, MailError>> {
        let host = setting(channel, "imap_host")?.trim().to_owned();
        if host.is_empty() {
            return None;
        }
        let tls = setting(channel, "imap_tls").unwrap_or("tls").to_owned();
        let default_port = if tls == "tls" { 993 } else { 143 };
        let port = channel
            .settings
            .0
            .get("imap_port")
            .and_then(|p| {
                p.as_u64()
                    .or_else(|| p.as_str().and_then(|s| s.parse().ok()))
            })
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(default_port);
        let Some(username) = setting(channel, "imap_username").map(str::to_owned) else {
            return Some(Err(MailError::Settings(
                "The channel has no imap_username".into(),
            )));
        };
        let password = credential(channel, "imap_password")
            .unwrap_or("")
            .to_owned();
        let folder = setting(channel, "imap_folder")
            .filter(|f| !f.trim().is_empty())
            .unwrap_or("INBOX")
            .to_owned();
        Some(Ok(Mailbox {
            host,
            port,
            tls,
            username,
            password,
            folder,
        }))
    }
}

/// One email found in the mailbox.
#[derive(Debug)]
pub enum Found {
    /// The raw RFC 5322 message.
    Mail { uid: u32, raw: Vec<u8> },
    /// Larger than we take; skipped so it cannot block the mail after it.
    TooLarge { uid: u32, size: u64 },
}

/// What one poll read.
#[derive(Debug)]
pub struct Polled {
    pub uid_validity: u32,
    /// New mail, oldest first.
    pub found: Vec<Found>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Io for T {}

type Session = async_imap::Session<Box<dyn Io>>;

async fn timed<T>(
    future: impl std::future::Future<Output = Result<T, MailError>>,
) -> Result<T, MailError> {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .map_err(|_| MailError::Timeout)?
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    match config {
        Ok(config) => tokio_rustls::TlsConnector::from(Arc::new(config)),
        // The ring provider always supports the default versions.
        Err(_) => tokio_rustls::TlsConnector::from(Arc::new(
            tokio_rustls::rustls::ClientConfig::builder()
                .with_root_certificates(tokio_rustls::rustls::RootCertStore::empty())
                .with_no_client_auth(),
        )),
    }
}

async fn tls_wrap(
    mailbox: &Mailbox,
    stream: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailError> {
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(mailbox.host.clone())
        .map_err(|e| MailError::Settings(format!("{:?} is not a host name: {e}", mailbox.host)))?;
    tls_connector()
        .connect(name, stream)
        .await
        .map_err(|e| MailError::Connect {
            host: mailbox.host.clone(),
            reason: format!("TLS: {e}"),
        })
}

async fn open(mailbox: &Mailbox) -> Result<Session, MailError> {
    let unreachable = |e: std::io::Error| MailError::Connect {
        host: format!("{}:{}", mailbox.host, mailbox.port),
        reason: e.to_string(),
    };
    let tcp = TcpStream::connect((mailbox.host.as_str(), mailbox.port))
        .await
        .map_err(unreachable)?;
    let stream: Box<dyn Io> = match mailbox.tls.as_str() {
        "tls" => Box::new(tls_wrap(mailbox, tcp).await?),
        "starttls" => {
            let mut client = async_imap::Client::new(tcp);
            client
                .read_response()
                .await
                .map_err(unreachable)?
                .ok_or_else(|| MailError::Protocol("no greeting".into()))?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| MailError::Protocol(format!("STARTTLS: {e}")))?;
            Box::new(tls_wrap(mailbox, client.into_inner()).await?)
        }
        _ => Box::new(tcp),
    };
    let mut client = async_imap::Client::new(stream);
    if mailbox.tls != "starttls" {
        client
            .read_response()
            .await
            .map_err(unreachable)?
            .ok_or_else(|| MailError::Protocol("no greeting".into()))?;
    }
    client
        .login(&mailbox.username, &mailbox.password)
        .await
        .map_err(|(e, _)| MailError::Login(e.to_string()))
}

/// Reads the mail after `last_uid` (all of it when the folder's UIDVALIDITY is not
/// `uid_validity`: the server renumbered it, and storing is idempotent on Message-ID).
/// Messages over `max_bytes` are reported, not fetched.
pub async fn poll(
    mailbox: &Mailbox,
    uid_validity: Option<u32>,
    last_uid: u32,
    max_bytes: u64,
) -> Result<Polled, MailError> {
    let mut session = timed(open(mailbox)).await?;
    let outcome = timed(read_new(
        &mut session,
        mailbox,
        uid_validity,
        last_uid,
        max_bytes,
    ))
    .await;
    // A polite goodbye; the mail is read whatever the server says to it.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
    outcome
}

async fn read_new(
    session: &mut Session,
    mailbox: &Mailbox,
    known_validity: Option<u32>,
    last_uid: u32,
    max_bytes: u64,
) -> Result<Polled, MailError> {
    let selected = session
        .select(&mailbox.folder)
        .await
        .map_err(|e| MailError::Folder {
            folder: mailbox.folder.clone(),
            reason: e.to_string(),
        })?;
    let uid_validity = selected.uid_validity.unwrap_or(0);
    let after = if known_validity == Some(uid_validity) {
        last_uid
    } else {
        0
    };
    if selected.exists == 0 {
        return Ok(Polled {
            uid_validity,
            found: Vec::new(),
        });
    }
    // Sizes first, so one huge email is skipped instead of read.
    let mut sizes: Vec<(u32, u64)> = session
        .uid_fetch(format!("{}:*", after + 1), "(UID RFC822.SIZE)")
        .await
        .map_err(|e| MailError::Protocol(format!("UID FETCH: {e}")))?
        .map_ok(|f| (f.uid.unwrap_or(0), u64::from(f.size.unwrap_or(0))))
        .try_collect()
        .await
        .map_err(|e| MailError::Protocol(format!("UID FETCH: {e}")))?;
    // "n:*" always names the newest message, even one we already have.
    sizes.retain(|(uid, _)| *uid > after);
    sizes.sort_unstable();
    let mut found = Vec::with_capacity(sizes.len());
    for (uid, size) in sizes {
        if size > max_bytes {
            found.push(Found::TooLarge { uid, size });
            continue;
        }
        let fetched: Vec<Vec<u8>> = session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await
            .map_err(|e| MailError::Protocol(format!("UID FETCH {uid}: {e}")))?
            .try_filter_map(|f| async move {
                Ok((f.uid == Some(uid))
                    .then(|| f.body().map(<[u8]>::to_vec))
                    .flatten())
            })
            .try_collect()
            .await
            .map_err(|e| MailError::Protocol(format!("UID FETCH {uid}: {e}")))?;
        if let Some(raw) = fetched.into_iter().next() {
            found.push(Found::Mail { uid, raw });
        }
    }
    Ok(Polled {
        uid_validity,
        found,
    })
}
