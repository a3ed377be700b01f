//! The escalation policy: tier 1 (the security desk, alerted at once), the
//! later tiers with their delays, the drill recipients and how often the
//! last tier is alerted again. A change is checked as `lifeline escalation
//! set` checks it (the policy's own rules: tiers in order, each later than
//! the one before, recipients parsed with the deployment's chat hosts).

use chrono::Duration;
use http::Response;
use maud::{html, Markup};

use lifeline_domain::escalation::EscalationPolicy;
use lifeline_domain::recipient::Recipients;

use crate::answer::{bad_input, done, fragment, unavailable};
use crate::app::ConsoleApp;
use crate::form::Form;

impl ConsoleApp {
    pub(crate) async fn escalation_view(&self) -> Response<String> {
        match self.ports.escalation.escalation_policy().await {
            Ok(p) => fragment(render(&p)),
            Err(e) => unavailable(&e),
        }
    }

    /// `POST /console/api/escalation/save`: `target` = `tier` (with
    /// `tier`, `after_minutes` past tier 1, `recipients`), `drill` (with
    /// `recipients`) or `repeat` (with `repeat_minutes`).
    pub(crate) async fn save_escalation(&self, form: &Form) -> Response<String> {
        let mut policy = match self.ports.escalation.escalation_policy().await {
            Ok(p) => p,
            Err(e) => return unavailable(&e),
        };
        if let Err(e) = change(&mut policy, form, &self.settings.chat_hosts) {
            return bad_input(e);
        }
        match self.ports.escalation.put_escalation_policy(&policy).await {
            Ok(()) => done("Escalation policy saved: it applies to the next incident."),
            Err(e) => unavailable(&e),
        }
    }
}

/// The form's change applied to `policy`, or why not (nothing changed).
fn change(
    policy: &mut EscalationPolicy,
    form: &Form,
    hosts: &lifeline_domain::recipient::ChatHosts,
) -> Result<(), String> {
    let recipients = || {
        Recipients::parse_with(form.get("recipients"), hosts)
            .map_err(|e| format!("recipients: {e}"))
    };
    let minutes = |name: &str| -> Result<i64, String> {
        form.get(name)
            .parse::<i64>()
            .map_err(|_| format!("{name}: a whole number of minutes"))
    };
    match form.get("target") {
        "tier" => {
            let tier: u32 = form
                .get("tier")
                .parse()
                .map_err(|_| "tier: a tier number (1, 2, …)".to_string())?;
            let after = match tier {
                1 => Duration::zero(),
                _ => Duration::minutes(minutes("after_minutes")?),
            };
            policy
                .set_tier(tier, after, recipients()?)
                .map_err(|e| format!("tier: {e}"))
        }
        "drill" => {
            policy.drill = recipients()?;
            Ok(())
        }
        "repeat" => {
            let mut next = policy.clone();
            next.timing.repeat_every = Duration::minutes(minutes("repeat_minutes")?);
            next.escalation_timing()
                .validate()
                .map_err(|e| format!("repeat_minutes: {e}"))?;
            *policy = next;
            Ok(())
        }
        other => Err(format!("target `{other}`: tier, drill or repeat")),
    }
}

fn render(p: &EscalationPolicy) -> Markup {
    let shown = |r: &Recipients| {
        if r.is_empty() {
            "nobody".to_string()
        } else {
            r.redacted()
        }
    };
    html! {
        table {
            thead { tr { th scope="col" { "Tier" } th scope="col" { "Alerted" } th scope="col" { "Recipients" } } }
            tbody {
                tr { td { "1 (security desk)" } td { "at once, with the agent's recipients" } td { (shown(&p.security_desk)) } }
                @for t in &p.tiers {
                    tr { td { (t.tier) } td { (t.after.num_minutes()) " min after the incident opened, if nobody acknowledged" } td { (shown(&t.recipients)) } }
                }
                tr { td { "drill (933)" } td { "at once; never escalated" } td { (shown(&p.drill)) } }
            }
        }
        p { "The last tier is alerted again every " (p.timing.repeat_every.num_minutes()) " min, until "
            (p.timing.stop_after_end.num_minutes()) " min after the call ended." }
        h2 { "Change a tier" }
        form data-api="/console/api/escalation/save" {
            input type="hidden" name="target" value="tier";
            p { label for="esc-tier" { "Tier" } br; input #esc-tier name="tier" type="number" min="1" required; }
            p { label for="esc-after" { "Minutes after the incident opened (tiers 2 and later)" } br;
                input #esc-after name="after_minutes" type="number" min="1"; }
            p { label for="esc-recipients" { "Recipients (separated by ;)" } br;
                input #esc-recipients name="recipients" size="60" required; }
            button type="submit" { "Save the tier" }
        }
        h2 { "Drill recipients" }
        form data-api="/console/api/escalation/save" {
            input type="hidden" name="target" value="drill";
            p { label for="drill-recipients" { "Recipients of a 933 drill (separated by ;)" } br;
                input #drill-recipients name="recipients" size="60"; }
            button type="submit" { "Save the drill recipients" }
        }
        h2 { "Repeat" }
        form data-api="/console/api/escalation/save" {
            input type="hidden" name="target" value="repeat";
            p { label for="esc-repeat" { "Alert the last tier again every (minutes)" } br;
                input #esc-repeat name="repeat_minutes" type="number" min="1" required; }
            button type="submit" { "Save" }
        }
    }
}
