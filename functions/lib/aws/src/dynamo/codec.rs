//! The item codec: domain values to DynamoDB items and back. Table reads
//! and the stream's images decode through this same code.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use lifeline_app::ports::StoreError;
use lifeline_domain::call::{rfc3339, AgentProfile, EmergencyCall, Location};
use lifeline_domain::lease::Lease;
use lifeline_domain::location::{
    Civic, CivicKey, LocationMethod, LocationSource, RegisteredLocation,
};
use lifeline_domain::notification::NotificationTemplate;
use lifeline_domain::numbers::Country;
use lifeline_domain::presence::{PresenceState, PresenceView};
use lifeline_domain::route::TenantSettings;
use lifeline_domain::types::{AgentId, CallId, Recipients};

use super::keys::{
    call_key, epoch, n, number_key, pointer_key, presence_key, profile_key,
    registered_location_key, s, template_key, TTL_ATTRIBUTE,
};
use super::store::Item;

/// Reads attributes out of an item, naming the item in every error.
pub(crate) struct Reader<'a> {
    item: &'a Item,
    key: String,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(item: &'a Item) -> Self {
        let key = match (item.get("pk"), item.get("sk")) {
            (Some(AttributeValue::S(p)), Some(AttributeValue::S(s))) => format!("{p}/{s}"),
            _ => "<no key>".into(),
        };
        Reader { item, key }
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
    pub(crate) fn opt_num(&self, name: &str) -> Result<Option<f64>, StoreError> {
        match self.item.get(name) {
            Some(AttributeValue::N(v)) => v
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(format!("`{name}` not a number"))),
            _ => Ok(None),
        }
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
    pub(crate) fn bool(&self, name: &str) -> bool {
        matches!(self.item.get(name), Some(AttributeValue::Bool(true)))
    }
    pub(crate) fn strings(&self, name: &str) -> Vec<String> {
        match self.item.get(name) {
            Some(AttributeValue::L(l)) => l
                .iter()
                .filter_map(|v| match v {
                    AttributeValue::S(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(AttributeValue::Ss(l)) => l.clone(),
            _ => Vec::new(),
        }
    }
}

pub(crate) fn strings(v: &[String]) -> AttributeValue {
    AttributeValue::L(v.iter().map(|x| s(x.clone())).collect())
}

// ---- encoding ----------------------------------------------------------------

pub(crate) fn encode_call(call: &EmergencyCall, ttl: DateTime<Utc>) -> Item {
    let mut item = call_key(&call.call_id);
    item.insert("type".into(), s("call"));
    item.insert("callId".into(), s(call.call_id.as_str()));
    item.insert("agentId".into(), s(call.agent_id.as_str()));
    item.insert("dialed".into(), s(&call.dialed));
    item.insert("emergencyNumber".into(), s(&call.emergency_number));
    item.insert("test".into(), AttributeValue::Bool(call.test));
    if let Some(c) = call.country {
        item.insert("country".into(), s(c.code()));
    }
    if let Some(l) = &call.location {
        item.insert("location".into(), encode_location(l));
    }
    if let Some(source) = call.location_source {
        item.insert("locationSource".into(), s(source.as_str()));
    }
    item.insert("callerId".into(), s(call.caller_id.as_str()));
    if let Some(v) = &call.leased_number {
        item.insert("leasedNumber".into(), s(v.as_str()));
    }
    if let Some(v) = &call.lease_id {
        item.insert("leaseId".into(), s(v.as_str()));
    }
    if let Some(v) = call.callback_expires_at {
        item.insert("callbackExpiresAt".into(), s(rfc3339(v)));
    }
    item.insert("route".into(), s(call.route.as_str()));
    item.insert("degraded".into(), AttributeValue::Bool(call.degraded));
    if let Some(v) = call.reason {
        item.insert("reason".into(), s(v.as_str()));
    }
    item.insert("dialedAt".into(), s(rfc3339(call.dialed_at)));
    if let Some(v) = call.desktop_time {
        item.insert("desktopTime".into(), s(rfc3339(v)));
    }
    if let Some(v) = call.ended_at {
        item.insert("endedAt".into(), s(rfc3339(v)));
    }
    item.insert(TTL_ATTRIBUTE.into(), epoch(ttl));
    item
}

/// A location as a map: its fields, `civic` a map of RFC 5139 keys.
pub(crate) fn encode_location(l: &Location) -> AttributeValue {
    let mut m = HashMap::new();
    if let Some(v) = &l.country {
        m.insert("country".to_string(), s(v));
    }
    if let Some(v) = &l.address {
        m.insert("address".to_string(), s(v));
    }
    if !l.civic.is_empty() {
        let civic = l
            .civic
            .iter()
            .map(|(k, v)| (k.code().to_string(), s(v)))
            .collect();
        m.insert("civic".to_string(), AttributeValue::M(civic));
    }
    for (name, v) in [("lat", l.lat), ("lon", l.lon), ("radiusM", l.radius_m)] {
        if let Some(v) = v {
            m.insert(name.to_string(), AttributeValue::N(v.to_string()));
        }
    }
    if let Some(v) = l.method {
        m.insert("method".to_string(), s(v.as_str()));
    }
    if let Some(v) = l.determined_at {
        m.insert("determinedAt".to_string(), s(rfc3339(v)));
    }
    AttributeValue::M(m)
}

/// The location under `name`; an unknown civic key or method is corrupt.
pub(crate) fn decode_location(r: &Reader, name: &str) -> Result<Option<Location>, StoreError> {
    let Some(AttributeValue::M(m)) = r.item.get(name) else {
        return Ok(None);
    };
    let lr = Reader {
        item: m,
        key: r.key.clone(),
    };
    let mut civic = Civic::default();
    if let Some(AttributeValue::M(c)) = m.get("civic") {
        for (k, v) in c {
            let key: CivicKey = k.parse().map_err(|e| lr.corrupt(format!("{e}")))?;
            if let AttributeValue::S(v) = v {
                civic.set(key, v.clone());
            }
        }
    }
    Ok(Some(Location {
        country: lr.opt_str("country").map(String::from),
        address: lr.opt_str("address").map(String::from),
        civic,
        lat: lr.opt_num("lat")?,
        lon: lr.opt_num("lon")?,
        radius_m: lr.opt_num("radiusM")?,
        method: match lr.opt_str("method") {
            Some(v) => Some(
                v.parse::<LocationMethod>()
                    .map_err(|_| lr.corrupt(format!("unknown location method `{v}`")))?,
            ),
            None => None,
        },
        determined_at: lr.time("determinedAt")?,
    }))
}

/// An agent's registered location, kept `ttl` (beyond its freshness, so a
/// readiness report can say it went stale).
pub(crate) fn encode_registered_location(
    agent: &AgentId,
    r: &RegisteredLocation,
    ttl: DateTime<Utc>,
) -> Item {
    let mut item = registered_location_key(agent);
    item.insert("type".into(), s("registeredLocation"));
    item.insert("agentId".into(), s(agent.as_str()));
    item.insert("location".into(), encode_location(&r.location));
    item.insert("registeredAt".into(), s(rfc3339(r.registered_at)));
    item.insert(TTL_ATTRIBUTE.into(), epoch(ttl));
    item
}

pub(crate) fn decode_registered_location(item: &Item) -> Result<RegisteredLocation, StoreError> {
    let r = Reader::new(item);
    Ok(RegisteredLocation {
        location: decode_location(&r, "location")?
            .ok_or_else(|| r.corrupt("missing `location`"))?,
        registered_at: r
            .time("registeredAt")?
            .ok_or_else(|| r.corrupt("missing `registeredAt`"))?,
    })
}

pub(crate) fn decode_call(item: &Item) -> Result<EmergencyCall, StoreError> {
    let r = Reader::new(item);
    let location = decode_location(&r, "location")?;
    let head = decode_call_head(item)?;
    Ok(EmergencyCall {
        call_id: head.call_id,
        agent_id: head.agent_id,
        dialed: r.str("dialed")?.to_string(),
        emergency_number: r.str("emergencyNumber")?.to_string(),
        test: r.bool("test"),
        country: r.opt_parse("country")?,
        location_source: r
            .opt_str("locationSource")
            .and_then(LocationSource::parse)
            // Records from before sources were kept: a location was the dial's.
            .or(location.as_ref().map(|_| LocationSource::Call)),
        location,
        caller_id: r.parse("callerId")?,
        leased_number: r.opt_parse("leasedNumber")?,
        lease_id: r.opt_parse("leaseId")?,
        callback_expires_at: r.time("callbackExpiresAt")?,
        route: r.parse("route")?,
        degraded: r.bool("degraded"),
        reason: r.opt_parse("reason")?,
        dialed_at: head.dialed_at,
        desktop_time: r.time("desktopTime")?,
        ended_at: head.ended_at,
    })
}

/// Who made a call and when it started and ended: the part of a call item
/// the stream's consumers need.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CallHead {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub dialed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

pub(crate) fn decode_call_head(item: &Item) -> Result<CallHead, StoreError> {
    let r = Reader::new(item);
    Ok(CallHead {
        call_id: r.parse("callId")?,
        agent_id: r.parse("agentId")?,
        dialed_at: r
            .time("dialedAt")?
            .ok_or_else(|| r.corrupt("missing `dialedAt`"))?,
        ended_at: r.time("endedAt")?,
    })
}

/// Whether an item is a call record.
pub(crate) fn is_call(item: &Item) -> bool {
    matches!(item.get("type"), Some(AttributeValue::S(t)) if t == "call")
}

pub(crate) fn encode_lease_attrs(item: &mut Item, lease: &Lease) {
    item.insert("number".into(), s(lease.number.as_str()));
    item.insert("country".into(), s(lease.country.code()));
    item.insert("agentId".into(), s(lease.agent.as_str()));
    item.insert("leaseId".into(), s(lease.lease_id.as_str()));
    item.insert("leasedAt".into(), epoch(lease.leased_at));
    item.insert("lastDialAt".into(), epoch(lease.last_dial_at));
    item.insert("expiresAt".into(), epoch(lease.expires_at));
    item.insert("holdUntil".into(), epoch(lease.hold_until));
    if !lease.active_calls.is_empty() {
        item.insert(
            "activeCalls".into(),
            AttributeValue::Ss(lease.active_calls.iter().map(|c| c.to_string()).collect()),
        );
    }
    item.insert("fallback".into(), strings(&lease.fallback));
    item.insert("version".into(), n(lease.version as i64));
    if let Some(t) = lease.released_at {
        item.insert("releasedAt".into(), epoch(t));
    }
}

/// A lease out of a number or pointer item; `None` for a number never leased.
pub(crate) fn decode_lease(item: &Item) -> Result<Option<Lease>, StoreError> {
    let r = Reader::new(item);
    if r.opt_str("agentId").is_none() {
        return Ok(None);
    }
    let active_calls = r
        .strings("activeCalls")
        .into_iter()
        .map(|c| {
            c.parse::<CallId>()
                .map_err(|e| r.corrupt(format!("activeCalls: {e}")))
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(Some(Lease {
        number: r.parse("number")?,
        country: r.parse("country")?,
        agent: r.parse("agentId")?,
        lease_id: r.parse("leaseId")?,
        leased_at: r.epoch("leasedAt")?,
        last_dial_at: r.epoch("lastDialAt")?,
        expires_at: r.epoch("expiresAt")?,
        hold_until: r.epoch("holdUntil")?,
        active_calls,
        fallback: r.strings("fallback"),
        version: r.int("version")?.max(0) as u64,
        released_at: match item.get("releasedAt") {
            Some(_) => Some(r.epoch("releasedAt")?),
            None => None,
        },
    }))
}

pub(crate) fn encode_number(lease: &Lease, available_at: DateTime<Utc>) -> Item {
    let mut item = number_key(&lease.number);
    item.insert("type".into(), s("number"));
    item.insert("poolCountry".into(), s(lease.country.code()));
    item.insert("availableAt".into(), epoch(available_at));
    encode_lease_attrs(&mut item, lease);
    item
}

pub(crate) fn encode_pointer(lease: &Lease, available_at: DateTime<Utc>) -> Item {
    let mut item = pointer_key(&lease.agent);
    item.insert("type".into(), s("agentLease"));
    item.insert("availableAt".into(), epoch(available_at));
    encode_lease_attrs(&mut item, lease);
    // Kept a week past availability: a returning agent gets their number back.
    item.insert(
        TTL_ATTRIBUTE.into(),
        epoch(available_at + chrono::Duration::days(7)),
    );
    item
}

pub(crate) fn encode_agent(a: &AgentProfile) -> Item {
    let mut item = profile_key(&a.id);
    item.insert("type".into(), s("agent"));
    item.insert("agentId".into(), s(a.id.as_str()));
    item.insert("name".into(), s(&a.name));
    if let Some(e) = &a.email {
        item.insert("email".into(), s(e.as_str()));
    }
    if let Some(c) = a
        .country
        .map(|c| c.code().to_string())
        .or_else(|| a.other_country.clone())
    {
        item.insert("country".into(), s(c));
    }
    if let Some(p) = &a.outbound_profile {
        item.insert("outboundProfile".into(), s(p));
    }
    if let Some(u) = &a.platform.connect_user_id {
        item.insert("connectUserId".into(), s(u));
    }
    if let Some(w) = &a.platform.twilio_worker_sid {
        item.insert("twilioWorkerSid".into(), s(w));
    }
    item.insert("sourceNumber".into(), s(a.source_number.as_str()));
    item.insert("numberType".into(), s(a.number_type.as_str()));
    item.insert("recipients".into(), s(a.recipients.joined()));
    item.insert("fallback".into(), strings(&a.fallback));
    item
}

pub(crate) fn decode_agent(item: &Item) -> Result<AgentProfile, StoreError> {
    let r = Reader::new(item);
    Ok(AgentProfile {
        id: r.parse("agentId")?,
        name: r.str("name")?.to_string(),
        email: r.opt_parse("email")?,
        country: r.opt_str("country").and_then(|c| c.parse().ok()),
        other_country: r
            .opt_str("country")
            .filter(|c| c.parse::<Country>().is_err())
            .map(String::from),
        outbound_profile: r.opt_str("outboundProfile").map(String::from),
        platform: lifeline_domain::platform::PlatformIds {
            connect_user_id: r.opt_str("connectUserId").map(String::from),
            twilio_worker_sid: r.opt_str("twilioWorkerSid").map(String::from),
        },
        source_number: r.parse("sourceNumber")?,
        number_type: r.parse("numberType")?,
        recipients: Recipients::parse(r.opt_str("recipients").unwrap_or(""))
            .map_err(|e| r.corrupt(format!("recipients: {e}")))?,
        fallback: r.strings("fallback"),
    })
}

pub(crate) fn decode_tenant(item: &Item) -> TenantSettings {
    let r = Reader::new(item);
    TenantSettings {
        direct_routing_emergency_rule: r.bool("directRoutingEmergencyRule"),
        has_calling_plan_numbers: r.bool("hasCallingPlanNumbers"),
    }
}

pub(crate) fn times(m: &BTreeMap<CallId, DateTime<Utc>>) -> AttributeValue {
    AttributeValue::M(m.iter().map(|(c, t)| (c.to_string(), epoch(*t))).collect())
}

pub(crate) fn encode_presence(
    agent: &AgentId,
    s: &PresenceState,
    view: PresenceView,
    now: DateTime<Utc>,
) -> Item {
    let st = s;
    let s = |v: &str| AttributeValue::S(v.to_string());
    let mut item = presence_key(agent);
    item.insert("type".into(), s("presence"));
    item.insert("agentId".into(), s(agent.as_str()));
    item.insert("reported".into(), s(st.reported.as_str()));
    // What readers were shown at this write: for people and stream consumers.
    item.insert("status".into(), s(view.status.as_str()));
    item.insert(
        "override".into(),
        AttributeValue::Bool(view.override_active),
    );
    // Empty maps are left out: the Rust Streams SDK cannot parse an empty
    // `M` in DynamoDB Local's GetRecords answers.
    if !st.active.is_empty() {
        item.insert("activeCalls".into(), times(&st.active));
    }
    if !st.ended.is_empty() {
        item.insert("endedCalls".into(), times(&st.ended));
    }
    item.insert("updatedAt".into(), s(&rfc3339(now)));
    item.insert("version".into(), n(st.version as i64 + 1));
    item
}

pub(crate) fn decode_presence(item: &Item) -> Result<PresenceState, StoreError> {
    let r = Reader::new(item);
    let calls = |name: &str| -> Result<BTreeMap<CallId, DateTime<Utc>>, StoreError> {
        match item.get(name) {
            Some(AttributeValue::M(m)) => m
                .iter()
                .map(|(c, v)| {
                    let call = c
                        .parse::<CallId>()
                        .map_err(|e| r.corrupt(format!("{name}: {e}")))?;
                    let secs = match v {
                        AttributeValue::N(n) => n.parse::<i64>().ok(),
                        _ => None,
                    };
                    let at = secs
                        .and_then(|s| DateTime::from_timestamp(s, 0))
                        .ok_or_else(|| r.corrupt(format!("{name}: bad time")))?;
                    Ok((call, at))
                })
                .collect(),
            _ => Ok(BTreeMap::new()),
        }
    };
    Ok(PresenceState {
        reported: r.parse("reported")?,
        active: calls("activeCalls")?,
        ended: calls("endedCalls")?,
        version: r.int("version")?.max(0) as u64,
    })
}

pub(crate) fn encode_template(t: &NotificationTemplate, sk: &str, now: DateTime<Utc>) -> Item {
    let mut item = template_key(sk);
    item.insert("type".into(), s("template"));
    item.insert("subject".into(), s(&t.subject));
    item.insert("html".into(), s(&t.html));
    item.insert("text".into(), s(&t.text));
    item.insert("version".into(), n(t.version as i64));
    item.insert("savedAt".into(), s(rfc3339(now)));
    item
}

pub(crate) fn decode_template(item: &Item) -> Result<NotificationTemplate, StoreError> {
    let r = Reader::new(item);
    Ok(NotificationTemplate {
        subject: r.str("subject")?.to_string(),
        html: r.str("html")?.to_string(),
        text: r.str("text")?.to_string(),
        version: r.int("version")?.max(0) as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lifeline_domain::degraded::DegradedReason;
    use lifeline_domain::lease::{LeasePolicy, NewLease};
    use lifeline_domain::route::Route;

    #[test]
    fn call_round_trips() {
        let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: true,
            country: Some(Country::US),
            location: Some(Location {
                country: Some("US".into()),
                address: Some("1 Main St".into()),
                civic: [(CivicKey::RD, "Main St"), (CivicKey::ROOM, "3 <b>")]
                    .into_iter()
                    .map(|(k, v)| (k, v.to_string()))
                    .collect(),
                lat: Some(47.6),
                lon: Some(-122.1),
                radius_m: Some(30.5),
                method: Some(LocationMethod::Wifi),
                determined_at: Some(t),
            }),
            location_source: Some(LocationSource::Registered),
            caller_id: "+14255550199".parse().unwrap(),
            leased_number: Some("+14255550199".parse().unwrap()),
            lease_id: Some("l-1".parse().unwrap()),
            callback_expires_at: Some(t),
            route: Route::DirectRouting,
            degraded: false,
            reason: Some(DegradedReason::AgentProfileMissing),
            dialed_at: t,
            desktop_time: Some(t),
            ended_at: Some(t),
        };
        assert_eq!(decode_call(&encode_call(&call, t)).unwrap(), call);
        // A record from before sources were kept: its location was the dial's.
        let mut old = encode_call(&call, t);
        old.remove("locationSource");
        assert_eq!(
            decode_call(&old).unwrap().location_source,
            Some(LocationSource::Call)
        );
    }

    #[test]
    fn a_registered_location_round_trips_and_an_unknown_key_is_corrupt() {
        let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let agent: AgentId = "a-42".parse().unwrap();
        let r = RegisteredLocation {
            location: Location {
                country: Some("GB".into()),
                civic: [(CivicKey::HNO, "10"), (CivicKey::RD, "Downing St")]
                    .into_iter()
                    .map(|(k, v)| (k, v.to_string()))
                    .collect(),
                ..Default::default()
            },
            registered_at: t,
        };
        let item = encode_registered_location(&agent, &r, t);
        assert_eq!(decode_registered_location(&item).unwrap(), r);
        let mut bad = item.clone();
        if let Some(AttributeValue::M(l)) = bad.get_mut("location") {
            l.insert(
                "civic".into(),
                AttributeValue::M(HashMap::from([("XYZ".to_string(), s("1"))])),
            );
        }
        assert!(decode_registered_location(&bad).is_err());
    }

    #[test]
    fn lease_round_trips_on_both_items() {
        let t = DateTime::from_timestamp(1_795_496_400, 0).unwrap();
        let p = LeasePolicy::default();
        let l = p.start(
            NewLease {
                id: "l-1".parse().unwrap(),
                number: "+14255550199".parse().unwrap(),
                country: Country::US,
                agent: "a-42".parse().unwrap(),
                call: "c-1".parse().unwrap(),
                fallback: vec!["q".into()],
            },
            t,
        );
        assert_eq!(
            decode_lease(&encode_number(&l, t)).unwrap(),
            Some(l.clone())
        );
        assert_eq!(
            decode_lease(&encode_pointer(&l, t)).unwrap(),
            Some(l.clone())
        );
        let ended = p.on_end(&l, &"c-1".parse().unwrap(), t).unwrap();
        let item = encode_number(&ended, t);
        assert!(
            !item.contains_key("activeCalls"),
            "an empty string set is not allowed"
        );
        assert_eq!(decode_lease(&item).unwrap(), Some(ended));
    }
}

#[cfg(test)]
mod reason_tests;

#[cfg(test)]
mod golden_tests;
