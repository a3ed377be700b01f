//! The message itself: the call's facts in the template in force, or in the
//! built-in one when the stored one fails (the message must go out). The
//! e-mail of today's alert is English's; [`compose_message`] writes any
//! kind, in any locale, on any channel.

use crate::ports::NotifyContext;
use lifeline_domain::call::EmergencyCall;
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    choose_locale, fit_sms, notification_data, render, render_message, sms_segments, Channel,
    MessageKind, NotificationData, NotificationTemplate, RenderedEmail, RenderedMessage,
    RenderedSms, TemplateFamily,
};
use lifeline_domain::recipient::Recipient;

use super::outcome::RetryLater;

/// The e-mail for `call`, stating the callback `window`; `to_fallback`: it
/// goes to the fallback recipients and says so.
pub(super) fn compose(
    call: &EmergencyCall,
    ctx: &NotifyContext,
    window: chrono::Duration,
    to_fallback: bool,
    ack_link: Option<String>,
) -> Result<RenderedEmail, RetryLater> {
    let mut data = notification_data(call, ctx.agent.as_ref(), window);
    data.sent_to_fallback = to_fallback;
    data.ack_link = ack_link;
    let stored = ctx
        .template
        .clone()
        .unwrap_or_else(NotificationTemplate::builtin);
    // A stored template was validated when pushed; should it still fail,
    // the built-in one carries the message: it must go out.
    let email = render(&stored, &data).or_else(|e| {
        tracing::error!(error = %e, version = stored.version, "stored template failed; using the built-in one");
        render(&NotificationTemplate::builtin(), &data)
    });
    email.map_err(|e| RetryLater(format!("built-in template: {e}")))
}

/// The alert to `to`, in their locale (else the tenant's) on their
/// channel; `data` is the call's, with `to`'s acknowledgement link. The
/// English e-mail is the template in force, as it has always been.
pub(super) fn alert_for(
    to: &Recipient,
    call: &EmergencyCall,
    ctx: &NotifyContext,
    window: chrono::Duration,
    to_fallback: bool,
    ack_link: Option<String>,
) -> Result<RenderedMessage, RetryLater> {
    let locale = choose_locale(to.locale, ctx.tenant_locale);
    if to.channel() == Channel::Email && locale == Locale::En {
        return compose(call, ctx, window, to_fallback, ack_link).map(RenderedMessage::Email);
    }
    let mut data = notification_data(call, ctx.agent.as_ref(), window);
    data.sent_to_fallback = to_fallback;
    data.ack_link = ack_link;
    message_in(ctx, to, MessageKind::Alert, &data)
}

/// `kind`'s message to `to`, from `data` (with `to`'s link): in `to`'s
/// locale, from that locale's stored family when there is one.
pub(super) fn message_in(
    ctx: &NotifyContext,
    to: &Recipient,
    kind: MessageKind,
    data: &NotificationData,
) -> Result<RenderedMessage, RetryLater> {
    let locale = choose_locale(to.locale, ctx.tenant_locale);
    let stored = ctx.families.iter().find(|f| f.locale == locale);
    compose_message(stored, locale, kind, to.channel(), data)
}

/// `kind`'s message to one recipient on `channel`, in `locale` (see
/// `notification::choose_locale`). `stored`: that locale's family as
/// stored (none, or another locale's: the built-in one); should it fail, the
/// built-in family carries the message. `data` holds the recipient's
/// acknowledgement link. An SMS longer than two segments (values longer
/// than any sample) is fitted, the link kept whole.
pub fn compose_message(
    stored: Option<&TemplateFamily>,
    locale: Locale,
    kind: MessageKind,
    channel: Channel,
    data: &NotificationData,
) -> Result<RenderedMessage, RetryLater> {
    let builtin = TemplateFamily::builtin(locale);
    let family = stored.filter(|f| f.locale == locale).unwrap_or(&builtin);
    let message = render_message(family, kind, channel, data).or_else(|e| {
        tracing::error!(error = %e, locale = %locale, version = family.version,
            "stored templates failed; using the built-in ones");
        render_message(&builtin, kind, channel, data)
    });
    match message.map_err(|e| RetryLater(format!("built-in template: {e}")))? {
        RenderedMessage::Sms(sms)
            if sms.segments.segments > lifeline_domain::notification::MAX_SMS_SEGMENTS =>
        {
            let text = fit_sms(&sms.text, data.ack_link.as_deref());
            Ok(RenderedMessage::Sms(RenderedSms {
                segments: sms_segments(&text),
                text,
            }))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::notification::{sample_for, MessageKind, Part, PartKey, SAMPLE_ACK_LINK};

    #[test]
    fn a_recipients_message_is_in_their_locale_and_falls_back_to_the_builtin() {
        let data = sample_for(MessageKind::Escalation, false, true);
        let Ok(RenderedMessage::Sms(sms)) = compose_message(
            None,
            Locale::De,
            MessageKind::Escalation,
            Channel::Sms,
            &data,
        ) else {
            panic!("an SMS")
        };
        assert!(sms.text.starts_with("ESKALIERT"), "{}", sms.text);
        // A stored family that fails: the built-in one goes out.
        let mut broken = TemplateFamily::builtin(Locale::De);
        broken.edited.insert(
            PartKey::new(MessageKind::Escalation, Part::Chat),
            "{{ nope() }}".into(),
        );
        let Ok(RenderedMessage::Chat(chat)) = compose_message(
            Some(&broken),
            Locale::De,
            MessageKind::Escalation,
            Channel::Chat,
            &data,
        ) else {
            panic!("a chat text")
        };
        assert!(chat.contains("Eskaliert"), "{chat}");
        // Another locale's family is not used for this one.
        let Ok(RenderedMessage::Email(e)) = compose_message(
            Some(&broken),
            Locale::Fr,
            MessageKind::Alert,
            Channel::Email,
            &data,
        ) else {
            panic!("an e-mail")
        };
        assert!(e.subject.starts_with("Appel d'urgence"), "{}", e.subject);
    }

    #[test]
    fn an_sms_with_values_longer_than_any_sample_is_fitted_keeping_the_link() {
        let mut data = sample_for(MessageKind::Alert, false, true);
        data.agent_name = "José Ñúñez-Ólafsdóttir ".repeat(6);
        let Ok(RenderedMessage::Sms(sms)) =
            compose_message(None, Locale::Es, MessageKind::Alert, Channel::Sms, &data)
        else {
            panic!("an SMS")
        };
        assert!(sms.segments.segments <= 2, "{sms:?}");
        assert!(sms.text.ends_with(SAMPLE_ACK_LINK), "{}", sms.text);
    }
}
