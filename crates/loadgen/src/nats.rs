//! Private `nats-server -js` processes on free loopback ports with temporary stores: one for the
//! NATS fault, or three with routes between them (a JetStream cluster) for the cluster fault.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

pub struct PrivateNats {
    pub port: u16,
    /// The server's name in a cluster (`-n`), empty alone.
    pub name: String,
    store: PathBuf,
    /// Cluster arguments: its route port and its peers' routes.
    cluster: Vec<String>,
    child: Option<Child>,
}

impl PrivateNats {
    pub async fn start() -> anyhow::Result<Self> {
        let mut nats = Self::new(String::new(), Vec::new())?;
        nats.resume().await?;
        Ok(nats)
    }

    fn new(name: String, cluster: Vec<String>) -> anyhow::Result<Self> {
        Ok(Self {
            port: crate::system::free_port()?,
            name,
            store: std::env::temp_dir().join(format!("loadgen-nats-{}", uuid::Uuid::new_v4())),
            cluster,
            child: None,
        })
    }

    /// `size` servers forming one JetStream cluster (`cluster_name` loadgen), each routed to the
    /// others; returns once every one accepts clients.
    pub async fn cluster(size: usize) -> anyhow::Result<Vec<Self>> {
        let routes: Vec<u16> = (0..size)
            .map(|_| crate::system::free_port())
            .collect::<anyhow::Result<_>>()?;
        let mut nodes = Vec::with_capacity(size);
        for (i, route) in routes.iter().enumerate() {
            let peers: Vec<String> = routes
                .iter()
                .filter(|r| *r != route)
                .map(|r| format!("nats://127.0.0.1:{r}"))
                .collect();
            let args = vec![
                "--cluster_name".to_owned(),
                "loadgen".to_owned(),
                "--cluster".to_owned(),
                format!("nats://127.0.0.1:{route}"),
                "--routes".to_owned(),
                peers.join(","),
            ];
            nodes.push(Self::new(format!("node{}", i + 1), args)?);
        }
        for node in &mut nodes {
            node.resume().await?;
        }
        Ok(nodes)
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// `kill -9`: the stream's file store survives for `resume`.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Starts it on the same port and store; returns once it accepts connections.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        let binary = std::env::var("NATS_SERVER_BIN").unwrap_or_else(|_| "nats-server".to_owned());
        let mut command = Command::new(&binary);
        command
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .args(&self.cluster);
        if !self.name.is_empty() {
            command.args(["-n", &self.name]);
        }
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {binary} (is nats-server installed?)"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            if Instant::now() > deadline {
                bail!("nats-server did not start on port {}", self.port);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
