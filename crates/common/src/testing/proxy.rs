//! A TCP proxy in front of the test Postgres that can cut the database off, as an outage would:
//! every open connection is dropped and new ones are refused (and counted) until it is restored.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct OutageProxy {
    address: SocketAddr,
    cut: Arc<AtomicBool>,
    /// Bumped at every cut: tunnels of an older epoch close.
    epoch: watch::Sender<u64>,
    refused: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl OutageProxy {
    /// Proxies a free loopback port to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("binding the proxy: {e}"));
        let address = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("proxy address: {e}"));
        let cut = Arc::new(AtomicBool::new(false));
        let refused = Arc::new(AtomicUsize::new(0));
        let (epoch, _) = watch::channel(0u64);
        let accept = {
            let (cut, refused, epoch) = (cut.clone(), refused.clone(), epoch.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    if cut.load(Ordering::SeqCst) {
                        refused.fetch_add(1, Ordering::SeqCst);
                        drop(client);
                        continue;
                    }
                    let mut closed = epoch.subscribe();
                    tokio::spawn(async move {
                        let Ok(mut server) = TcpStream::connect(target).await else {
                            return;
                        };
                        let mut client = client;
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                            _ = closed.changed() => {}
                        }
                    });
                }
            })
        };
        Self {
            address,
            cut,
            epoch,
            refused,
            accept,
        }
    }

    /// In front of the tests' Postgres server (`DATABASE_URL`, else the local default).
    pub async fn for_test_server() -> Self {
        let server = super::database_server_url();
        let rest = server.split_once("://").map_or(server.as_str(), |(_, r)| r);
        let host_port = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
        let host_port = host_port
            .split(['/', '?'])
            .next()
            .unwrap_or("127.0.0.1:5432");
        let host_port = if host_port.contains(':') {
            host_port.to_owned()
        } else {
            format!("{host_port}:5432")
        };
        let target = tokio::net::lookup_host(&host_port)
            .await
            .ok()
            .and_then(|mut addresses| addresses.next())
            .unwrap_or_else(|| panic!("cannot resolve the test Postgres at {host_port}"));
        Self::start(target).await
    }

    /// A database URL naming `database` through the proxy (the test server's user).
    pub fn database_url(&self, database: &str) -> String {
        let direct = super::database_url(database);
        let (scheme, rest) = direct.split_once("://").unwrap_or(("postgres", &direct));
        let (credentials, after) = rest.split_once('@').map_or(("", rest), |(c, a)| (c, a));
        let path = after.split_once('/').map_or("", |(_, p)| p);
        let at = if credentials.is_empty() { "" } else { "@" };
        format!("{scheme}://{credentials}{at}{}/{path}", self.address)
    }

    /// The database goes away: open connections drop, new ones are refused.
    pub fn cut(&self) {
        self.refused.store(0, Ordering::SeqCst);
        self.cut.store(true, Ordering::SeqCst);
        self.epoch.send_modify(|e| *e += 1);
    }

    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }

    /// Connections refused since the last cut: how hard the service knocked.
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

impl Drop for OutageProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
