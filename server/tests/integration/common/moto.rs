//! A local S3-compatible server (moto's server mode, from PyPI; installed by `.ci/setup`),
//! started by a test on a free port with one empty bucket, and stopped when dropped.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Moto {
    pub endpoint: String,
    pub bucket: String,
    child: Child,
}

impl Moto {
    pub async fn start(bucket: &str) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto: run `bash .ci/setup` (pip install 'moto[server]')");
        let endpoint = format!("http://127.0.0.1:{port}");
        let moto = Moto {
            endpoint,
            bucket: bucket.to_owned(),
            child,
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            let made = client
                .put(format!("{}/{bucket}", moto.endpoint))
                .send()
                .await;
            if made.is_ok_and(|r| r.status().is_success()) {
                return moto;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto did not start on port {port}");
    }

    /// The settings pointing the app at this bucket (moto takes any credentials).
    pub fn config(&self) -> server::config::S3Config {
        server::config::S3Config {
            bucket: self.bucket.clone(),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some("test-key".into()),
            secret_access_key: Some("test-secret".into()),
        }
    }

    /// The keys in the bucket, read over S3's own list call.
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .await
            .expect("listing the bucket")
            .text()
            .await
            .expect("listing text");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|part| part.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }

    /// One object's bytes, read from the bucket over S3 with the app's credentials (objects
    /// are private).
    pub async fn object(&self, key: &str) -> Vec<u8> {
        server::files::FileStore::s3(&self.config())
            .expect("a client of the bucket")
            .get(key)
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:#}"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
