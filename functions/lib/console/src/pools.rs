//! The callback-number pools: per country how many numbers are free,
//! leased and in quarantine (a chart, and the same figures as text), where
//! each leased number is, and adding numbers with the CLI's checks
//! (`lifeline pool add`: a supported country, numbers in E.164; a number
//! already in the table is left exactly as it is).

use std::collections::BTreeMap;

use http::Response;
use maud::{html, Markup};

use lifeline_app::ports::PoolNumber;
use lifeline_domain::numbers::Country;
use lifeline_domain::types::E164;

use crate::answer::{bad_input, done, fragment, unavailable};
use crate::app::ConsoleApp;
use crate::form::Form;

/// One country's pool, counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolCount {
    pub free: usize,
    pub leased: usize,
    pub quarantined: usize,
}

impl PoolCount {
    fn total(&self) -> usize {
        self.free + self.leased + self.quarantined
    }
}

/// The counts per country, in country order.
pub fn counts(numbers: &[PoolNumber]) -> BTreeMap<String, PoolCount> {
    let mut out: BTreeMap<String, PoolCount> = BTreeMap::new();
    for n in numbers {
        let c = out.entry(n.country.clone()).or_default();
        match n.state {
            "leased" => c.leased += 1,
            "quarantined" => c.quarantined += 1,
            _ => c.free += 1,
        }
    }
    out
}

impl ConsoleApp {
    pub(crate) async fn pools_view(&self, query: &Form) -> Response<String> {
        let country = query.get("country").parse::<Country>().ok();
        match self.ports.admin.list_pool(country, self.clock.now()).await {
            Ok(numbers) => fragment(render(&numbers)),
            Err(e) => unavailable(&e),
        }
    }

    /// `POST /console/api/pools/add`: `country`, `numbers` (one per line,
    /// or separated by commas or spaces).
    pub(crate) async fn add_numbers(&self, form: &Form) -> Response<String> {
        let country: Country = match form.get("country").parse() {
            Ok(c) => c,
            Err(e) => return bad_input(format!("country: {e}")),
        };
        let given: Vec<&str> = form
            .get("numbers")
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
            .collect();
        if given.is_empty() {
            return bad_input(
                "numbers: give at least one number in E.164 form (+14155550100)".into(),
            );
        }
        let mut numbers = Vec::with_capacity(given.len());
        for n in given {
            match n.parse::<E164>() {
                Ok(e) => numbers.push(e),
                Err(e) => return bad_input(format!("`{n}`: {e}")),
            }
        }
        match self
            .ports
            .admin
            .add_numbers(country, &numbers, self.clock.now())
            .await
        {
            Ok(r) if r.present.is_empty() => {
                done(&format!("Added {} to the {country} pool.", r.added.len()))
            }
            Ok(r) => done(&format!(
                "Added {} to the {country} pool; already present, left as they were: {}.",
                r.added.len(),
                r.present
                    .iter()
                    .map(E164::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(e) => unavailable(&e),
        }
    }
}

fn render(numbers: &[PoolNumber]) -> Markup {
    let counts = counts(numbers);
    html! {
        @if counts.is_empty() { p { "No pool has a number yet." } }
        @for (country, c) in &counts {
            section aria-labelledby={ "pool-" (country) } {
                h2 #{ "pool-" (country) } { (country) " pool" }
                (bar(c))
                p.counts {
                    span.swatch.free aria-hidden="true" {} strong { (c.free) } " free, "
                    span.swatch.leased aria-hidden="true" {} strong { (c.leased) } " leased, "
                    span.swatch.quarantined aria-hidden="true" {} strong { (c.quarantined) }
                    " in quarantine (" (c.total()) " in all)"
                }
            }
        }
        @let leased: Vec<&PoolNumber> = numbers.iter().filter(|n| n.state != "free").collect();
        @if !leased.is_empty() {
            h2 { "Numbers in use" }
            table {
                thead { tr {
                    th scope="col" { "Number" } th scope="col" { "Country" } th scope="col" { "State" }
                    th scope="col" { "Agent" } th scope="col" { "Calls on it" } th scope="col" { "Until" }
                } }
                tbody {
                    @for n in leased {
                        tr {
                            td { (n.number) } td { (n.country) } td { (n.state) }
                            td { (n.leased_to.as_deref().unwrap_or("—")) }
                            td { (n.active_calls.map(|c| c.to_string()).unwrap_or_default()) }
                            td { (n.held_until.as_deref().or(n.quarantined_until.as_deref()).unwrap_or("")) }
                        }
                    }
                }
            }
        }
        h2 { "Add numbers" }
        form data-api="/console/api/pools/add" {
            p {
                label for="pool-country" { "Country" } br;
                input #pool-country name="country" required size="4" placeholder="US" autocomplete="off";
            }
            p {
                label for="pool-numbers" { "Numbers (E.164, one per line)" } br;
                textarea #pool-numbers name="numbers" rows="4" required placeholder="+14155550100" {}
            }
            button type="submit" { "Add to the pool" }
        }
    }
}

/// The pool as a bar, its parts as wide as their share; the counts next to
/// it say the same for a screen reader.
fn bar(c: &PoolCount) -> Markup {
    let total = c.total().max(1) as f64;
    let width = |n: usize| format!("width:{:.1}%", n as f64 * 100.0 / total);
    html! {
        div.bar aria-hidden="true" {
            span.free style=(width(c.free)) title="free" {}
            span.leased style=(width(c.leased)) title="leased" {}
            span.quarantined style=(width(c.quarantined)) title="in quarantine" {}
        }
    }
}
