//! Dead letters: what failed in the asynchronous side effects, listed,
//! shown masked (no full number, address or e-mail address) and replayed
//! through the function it belongs to, once the admin confirms. The logic
//! is the dead-letter crate's, as `lifeline dlq` runs it; the console asks
//! over this port.

use http::Response;
use maud::{html, Markup};

use crate::answer::{bad_input, done, fragment, not_found, refused};
use crate::app::ConsoleApp;
use crate::form::Form;
use crate::ports::{DeadLetterError, LetterLine};

impl ConsoleApp {
    /// The list, or (`?id=`) one letter, masked.
    pub(crate) async fn dead_letters_view(&self, query: &Form) -> Response<String> {
        let port = &self.ports.dead_letters;
        match query.get("id") {
            "" => match port.list().await {
                Ok(letters) => fragment(render_list(&letters)),
                Err(e) => failed(&e),
            },
            id => match port.show(id).await {
                Ok(text) => fragment(render_one(id, &text)),
                Err(e) => failed(&e),
            },
        }
    }

    /// `POST /console/api/dead-letters/replay`: `id`, and `confirm=yes`
    /// (the page asks before it sends).
    pub(crate) async fn replay_dead_letter(
        &self,
        user: &lifeline_edge::console::ConsoleUser,
        form: &Form,
    ) -> Response<String> {
        let id = form.get("id");
        if id.is_empty() {
            return bad_input("id: which dead letter".into());
        }
        if form.get("confirm") != "yes" {
            return bad_input("confirm: a replay runs the function again; confirm it".into());
        }
        tracing::info!(by = %user.username, letter = %id, "console: dead letter replay");
        match self.ports.dead_letters.replay(id).await {
            Ok(line) => done(&line),
            Err(e) => failed(&e),
        }
    }
}

fn failed(e: &DeadLetterError) -> Response<String> {
    match e {
        DeadLetterError::NotFound(id) => not_found(&format!("dead letter `{id}`")),
        DeadLetterError::Refused(why) => refused(409, "not-replayed", "Not replayed", why.clone()),
        DeadLetterError::Unavailable(why) => {
            tracing::error!(error = %why, "console: dead letters unavailable");
            refused(
                503,
                "unavailable",
                "Unavailable",
                "the queues did not answer: try again".into(),
            )
        }
    }
}

fn render_list(letters: &[LetterLine]) -> Markup {
    html! {
        @if letters.is_empty() { p.ok { "No dead letter: every side effect went through." } }
        @else {
            p { (letters.len()) " dead letter(s). Numbers show their last 4 digits only." }
            table {
                thead { tr {
                    th scope="col" { "Id" } th scope="col" { "Where" } th scope="col" { "When" } th scope="col" { "Kind" }
                    th scope="col" { "Function" } th scope="col" { "Concerns" } th scope="col" { "Why" } th scope="col" { "" }
                } }
                tbody {
                    @for l in letters {
                        tr {
                            td { a href={ "/console/dead-letters?id=" (crate::layout::path_segment(&l.id)) } { (l.short_id) } }
                            td { (l.source) } td { (l.at) } td { (l.kind) } td { (l.target) }
                            td { (l.subject) } td { (l.reason) }
                            td { @if l.replayable { (replay_form(&l.id, &l.short_id)) } @else { "not replayable" } }
                        }
                    }
                }
            }
        }
    }
}

fn render_one(id: &str, text: &str) -> Markup {
    html! {
        p { a href="/console/dead-letters" { "All dead letters" } }
        pre { (text) }
        (replay_form(id, id))
    }
}

/// Replay, once confirmed (the script asks `data-confirm` first).
fn replay_form(id: &str, label: &str) -> Markup {
    html! {
        form data-api="/console/api/dead-letters/replay"
            data-confirm={ "Replay dead letter " (label) " through its function now?" } {
            input type="hidden" name="id" value=(id);
            input type="hidden" name="confirm" value="yes";
            button type="submit" { "Replay " (label) }
        }
    }
}
