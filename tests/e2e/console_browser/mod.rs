//! The console in a real browser (Debian's chromium through chromedriver),
//! served by the local runner as the `console` function serves it on AWS,
//! signing in against a user pool on moto's Cognito. Set
//! `LIFELINE_SCREENSHOTS=<dir>` to keep a screenshot of each page.

mod admin;
mod desk;
mod tokens;

use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use lifeline_e2e::{start_with, Browser, Local, LocalPool};

pub const DESK: (&str, &str) = ("desk", "Desk-pass-1!");
pub const ADMIN: (&str, &str) = ("admin", "Admin-pass-1!");

/// A runner serving the console of a new pool (a desk and an admin user),
/// and a browser.
pub struct ConsoleRig {
    pub l: Local,
    pub browser: Browser,
}

impl ConsoleRig {
    pub async fn start() -> ConsoleRig {
        let pool = LocalPool::create(&format!("console-{}", uuid::Uuid::new_v4().simple())).await;
        pool.add_user(DESK.0, DESK.1, &["security-desk"]).await;
        pool.add_user(ADMIN.0, ADMIN.1, &["admin"]).await;
        let l = start_with(
            2,
            &[
                ("LIFELINE_CONSOLE_ISSUER", &pool.issuer),
                ("LIFELINE_CONSOLE_CLIENT_ID", &pool.client_id),
                ("LIFELINE_CONSOLE_JWKS_URL", &pool.jwks_url),
            ],
        )
        .await;
        let browser = Browser::start().await;
        ConsoleRig { l, browser }
    }

    pub fn c(&self) -> &Client {
        &self.browser.client
    }

    pub async fn goto(&self, path: &str) {
        self.c()
            .goto(&format!("{}{path}", self.l.base))
            .await
            .expect("the page loads");
    }

    /// Waits (at most 10 s) until the element `css` says `text`; how long.
    pub async fn wait_for(&self, what: &str, css: &str, text: &str) -> Duration {
        let started = Instant::now();
        loop {
            if let Ok(el) = self.c().find(Locator::Css(css)).await {
                if el.text().await.unwrap_or_default().contains(text) {
                    return started.elapsed();
                }
            }
            if started.elapsed() > Duration::from_secs(10) {
                let url = self
                    .c()
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let page = self.c().source().await.unwrap_or_default();
                panic!("never: {what}; at {url}:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.c().find(Locator::Css(css)).await.expect(css);
        // Emptied by script (WebDriver's clear refuses a required field).
        let arg = serde_json::to_value(&field).expect("an element");
        self.c()
            .execute("arguments[0].value = '';", vec![arg])
            .await
            .expect("emptied");
        if let Err(e) = field.send_keys(text).await {
            let page = self.c().source().await.unwrap_or_default();
            panic!("typing into {css}: {e}\n{page}");
        }
    }

    pub async fn click(&self, css: &str) {
        self.c()
            .find(Locator::Css(css))
            .await
            .expect(css)
            .click()
            .await
            .expect("clicked");
    }

    /// Signs in through the form; back on the board.
    pub async fn sign_in(&self, (user, password): (&str, &str)) {
        self.goto("/console/sign-in").await;
        self.type_into("#username", user).await;
        self.type_into("#password", password).await;
        self.click("form button").await;
        self.wait_for("the board", "#view", "Open emergency calls")
            .await;
    }

    /// Keeps a screenshot of the page as `name` with LIFELINE_SCREENSHOTS.
    pub async fn shot(&self, name: &str) {
        let Ok(dir) = std::env::var("LIFELINE_SCREENSHOTS") else {
            return;
        };
        let png = self.c().screenshot().await.expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"));
        std::fs::create_dir_all(&dir).expect("the screenshots' folder");
        std::fs::write(format!("{dir}/{name}"), png).expect("written");
    }

    /// What the page's own `fetch` gets for `POST path` with `body` (the
    /// tab's token): the status.
    pub async fn post_from_the_page(&self, path: &str, body: &str) -> u16 {
        let v = self
            .c()
            .execute_async(
                "const [path, body, done] = arguments;
                 fetch(path, {method: 'POST', body,
                   headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('lifeline-console-token'),
                             'Content-Type': 'application/x-www-form-urlencoded'}})
                   .then(r => done(r.status), () => done(0));",
                vec![path.into(), body.into()],
            )
            .await
            .expect("script");
        v.as_u64().expect("a status") as u16
    }

    pub async fn close(self) {
        self.browser.close().await;
    }
}
