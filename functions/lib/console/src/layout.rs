//! What every page shares: the document around a page's content, the
//! navigation (the admin's pages for admins), and how times read.

use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

/// A page of the console: `title`, the signed-in user's name (none on a
/// page the server renders before knowing who asks), whether they are an
/// admin (the configuration pages in the navigation), its content.
pub fn page(title: &str, user: Option<&str>, admin: bool, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Lifeline" }
                style { (maud::PreEscaped(STYLE)) }
                script src="/console/app.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to the content" }
                header {
                    nav aria-label="Console" {
                        ul {
                            li { a href="/console/" { "Incidents" } }
                            @if admin {
                                li { a href="/console/pools" { "Pools" } }
                                li { a href="/console/agents" { "Agents" } }
                                li { a href="/console/template" { "Template" } }
                                li { a href="/console/escalation" { "Escalation" } }
                                li { a href="/console/readiness" { "Readiness" } }
                                li { a href="/console/dead-letters" { "Dead letters" } }
                            }
                        }
                    }
                    @if let Some(user) = user.filter(|u| !u.is_empty()) {
                        p.user { "Signed in as " (user) }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// `05:00:00 UTC`.
pub fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S UTC").to_string()
}

/// How long from `from` to `to`, as a person says it: `45 s`, `12 min`,
/// `2 h 5 min`.
pub fn ago(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let s = (to - from).num_seconds().max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// `s` as one URL path segment: unreserved characters as they are, every
/// other byte percent-encoded.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Plain, high-contrast, one column on a phone.
const STYLE: &str = "\
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#111;background:#fff}\
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#ff0;padding:4px}\
header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;padding:8px 16px;background:#0b3d91;color:#fff}\
header a{color:#fff}nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:12px;margin:0;padding:0}\
main{padding:16px;max-width:60rem}\
.incident{border:2px solid #555;border-radius:6px;padding:8px 16px;margin:12px 0}\
.incident.open{border-color:#b00020}.incident.drill{border-style:dashed}\
.badge{background:#111;color:#fff;padding:0 6px;border-radius:3px}\
dt{font-weight:700}dd{margin:0 0 8px 0}.alerts{margin:0;padding-left:20px}\
.failed{color:#b00020}.quiet{color:#333}\
button{font:inherit;padding:8px 16px;background:#b00020;color:#fff;border:0;border-radius:4px}\
button:focus,a:focus{outline:3px solid #ff0;outline-offset:2px}\
@media (max-width:600px){header{display:block}main{padding:8px}}";
