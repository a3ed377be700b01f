//! A locale's template family: for each message kind an e-mail (subject,
//! HTML, text), an SMS and a chat text, from one data model, rendered with
//! the engine and guard of the e-mail ([`super::template`]). An admin edits
//! any part of any locale; the parts not edited are the built-in ones.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::data::NotificationData;
use super::kind::{Channel, MessageKind, Part, PartKey};
use super::locales::{builtin_source, phrases};
use super::sample::samples;
use super::sms::{sms_segments, SmsSegments, MAX_SMS_SEGMENTS};
use super::template::{
    check_part, environment, render_email, render_part, NotificationTemplate, RenderedEmail,
    TemplateError,
};
use crate::locale::Locale;

/// One locale's templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFamily {
    pub locale: Locale,
    /// 0 for the built-in family; stored versions count from 1, per locale.
    pub version: u64,
    /// The parts an admin edited; every other part is the built-in one.
    pub edited: BTreeMap<PartKey, String>,
}

/// A message, rendered for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderedMessage {
    Email(RenderedEmail),
    Sms(RenderedSms),
    Chat(String),
}

/// An SMS and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedSms {
    pub text: String,
    pub segments: SmsSegments,
}

/// Why a family is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FamilyError {
    /// A part does not render (or would not be safe to).
    #[error("{locale}, {kind} {source}")]
    Template {
        locale: Locale,
        kind: MessageKind,
        #[source]
        source: TemplateError,
    },
    /// The SMS takes more than two segments for a sample.
    #[error(
        "{locale}, {kind} sms: {} segments ({} {} units) for {sample}; at most {MAX_SMS_SEGMENTS} \
         (GSM-7: 306 characters, UCS-2 when any character is outside GSM-7: 134)",
        segments.segments, segments.units, segments.encoding.as_str()
    )]
    SmsTooLong {
        locale: Locale,
        kind: MessageKind,
        sample: &'static str,
        segments: SmsSegments,
    },
}

impl TemplateFamily {
    /// The built-in family of `locale`.
    pub fn builtin(locale: Locale) -> Self {
        TemplateFamily {
            locale,
            version: 0,
            edited: BTreeMap::new(),
        }
    }

    /// The family an editor's sources make: a part given the same as the
    /// built-in one is not an edit (so a later change of the built-in one
    /// reaches it); a part not given is the built-in one.
    pub fn with_sources(
        locale: Locale,
        version: u64,
        sources: impl IntoIterator<Item = (PartKey, String)>,
    ) -> Self {
        let mut family = TemplateFamily {
            version,
            ..TemplateFamily::builtin(locale)
        };
        for (key, source) in sources {
            if source != builtin_source(locale, key) {
                family.edited.insert(key, source);
            }
        }
        family
    }

    /// The source of one part: the edited one, else the built-in one.
    pub fn source(&self, key: PartKey) -> Cow<'_, str> {
        match self.edited.get(&key) {
            Some(s) => Cow::Borrowed(s.as_str()),
            None => builtin_source(self.locale, key),
        }
    }

    /// The alert's e-mail, as the notifier has always rendered it.
    pub fn alert_email(&self) -> NotificationTemplate {
        self.email(MessageKind::Alert)
    }

    fn email(&self, kind: MessageKind) -> NotificationTemplate {
        let part = |p| self.source(PartKey::new(kind, p)).into_owned();
        NotificationTemplate {
            subject: part(Part::Subject),
            html: part(Part::Html),
            text: part(Part::Text),
            version: self.version,
        }
    }
}

/// The locale a recipient's message is written in: the recipient's own,
/// else the tenant's default, else English.
pub fn choose_locale(recipient: Option<Locale>, tenant_default: Option<Locale>) -> Locale {
    recipient.or(tenant_default).unwrap_or(Locale::DEFAULT)
}

/// `kind`'s message for `channel`, in `family`'s locale. `data` is the
/// call's (with this recipient's acknowledgement link); its descriptions
/// are put in the locale's words here.
pub fn render_message(
    family: &TemplateFamily,
    kind: MessageKind,
    channel: Channel,
    data: &NotificationData,
) -> Result<RenderedMessage, FamilyError> {
    let data = data.clone().localized(family.locale);
    let failed = |source| FamilyError::Template {
        locale: family.locale,
        kind,
        source,
    };
    let env = environment();
    let one = |part: Part| {
        render_part(
            &env,
            part.as_str(),
            &family.source(PartKey::new(kind, part)),
            &data,
        )
        .map_err(failed)
    };
    Ok(match channel {
        Channel::Email => {
            let note = phrases(family.locale).fallback_note;
            RenderedMessage::Email(render_email(&family.email(kind), &data, note).map_err(failed)?)
        }
        Channel::Sms => {
            let text = one_line(&one(Part::Sms)?);
            RenderedMessage::Sms(RenderedSms {
                segments: sms_segments(&text),
                text,
            })
        }
        Channel::Chat => RenderedMessage::Chat(one(Part::Chat)?.trim().to_string()),
    })
}

/// An SMS is one paragraph: runs of white space become one space.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks a family before it is saved: every part of every kind compiles,
/// keeps HTML escaping on and names only known variables; every kind
/// renders every sample shape on every channel within the work a render
/// may do; the subject is not empty; and the SMS fits two segments.
pub fn validate_family(family: &TemplateFamily) -> Result<(), FamilyError> {
    let env = environment();
    for key in PartKey::all() {
        check_part(&env, key.part.as_str(), &family.source(key)).map_err(|source| {
            FamilyError::Template {
                locale: family.locale,
                kind: key.kind,
                source,
            }
        })?;
    }
    for kind in MessageKind::ALL {
        for (sample, data) in samples(kind) {
            for channel in Channel::ALL {
                if let RenderedMessage::Sms(sms) = render_message(family, kind, channel, &data)? {
                    if sms.segments.segments > MAX_SMS_SEGMENTS {
                        return Err(FamilyError::SmsTooLong {
                            locale: family.locale,
                            kind,
                            sample,
                            segments: sms.segments,
                        });
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "family_tests.rs"]
mod tests;
