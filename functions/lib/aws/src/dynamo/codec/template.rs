//! E-mail templates (`TEMPLATE#<name>`, `CURRENT` and `VERSION#<n>`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use lifeline_app::ports::StoreError;
use lifeline_domain::notification::NotificationTemplate;

use super::time::rfc3339;
use super::{decode_item, encode_item, Item};
use crate::dynamo::keys::template_key;

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateItem {
    subject: String,
    html: String,
    text: String,
    version: i64,
    /// When it was saved: for people reading the table.
    #[serde(default, skip_deserializing, with = "rfc3339")]
    saved_at: DateTime<Utc>,
}

impl From<TemplateItem> for NotificationTemplate {
    fn from(t: TemplateItem) -> Self {
        NotificationTemplate {
            subject: t.subject,
            html: t.html,
            text: t.text,
            version: t.version.max(0) as u64,
        }
    }
}

pub(crate) fn encode_template(
    t: &NotificationTemplate,
    sk: &str,
    now: DateTime<Utc>,
) -> Result<Item, StoreError> {
    let body = TemplateItem {
        subject: t.subject.clone(),
        html: t.html.clone(),
        text: t.text.clone(),
        version: t.version as i64,
        saved_at: now,
    };
    encode_item(template_key(sk), "template", &body)
}

pub(crate) fn decode_template(item: &Item) -> Result<NotificationTemplate, StoreError> {
    decode_item::<TemplateItem, _>(item)
}
