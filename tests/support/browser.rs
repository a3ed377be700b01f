//! A real browser for the console's tests: Debian's chromium, headless,
//! driven through WebDriver by chromedriver on a free port of 127.0.0.1
//! (stopped when the [`Browser`] is dropped). `infra/test.sh` installs both
//! (`apt-get install chromium chromium-driver`).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

/// Where Debian puts them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Browser {
    /// A fresh browser session (1280×800, no sandbox: tests run as root).
    pub async fn start() -> Browser {
        let port = free_port();
        // A process group of its own: the browser it starts is in it too,
        // and goes with it whatever becomes of the test.
        let driver = Command::new(CHROMEDRIVER)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .process_group(0)
            // Never the terminal: a background group that reads it stops.
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{CHROMEDRIVER} does not start ({e}): apt-get install chromium chromium-driver"
                )
            });
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while reqwest::get(format!("{url}/status")).await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "chromedriver never answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let caps: serde_json::Map<String, serde_json::Value> =
            serde_json::from_value(serde_json::json!({
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                        "--disable-gpu", "--window-size=1280,800"]
                }
            }))
            .expect("capabilities");
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await
            .expect("a WebDriver session");
        Browser { client, driver }
    }

    /// Ends the session (the browser exits), then the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // The rest goes with the process group (Drop).
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The driver's whole process group: the driver and every browser
        // process it started, also when the test panicked before `close`.
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.driver.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
