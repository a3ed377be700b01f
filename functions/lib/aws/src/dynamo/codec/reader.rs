//! Single attributes out of an item, for the ports that read one or two of
//! an item's attributes (and the tenant's settings, read leniently) rather
//! than the whole item; every error names the item.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use lifeline_app::ports::StoreError;

use super::item_key;
use crate::dynamo::store::Item;

pub(crate) struct Reader<'a> {
    item: &'a Item,
    key: String,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(item: &'a Item) -> Self {
        Reader {
            item,
            key: item_key(item),
        }
    }
    pub(crate) fn corrupt(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            key: self.key.clone(),
            detail: detail.into(),
        }
    }
    pub(crate) fn opt_str(&self, name: &str) -> Option<&'a str> {
        match self.item.get(name) {
            Some(AttributeValue::S(v)) => Some(v.as_str()),
            _ => None,
        }
    }
    pub(crate) fn str(&self, name: &str) -> Result<&'a str, StoreError> {
        self.opt_str(name)
            .ok_or_else(|| self.corrupt(format!("missing string `{name}`")))
    }
    pub(crate) fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<T, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.str(name)?
            .parse::<T>()
            .map_err(|e| self.corrupt(format!("`{name}`: {e}")))
    }
    pub(crate) fn opt_parse<T: std::str::FromStr>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StoreError>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_str(name)
            .map(|v| {
                v.parse::<T>()
                    .map_err(|e| self.corrupt(format!("`{name}`: {e}")))
            })
            .transpose()
    }
    pub(crate) fn int(&self, name: &str) -> Result<i64, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::N(v)) => v
                .parse()
                .map_err(|_| self.corrupt(format!("`{name}` not an integer"))),
            _ => Err(self.corrupt(format!("missing number `{name}`"))),
        }
    }
    pub(crate) fn epoch(&self, name: &str) -> Result<DateTime<Utc>, StoreError> {
        let secs = self.int(name)?;
        DateTime::from_timestamp(secs, 0)
            .ok_or_else(|| self.corrupt(format!("`{name}` out of range")))
    }
    pub(crate) fn time(&self, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.opt_str(name)
            .map(|v| {
                DateTime::parse_from_rfc3339(v)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| self.corrupt(format!("`{name}`: {e}")))
            })
            .transpose()
    }
    /// `true` only for a stored `true`: a missing or mistyped flag is off.
    pub(crate) fn bool(&self, name: &str) -> bool {
        matches!(self.item.get(name), Some(AttributeValue::Bool(true)))
    }
}
