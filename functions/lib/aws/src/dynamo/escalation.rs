//! The tenant's escalation policy: one item, `TENANT`/`ESCALATION`. The
//! recipient lists are stored as written (`;`-separated entries).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;

use lifeline_app::ports::{EscalationStore, StoreError};
use lifeline_domain::escalation::{EscalationPolicy, EscalationTiming, Tier};
use lifeline_domain::recipient::Recipients;

use super::keys::{n, s};
use super::store::{unavailable, DynamoStore, Item};

pub(super) fn key() -> Item {
    HashMap::from([
        ("pk".to_string(), s("TENANT")),
        ("sk".to_string(), s("ESCALATION")),
    ])
}

fn corrupt(detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: "TENANT/ESCALATION".into(),
        detail: detail.into(),
    }
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> &'a str {
    match item.get(name) {
        Some(AttributeValue::S(v)) => v,
        _ => "",
    }
}

fn minutes(item: &HashMap<String, AttributeValue>, name: &str) -> Option<Duration> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok().map(Duration::minutes),
        _ => None,
    }
}

fn list(item: &HashMap<String, AttributeValue>, name: &str) -> Result<Recipients, StoreError> {
    Recipients::parse_stored(text(item, name)).map_err(|e| corrupt(format!("{name}: {e}")))
}

fn encode(p: &EscalationPolicy) -> Item {
    let mut item = key();
    item.insert("securityDesk".into(), s(p.security_desk.joined()));
    item.insert("drill".into(), s(p.drill.joined()));
    item.insert(
        "repeatMinutes".into(),
        n(p.timing.repeat_every.num_minutes()),
    );
    item.insert(
        "stopAfterEndMinutes".into(),
        n(p.timing.stop_after_end.num_minutes()),
    );
    let tiers = p
        .tiers
        .iter()
        .map(|t| {
            AttributeValue::M(HashMap::from([
                ("tier".to_string(), n(i64::from(t.tier))),
                ("afterMinutes".to_string(), n(t.after.num_minutes())),
                ("recipients".to_string(), s(t.recipients.joined())),
            ]))
        })
        .collect();
    item.insert("tiers".into(), AttributeValue::L(tiers));
    item
}

pub(super) fn decode(item: &Item) -> Result<EscalationPolicy, StoreError> {
    let defaults = EscalationTiming::default();
    let mut tiers = Vec::new();
    if let Some(AttributeValue::L(all)) = item.get("tiers") {
        for t in all {
            let AttributeValue::M(t) = t else {
                return Err(corrupt("a tier is not a map"));
            };
            let tier = match t.get("tier") {
                Some(AttributeValue::N(v)) => v.parse().map_err(|_| corrupt("tier"))?,
                _ => return Err(corrupt("a tier has no number")),
            };
            tiers.push(Tier {
                tier,
                after: minutes(t, "afterMinutes").ok_or_else(|| corrupt("afterMinutes"))?,
                recipients: list(t, "recipients")?,
            });
        }
    }
    Ok(EscalationPolicy {
        security_desk: list(item, "securityDesk")?,
        drill: list(item, "drill")?,
        tiers,
        timing: EscalationTiming {
            tiers: Vec::new(),
            repeat_every: minutes(item, "repeatMinutes").unwrap_or(defaults.repeat_every),
            stop_after_end: minutes(item, "stopAfterEndMinutes").unwrap_or(defaults.stop_after_end),
        },
    })
}

#[async_trait]
impl EscalationStore for DynamoStore {
    async fn escalation_policy(&self) -> Result<EscalationPolicy, StoreError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        got.item()
            .map(decode)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn put_escalation_policy(&self, policy: &EscalationPolicy) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(policy)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_round_trips() {
        let mut p = EscalationPolicy::default();
        let list = |s: &str| Recipients::parse(s).unwrap();
        p.set_tier(1, Duration::zero(), list("desk@example.com"))
            .unwrap();
        p.set_tier(2, Duration::minutes(5), list("sms:+14255550111|es"))
            .unwrap();
        p.drill = list("drills@example.com");
        p.timing.repeat_every = Duration::minutes(20);
        assert_eq!(decode(&encode(&p)).unwrap(), p);
        assert_eq!(decode(&key()).unwrap(), EscalationPolicy::default());
    }
}
