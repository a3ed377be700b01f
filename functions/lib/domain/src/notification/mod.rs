//! The emergency-call messages: their data (pure), Lifeline's own templates
//! (editable, versioned, validated by rendering sample data) and rendering
//! with HTML auto-escaping that no template can turn off, its work bounded.
//! One template family per locale ([`TemplateFamily`]): for each message
//! kind (alert, escalation, follow-up, correction; a drill says TEST first)
//! an e-mail, an SMS (two segments at most) and a chat text.

mod correction;
mod data;
mod family;
mod guard;
mod kind;
mod locales;
mod sample;
mod sms;
mod tag;
mod template;

pub use correction::correction_email;
pub use data::{local_zone, notification_data, NotificationData, VARIABLES};
pub use family::{
    choose_locale, render_message, validate_family, FamilyError, RenderedMessage, RenderedSms,
    TemplateFamily,
};
pub use kind::{Channel, MessageKind, Part, PartKey};
pub use sample::{longest_sample, sample_data, sample_for, samples, SAMPLE_ACK_LINK};
pub use sms::{fit_sms, sms_segments, SmsEncoding, SmsSegments, MAX_SMS_SEGMENTS};
pub use tag::{address_tag, recipient_tag};
pub use template::{
    render, validate, NotificationTemplate, RenderedEmail, TemplateError, TemplateErrorKind,
    FALLBACK_NOTE, TEMPLATE_NAME,
};

#[cfg(test)]
mod tests;
