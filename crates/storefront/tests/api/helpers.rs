//! Spawns the real storefront. Its API is a closed port: these tests cover what the storefront
//! answers by itself (assets, 404, refusals, an unreachable API); the browser tests in
//! `crates/ticketing/tests/browser` cover it against the real services.

use std::collections::HashMap;
use std::net::TcpListener;

use common::server::Running;

pub struct App {
    pub url: String,
    pub http: reqwest::Client,
    _running: Running,
}

impl App {
    pub async fn spawn() -> Self {
        let closed = common::testing::free_port();
        let env: HashMap<String, String> = [(
            "API_BASE_URL".to_owned(),
            format!("http://127.0.0.1:{closed}"),
        )]
        .into();
        let settings = storefront::Settings::from_source(&env).expect("settings");
        let part = storefront::build(settings).await.expect("building web");
        let running = common::server::start(
            TcpListener::bind("127.0.0.1:0").expect("port"),
            common::testing::loopback(),
            vec![part],
            common::server::ServerOptions::workers(1),
        )
        .expect("starting");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            url: running.url(),
            http,
            _running: running,
        }
    }

    /// The host:port the server sees in `Host`.
    pub fn host(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET")
    }

    /// A form post with the given `Origin`/`Referer` headers.
    pub async fn post_form(
        &self,
        path: &str,
        origin: Option<&str>,
        referer: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.url)).form(form);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(referer) = referer {
            request = request.header("Referer", referer);
        }
        request.send().await.expect("POST")
    }
}
