//! A page's shell: the document around its content, with no data in it
//! (anyone may fetch it). Its content comes from `/console/api/<page>` with
//! the tab's token, and a page's actions say how they went in its
//! `#outcome`.

use http::{Response, StatusCode};
use maud::html;

use crate::form::Form;
use crate::layout::{page, path_segment};
use crate::pages::{Page, BOARD_REFRESH_MS};

/// A page's shell: its title, and where its content comes from.
pub struct Shell {
    title: String,
    src: String,
    refresh_ms: Option<u32>,
}

impl Shell {
    pub fn of(page: Page) -> Shell {
        Shell {
            title: page.title().into(),
            src: format!("/console/api/{}", page.slug()),
            refresh_ms: (page == Page::Board).then_some(BOARD_REFRESH_MS),
        }
    }

    /// An incident's page: its timeline refreshes as the board does.
    pub fn incident(call_id: &str) -> Shell {
        Shell {
            title: format!("Incident {call_id}"),
            src: format!("/console/api/incidents/{}", path_segment(call_id)),
            refresh_ms: Some(BOARD_REFRESH_MS),
        }
    }

    /// The page's query passed on to its content (`?locale=fr`).
    pub fn with_query(mut self, query: &Form) -> Shell {
        let pairs: Vec<(String, String)> = ["locale", "country", "id"]
            .iter()
            .filter(|k| !query.get(k).is_empty())
            .map(|k| (k.to_string(), query.get(k).to_string()))
            .collect();
        if !pairs.is_empty() {
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish();
            self.src = format!("{}?{q}", self.src);
        }
        self
    }

    pub fn answer(self) -> Response<String> {
        let body = page(
            &self.title,
            html! {
                p #outcome role="status" aria-live="polite" {}
                // No `aria-live` here: a screen reader would read the whole
                // board out at every refresh; what an action did is said in
                // #outcome.
                div #view data-src=(self.src) data-refresh=[self.refresh_ms] {
                    p.quiet { "Loading…" }
                }
            },
        );
        crate::answer::html(StatusCode::OK, body.into_string())
    }
}
