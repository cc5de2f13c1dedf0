//! A chromedriver per test and a Chromium session per visitor (own profile, own cookies), with
//! small steps that wait by polling and a screenshot per page visited.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::testing::{EVENTUALLY, eventually, free_port};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::stack::{Stack, World};

/// The whole system, as `cargo run` serves it, on a free port.
pub async fn launch(extra: &[(&str, &str)]) -> Stack {
    let world = World::new(common::testing::nats_url());
    Stack::start(&world, &ticketing::services::names(), extra).await
}

/// A running chromedriver, stopped on drop.
pub struct Driver {
    child: Child,
    url: String,
    test: &'static str,
}

impl Driver {
    pub fn start(test: &'static str) -> Self {
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let port = free_port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting {binary} (apt-get install chromium chromium-driver): {e}")
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let dir = screenshot_dir(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            test,
        }
    }

    /// A new browser window with its own profile: a visitor of `base`.
    pub async fn visitor(&self, base: &str, who: &'static str) -> Browser {
        let profile = std::env::temp_dir().join(format!("chromium-{}", uuid::Uuid::new_v4()));
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session");
        client
            .set_window_size(1280, 800)
            .await
            .expect("window size");
        Browser {
            client,
            base: base.to_owned(),
            who,
            shots: screenshot_dir(self.test),
            profile,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_owned()
}

fn screenshot_dir(test: &str) -> PathBuf {
    target_dir().join("browser-screenshots").join(test)
}

pub struct Browser {
    pub client: Client,
    base: String,
    who: &'static str,
    shots: PathBuf,
    profile: PathBuf,
}

impl Browser {
    /// Opens `path` and saves a screenshot named `name`.
    pub async fn visit(&self, path: &str, name: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("opening {path}: {e}"));
        self.shot(name).await;
    }

    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let count = std::fs::read_dir(&self.shots)
            .map(|d| d.count())
            .unwrap_or(0);
        let file = self
            .shots
            .join(format!("{count:02}-{}-{name}.png", self.who));
        std::fs::write(&file, png).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }

    /// A screenshot at a phone's width (390x844), then back to the desktop size.
    pub async fn phone_shot(&self, name: &str) {
        self.client
            .set_window_size(390, 844)
            .await
            .expect("phone size");
        self.shot(name).await;
        self.client
            .set_window_size(1280, 800)
            .await
            .expect("desktop size");
    }

    /// Saves the current page as a committed README screenshot when `UPDATE_SCREENSHOTS=1`.
    pub async fn readme_shot(&self, name: &str) {
        if std::env::var("UPDATE_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).expect("docs/screenshots");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("writing a README screenshot");
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clearing a field");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Clicks the (first) link whose text contains `text`.
    pub async fn click_link(&self, text: &str) {
        assert!(!text.contains('"'), "no double quote in link texts");
        let xpath = format!("//a[contains(normalize-space(.), \"{text}\")]");
        let link = eventually(&format!("a link {text:?}"), EVENTUALLY, || async {
            self.client.find(Locator::XPath(&xpath)).await.ok()
        })
        .await;
        link.click()
            .await
            .unwrap_or_else(|e| panic!("clicking {text:?}: {e}"));
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        eventually(&format!("{css} on {}", self.who), EVENTUALLY, || async {
            self.client.find(Locator::Css(css)).await.ok()
        })
        .await
    }

    /// How many elements match `css` on the page as it is.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|found| found.len())
            .unwrap_or_default()
    }

    /// The visible text of the page's `<main>`.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.path().to_owned())
            .unwrap_or_default()
    }

    /// Waits until the page's text contains `needle` (re-reading the page, never sleeping blind).
    pub async fn wait_for_text(&self, needle: &str) {
        eventually(
            &format!("{needle:?} on {}'s page", self.who),
            EVENTUALLY,
            || async { self.text().await.contains(needle).then_some(()) },
        )
        .await
    }

    /// Reloads until the page's text contains `needle`.
    pub async fn reload_until(&self, needle: &str) {
        eventually(
            &format!("{needle:?} after reloading"),
            EVENTUALLY,
            || async {
                let _ = self.client.refresh().await;
                self.text().await.contains(needle).then_some(())
            },
        )
        .await
    }

    /// Reloads until the page's text no longer contains `needle`.
    pub async fn reload_until_gone(&self, needle: &str) {
        eventually(
            &format!("{needle:?} gone after reloading"),
            EVENTUALLY,
            || async {
                let _ = self.client.refresh().await;
                let text = self.text().await;
                (!text.is_empty() && !text.contains(needle)).then_some(())
            },
        )
        .await
    }

    /// Waits until the browser is on `path`.
    pub async fn wait_for_path(&self, path: &str) {
        eventually(
            &format!("{} to reach {path}", self.who),
            EVENTUALLY,
            || async { (self.path().await == path).then_some(()) },
        )
        .await
    }

    /// Signs up through the form (from wherever the browser is), with a fresh email.
    pub async fn sign_up(&self, email: &str) {
        self.visit("/auth/signup", "sign-up").await;
        self.fill("#email", email).await;
        self.fill("#password", "correct horse").await;
        self.click("form[action='/auth/signup'] button[type=submit]")
            .await;
        self.wait_for_text("Tickets on sale").await;
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A fresh email address.
pub fn email(who: &str) -> String {
    format!("{who}-{}@example.com", uuid::Uuid::new_v4().simple())
}
