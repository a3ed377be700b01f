//! The correction e-mail: the platform presented another caller ID than the
//! emergency e-mail named (it failed over to the agent's own number, or
//! failed open), so the people who read the first message are told which
//! number the emergency service will call back. Short and fixed: it must be
//! read at a glance, beside the first message.

use super::data::NotificationData;
use super::template::RenderedEmail;
use crate::types::E164;

/// The correction of an e-mail that named `previous`: `data` is the call as
/// its record now says (its callback number the one presented).
pub fn correction_email(data: &NotificationData, previous: &E164) -> RenderedEmail {
    let test = if data.test { "TEST - " } else { "" };
    let whose = if data.callback_is_agent_number {
        " (the agent's own number)"
    } else {
        ""
    };
    let subject = format!(
        "{test}CORRECTION: emergency call by {}: the callback number is {}",
        data.agent_name, data.callback_number
    );
    let paragraphs = [
        format!(
            "Correction to the emergency call notification for {} (dialed {} at {}).",
            data.agent_name, data.dialed, data.dialed_at_utc
        ),
        format!(
            "The emergency service was shown {}{whose}, not {}: a call back comes from \
             the emergency service to {}. {} was never presented to it.",
            data.callback_number, previous, data.callback_number, previous
        ),
        "Everything else in the first message stands.".to_string(),
    ];
    let text = paragraphs.join("\n\n") + "\n";
    let html = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape_html(p)))
        .collect::<Vec<_>>()
        .join("\n");
    RenderedEmail {
        subject,
        html,
        text,
    }
}

/// The XML escape the PIDF-LO uses: HTML takes the same entities.
fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    crate::location::pidf::xml::escape(s, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::sample_data;

    #[test]
    fn it_names_the_number_presented_and_the_one_that_was_not() {
        let mut data = sample_data(false, true);
        data.agent_name = "Ana <Ops>".into();
        data.callback_number = "+14255550100".into();
        data.callback_is_agent_number = true;
        let previous: E164 = "+14255550199".parse().unwrap();
        let email = correction_email(&data, &previous);
        assert!(email
            .subject
            .starts_with("CORRECTION: emergency call by Ana <Ops>"));
        assert!(email.subject.ends_with("+14255550100"), "{}", email.subject);
        assert!(email
            .text
            .contains("shown +14255550100 (the agent's own number), not +14255550199"));
        assert!(email.html.contains("Ana &lt;Ops&gt;"), "{}", email.html);
        data.test = true;
        assert!(correction_email(&data, &previous)
            .subject
            .starts_with("TEST - CORRECTION"));
    }
}
