//! Message templates, one family per locale (`TEMPLATE#<name>` for English,
//! as before; `TEMPLATE#<name>#<locale>` for the others; `CURRENT` and
//! `VERSION#<n>`). The alert's e-mail keeps its three attributes (`subject`,
//! `html`, `text`); every other edited part is in `parts`, by name
//! (`escalation.sms`). A part not stored is the built-in one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use lifeline_app::ports::StoreError;
use lifeline_domain::locale::Locale;
use lifeline_domain::notification::{
    MessageKind, NotificationTemplate, Part, PartKey, TemplateFamily,
};

use super::time::rfc3339;
use super::{corrupt, decode_stored, encode_item, Item};
use crate::dynamo::keys::{locale_template_key, tenant_locale_key};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    html: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    version: i64,
    /// The other edited parts, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    parts: BTreeMap<String, String>,
    /// When it was saved: for people reading the table.
    #[serde(default, skip_deserializing, with = "rfc3339")]
    saved_at: DateTime<Utc>,
}

const ALERT_EMAIL: [Part; 3] = [Part::Subject, Part::Html, Part::Text];

/// The English alert e-mail `t`, as the item it always was (the golden
/// file holds the layout).
#[cfg(test)]
pub(crate) fn encode_template(
    t: &NotificationTemplate,
    sk: &str,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let edited = [
        (Part::Subject, &t.subject),
        (Part::Html, &t.html),
        (Part::Text, &t.text),
    ]
    .into_iter()
    .map(|(p, s)| (PartKey::new(MessageKind::Alert, p), s.clone()))
    .collect();
    let family = TemplateFamily {
        locale: Locale::En,
        version: t.version,
        edited,
    };
    encode_family(&family, sk, now)
}

/// The English alert e-mail an item holds (the built-in parts where it
/// holds none).
pub(crate) fn decode_template(item: &Item) -> Result<NotificationTemplate, StoreError> {
    decode_family(item, Locale::En).map(|f| f.alert_email())
}

pub(crate) fn encode_family(
    f: &TemplateFamily,
    sk: &str,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let alert = |p: Part| f.edited.get(&PartKey::new(MessageKind::Alert, p)).cloned();
    let body = TemplateItem {
        subject: alert(Part::Subject),
        html: alert(Part::Html),
        text: alert(Part::Text),
        version: f.version as i64,
        parts: f
            .edited
            .iter()
            .filter(|(k, _)| !(k.kind == MessageKind::Alert && ALERT_EMAIL.contains(&k.part)))
            .map(|(k, s)| (k.name(), s.clone()))
            .collect(),
        saved_at: now,
    };
    encode_item(locale_template_key(f.locale, sk), "template", &body)
}

/// `locale`'s family from its item. A part name Lifeline does not know is
/// refused (corrupt): it would otherwise be dropped unseen.
pub(crate) fn decode_family(item: &Item, locale: Locale) -> Result<TemplateFamily, StoreError> {
    let stored: TemplateItem = decode_stored(item)?;
    let mut edited = BTreeMap::new();
    for (part, source) in [
        (Part::Subject, stored.subject),
        (Part::Html, stored.html),
        (Part::Text, stored.text),
    ] {
        if let Some(s) = source {
            edited.insert(PartKey::new(MessageKind::Alert, part), s);
        }
    }
    for (name, source) in stored.parts {
        let key = PartKey::from_name(&name)
            .ok_or_else(|| corrupt(item, format!("`parts`: unknown part `{name}`")))?;
        edited.insert(key, source);
    }
    Ok(TemplateFamily {
        locale,
        version: stored.version.max(0) as u64,
        edited,
    })
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantLocaleItem {
    locale: Locale,
    /// When it was set: for people reading the table.
    #[serde(default, skip_deserializing, with = "rfc3339")]
    saved_at: DateTime<Utc>,
}

/// The tenant's default message locale (`TENANT`/`LOCALE`).
pub(crate) fn encode_tenant_locale(locale: Locale, now: DateTime<Utc>) -> Result<Item, StoreError> {
    let body = TenantLocaleItem {
        locale,
        saved_at: now,
    };
    encode_item(tenant_locale_key(), "tenantLocale", &body)
}

pub(crate) fn decode_tenant_locale(item: &Item) -> Result<Locale, StoreError> {
    decode_stored::<TenantLocaleItem>(item).map(|t| t.locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_family_round_trips_with_its_alert_email_where_it_was() {
        let mut f = TemplateFamily::builtin(Locale::Es);
        f.version = 3;
        f.edited.insert(
            PartKey::new(MessageKind::Alert, Part::Subject),
            "Asunto".into(),
        );
        f.edited.insert(
            PartKey::new(MessageKind::Escalation, Part::Sms),
            "SMS {{ ack_link }}".into(),
        );
        let now = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let item = encode_family(&f, "CURRENT", now).unwrap();
        assert_eq!(
            item["pk"].as_s().unwrap(),
            "TEMPLATE#EmergencyCallNotification#es"
        );
        assert_eq!(item["subject"].as_s().unwrap(), "Asunto");
        assert!(!item.contains_key("html"), "not edited: not stored");
        assert_eq!(
            item["parts"].as_m().unwrap()["escalation.sms"]
                .as_s()
                .unwrap(),
            "SMS {{ ack_link }}"
        );
        assert_eq!(decode_family(&item, Locale::Es).unwrap(), f);
        // An English item pushed with only an SMS still gives the notifier
        // its alert e-mail: the built-in parts.
        let mut en = TemplateFamily::builtin(Locale::En);
        en.version = 2;
        en.edited.insert(
            PartKey::new(MessageKind::Alert, Part::Sms),
            "x {{ ack_link }}".into(),
        );
        let item = encode_family(&en, "CURRENT", now).unwrap();
        assert_eq!(
            item["pk"].as_s().unwrap(),
            "TEMPLATE#EmergencyCallNotification"
        );
        let t = decode_template(&item).unwrap();
        assert_eq!(
            t,
            NotificationTemplate {
                version: 2,
                ..NotificationTemplate::builtin()
            }
        );
        // A part name nobody knows is corrupt, not dropped.
        let mut odd = item.clone();
        odd.insert(
            "parts".into(),
            aws_sdk_dynamodb::types::AttributeValue::M(
                [(
                    "alert.fax".to_string(),
                    aws_sdk_dynamodb::types::AttributeValue::S("x".into()),
                )]
                .into(),
            ),
        );
        assert!(decode_family(&odd, Locale::En).is_err());
    }

    #[test]
    fn the_tenants_locale_is_its_tag_and_an_unknown_one_is_corrupt() {
        let now = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let item = encode_tenant_locale(Locale::Da, now).unwrap();
        assert_eq!(item["sk"].as_s().unwrap(), "LOCALE");
        assert_eq!(item["locale"].as_s().unwrap(), "da");
        assert_eq!(decode_tenant_locale(&item).unwrap(), Locale::Da);
        let mut odd = item;
        odd.insert(
            "locale".into(),
            aws_sdk_dynamodb::types::AttributeValue::S("xx".into()),
        );
        assert!(decode_tenant_locale(&odd).is_err());
    }
}
