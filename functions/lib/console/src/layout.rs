//! What every page shares: the document around a page's content, the
//! navigation (the admin's pages for admins), and how times read.

use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

use crate::pages::{Needs, Page};

/// A page of the console: `title` and its content. The navigation lists
/// every page; the configuration pages show for admins only (the script
/// reads the tab's token; the API refuses them to anyone else anyway).
pub fn page(title: &str, content: Markup) -> Markup {
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
                            @for p in Page::ALL {
                                @if p.needs() == Needs::Admin {
                                    li data-needs="admin" hidden { a href=(p.href()) { (p.title()) } }
                                } @else {
                                    li { a href=(p.href()) { (p.title()) } }
                                }
                            }
                        }
                    }
                    p.user #user hidden {
                        "Signed in as " span #signed-in-as {} " "
                        button.link #sign-out type="button" { "Sign out" }
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
button.link{background:none;color:inherit;text-decoration:underline;padding:0}\
button:focus,a:focus,textarea:focus,input:focus,select:focus{outline:3px solid #ff0;outline-offset:2px}\
label{font-weight:700}textarea{width:100%;font:14px/1.4 ui-monospace,monospace}\
input,select,textarea{font:inherit;padding:4px;border:1px solid #555;border-radius:3px}\
fieldset{border:1px solid #555;margin:12px 0}table{border-collapse:collapse}\
th,td{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}\
.ok{color:#0a5c0a}.warning{color:#7a4a00}.error{color:#b00020}\
#outcome:not(:empty){padding:8px;border-left:6px solid #0b3d91;background:#eef}\
#outcome[data-outcome=refused]{border-color:#b00020;background:#fee}\
.bar{display:flex;height:24px;max-width:30rem}.bar span{display:block}\
.swatch{display:inline-block;width:12px;height:12px;margin:0 4px;vertical-align:middle}\
.free{background:#0a7d0a}.leased{background:#b00020}.quarantined{background:#7a4a00}\
iframe{width:100%;height:24rem;border:1px solid #555}pre{white-space:pre-wrap}\
@media (max-width:600px){header{display:block}main{padding:8px}}";
