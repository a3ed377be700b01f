//! Readiness: `lifeline doctor`'s checks, each with its verdict and its
//! fix. The checks themselves are the readiness crate's; the console asks
//! for them over this port (the `console` function runs them on the same
//! AWS adapters as the CLI) and shows them.

use http::Response;
use maud::{html, Markup};

use crate::answer::{fragment, refused};
use crate::app::ConsoleApp;
use crate::ports::{Check, Verdict};

impl ConsoleApp {
    pub(crate) async fn readiness_view(&self) -> Response<String> {
        let now = self.clock.now();
        match self.ports.readiness.checks(now).await {
            Ok(checks) => fragment(render(&checks, now)),
            Err(e) => {
                tracing::error!(error = %e, "console: readiness lookups failed");
                refused(
                    503,
                    "unavailable",
                    "Unavailable",
                    format!("the checks could not run: {e}"),
                )
            }
        }
    }
}

fn render(checks: &[Check], now: chrono::DateTime<chrono::Utc>) -> Markup {
    let worst = checks
        .iter()
        .map(|c| c.verdict)
        .max()
        .unwrap_or(Verdict::Ok);
    let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
    html! {
        p.(class(worst)) role="status" {
            strong { (match worst {
                Verdict::Ok => "Ready: every check passed.",
                Verdict::Warning => "Ready, with warnings.",
                Verdict::Error => "Not ready: fix the errors below before an agent needs to dial.",
            }) }
            " " (count(Verdict::Error)) " error(s), " (count(Verdict::Warning)) " warning(s), "
            (count(Verdict::Ok)) " passed; checked at " (crate::layout::clock(now)) "."
        }
        table {
            thead { tr { th scope="col" { "" } th scope="col" { "Scope" } th scope="col" { "Check" } th scope="col" { "Finding" } th scope="col" { "Fix" } } }
            tbody {
                @for c in checks {
                    tr.(class(c.verdict)) {
                        td { (mark(c.verdict)) }
                        td { (c.scope) } td { (c.check) } td { (c.detail) }
                        td { (c.fix.as_deref().unwrap_or("")) }
                    }
                }
            }
        }
    }
}

fn class(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "ok",
        Verdict::Warning => "warning",
        Verdict::Error => "error",
    }
}

/// A mark and a word, so colour is never the only signal.
fn mark(v: Verdict) -> &'static str {
    match v {
        Verdict::Ok => "✔ ok",
        Verdict::Warning => "⚠ warning",
        Verdict::Error => "✖ error",
    }
}
