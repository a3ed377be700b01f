//! Emergency calls, agent profiles and the answers Lifeline gives (the wire contract: docs/contract.md).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::degraded::DegradedReason;
use super::numbers::Country;
use super::recipient::Recipients;
use super::route::{NumberType, Route};
use super::types::{AgentId, CallId, Email, LeaseId, E164};

pub use super::location::Location;
use super::location::{grade, pidf, LocationQuality, LocationSource};

/// A validated `POST /calls/outbound`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundDial {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub dialed: String,
    pub from: E164,
    pub location: Option<Location>,
    /// The location is the agent's registered one (the dial brought none
    /// of its own, or only its country).
    pub registered_location: bool,
    pub timestamp: Option<DateTime<Utc>>,
}

impl OutboundDial {
    /// Where this dial's location came from, once its country is known.
    pub fn location_source(&self, country: Option<Country>) -> Option<LocationSource> {
        match &self.location {
            Some(_) if self.registered_location => Some(LocationSource::Registered),
            Some(_) => Some(LocationSource::Call),
            None => country.map(|_| LocationSource::ProfileCountry),
        }
    }
}

/// A validated `POST /calls/ended`.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEnded {
    pub call_id: CallId,
    pub agent_id: AgentId,
    pub timestamp: Option<DateTime<Utc>>,
}

/// A validated `POST /calls/inbound`.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundCall {
    pub call_id: CallId,
    pub to: E164,
    pub from: Option<E164>,
    /// RFC 7090 marking of a PSAP callback, when the carrier sends it.
    pub sip_priority: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentProfile {
    pub id: AgentId,
    pub name: String,
    pub email: Option<Email>,
    pub country: Option<Country>,
    /// A home country Lifeline does not support, as given (readiness reports it).
    pub other_country: Option<String>,
    pub source_number: E164,
    pub number_type: NumberType,
    pub recipients: Recipients,
    pub fallback: Vec<String>,
    /// The voice platform's outbound voice profile for emergency calls
    /// (linked to the agent's capacity profile there).
    pub outbound_profile: Option<String>,
    /// The agent's user on Amazon Connect, worker on Twilio TaskRouter.
    pub platform: crate::platform::PlatformIds,
}

/// The record of one emergency call, which is also the answer given for it:
/// a repeated webhook gets the same answer back from it.
#[derive(Debug, Clone, PartialEq)]
pub struct EmergencyCall {
    pub call_id: CallId,
    pub agent_id: AgentId,
    /// Digits dialed, separators and outside-line prefix removed.
    pub dialed: String,
    /// The number placed.
    pub emergency_number: String,
    pub test: bool,
    pub country: Option<Country>,
    pub location: Option<Location>,
    pub location_source: Option<LocationSource>,
    pub caller_id: E164,
    pub leased_number: Option<E164>,
    pub lease_id: Option<LeaseId>,
    pub callback_expires_at: Option<DateTime<Utc>>,
    pub route: Route,
    pub degraded: bool,
    pub reason: Option<DegradedReason>,
    /// When the call was dialed: the server's time, whatever the desktop's
    /// clock says.
    pub dialed_at: DateTime<Utc>,
    /// The desktop's own timestamp, kept for the record when it is within
    /// [`DESKTOP_CLOCK_TOLERANCE_MINUTES`] of the server's time (else it says nothing).
    pub desktop_time: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// How far a desktop's clock may be from the server's for its timestamp to
/// be kept on the record.
pub const DESKTOP_CLOCK_TOLERANCE_MINUTES: i64 = 5;

/// The desktop's timestamp, when it is believable next to the server's `now`.
pub fn desktop_time(timestamp: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let tolerance = chrono::Duration::minutes(DESKTOP_CLOCK_TOLERANCE_MINUTES);
    timestamp.filter(|t| (*t - now).abs() <= tolerance)
}

impl EmergencyCall {
    /// How good the call's location is for a responder (`None`: nothing
    /// known, not even the country).
    pub fn location_quality(&self) -> Option<LocationQuality> {
        grade(self.location.as_ref(), self.country.is_some())
    }

    /// The location conveyed to the emergency service: the call's, with
    /// the call's country where the location has none.
    pub fn conveyed_location(&self) -> Option<Location> {
        let country = self.country.map(|c| c.code().to_string());
        match &self.location {
            Some(l) => Some(Location {
                country: l.country.clone().or(country),
                ..l.clone()
            }),
            None => country.map(|c| Location {
                country: Some(c),
                ..Location::default()
            }),
        }
    }

    /// The PIDF-LO document of the conveyed location, stamped with the
    /// dial's time: a location determined a day before would otherwise be
    /// past RFC 4119's default retention when it arrives.
    pub fn pidf_lo(&self) -> Option<String> {
        self.conveyed_location()
            .map(|l| pidf::render(self.agent_id.as_str(), &l, self.dialed_at))
    }
}

pub use crate::types::rfc3339;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Panel {
    pub controls: [&'static str; 2],
    pub banner: &'static str,
    pub form: PanelForm,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PanelForm {
    pub save: bool,
    pub refresh: bool,
}

impl Panel {
    /// The desktop shows only device settings and Hang up, with a banner.
    pub fn emergency() -> Self {
        Panel {
            controls: ["device_settings", "hang_up"],
            banner: "Emergency call in progress",
            form: PanelForm {
                save: false,
                refresh: false,
            },
        }
    }
}

/// The answer to `POST /calls/outbound`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OutboundAnswer {
    #[serde(rename_all = "camelCase")]
    Emergency {
        call_id: String,
        emergency_number: String,
        test: bool,
        caller_id: String,
        callback_expires_at: Option<String>,
        route: &'static str,
        record: bool,
        transcribe: bool,
        history: bool,
        panel: Panel,
        degraded: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<DegradedReason>,
        /// Present (as `false`) only when no location is known (neither
        /// the dial's nor a registered one).
        #[serde(skip_serializing_if = "is_true")]
        location_provided: bool,
        /// What is known of where the caller is (none: nothing at all).
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        location: Option<Box<LocationAnswer>>,
    },
    Continue {
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<DegradedReason>,
    },
}

/// The location part of an emergency answer (docs/contract.md, "The dial").
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LocationAnswer {
    pub location_quality: LocationQuality,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location_source: Option<LocationSource>,
    /// The PIDF-LO document (RFC 4119/5139/5491), for a platform that
    /// conveys location (a SIP `Geolocation` header, RFC 6442).
    pub pidf_lo: String,
}

fn is_true(b: &bool) -> bool {
    *b
}

impl OutboundAnswer {
    pub fn ordinary() -> Self {
        OutboundAnswer::Continue { reason: None }
    }

    pub fn emergency(call: &EmergencyCall) -> Self {
        OutboundAnswer::Emergency {
            // The platform's id, also for a call recorded at a later
            // position under it.
            call_id: call.call_id.platform().to_string(),
            emergency_number: call.emergency_number.clone(),
            test: call.test,
            caller_id: call.caller_id.to_string(),
            callback_expires_at: call.callback_expires_at.map(rfc3339),
            route: call.route.as_str(),
            record: false,
            transcribe: false,
            history: false,
            panel: Panel::emergency(),
            degraded: call.degraded,
            reason: call.reason,
            location_provided: call.location.is_some(),
            location: call.location_quality().zip(call.pidf_lo()).map(
                |(location_quality, pidf_lo)| {
                    Box::new(LocationAnswer {
                        location_quality,
                        location_source: call.location_source,
                        pidf_lo,
                    })
                },
            ),
        }
    }

    pub fn is_emergency(&self) -> bool {
        matches!(self, OutboundAnswer::Emergency { .. })
    }
}

/// The answer to `POST /calls/inbound`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum InboundAnswer {
    #[serde(rename_all = "camelCase")]
    ConnectAgent {
        agent_id: String,
        priority: &'static str,
        bypass: [&'static str; 3],
        fallback: Vec<String>,
        record: bool,
        history: bool,
    },
    Continue {},
}

impl InboundAnswer {
    pub fn connect(agent: &AgentId, fallback: Vec<String>) -> Self {
        InboundAnswer::ConnectAgent {
            agent_id: agent.to_string(),
            priority: "emergency",
            bypass: ["routing_rules", "capacity", "presence"],
            fallback,
            record: false,
            history: false,
        }
    }
}

/// What a call record's change says about the agent's emergency calls (the
/// table's stream, as the side-effect functions see it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallChange {
    Started {
        agent: AgentId,
        call: CallId,
        at: DateTime<Utc>,
    },
    Ended {
        agent: AgentId,
        call: CallId,
        at: DateTime<Utc>,
    },
}

impl CallChange {
    pub fn agent(&self) -> &AgentId {
        match self {
            CallChange::Started { agent, .. } | CallChange::Ended { agent, .. } => agent,
        }
    }
}

/// Dials for the domain's unit tests.
#[cfg(test)]
pub(crate) mod samples {
    use super::{Location, OutboundDial};

    /// Agent a-42 (own number +14255550100) dials `dialed` from `country`.
    pub fn dial(dialed: &str, country: Option<&str>) -> OutboundDial {
        OutboundDial {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: dialed.into(),
            from: "+14255550100".parse().unwrap(),
            location: country.map(|c| Location {
                country: Some(c.into()),
                address: None,
                lat: None,
                lon: None,
                ..Default::default()
            }),
            registered_location: false,
            timestamp: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emergency_answer_matches_the_contract() {
        let call = EmergencyCall {
            call_id: "c-1".parse().unwrap(),
            agent_id: "a-42".parse().unwrap(),
            dialed: "911".into(),
            emergency_number: "911".into(),
            test: false,
            country: Some(Country::US),
            location: Some(Location {
                country: Some("US".into()),
                address: None,
                lat: None,
                lon: None,
                ..Default::default()
            }),
            location_source: Some(LocationSource::Call),
            caller_id: "+14255550199".parse().unwrap(),
            leased_number: Some("+14255550199".parse().unwrap()),
            lease_id: None,
            callback_expires_at: Some(
                DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
                    .unwrap()
                    .with_timezone(&Utc),
            ),
            route: Route::DirectOffer,
            degraded: false,
            reason: None,
            dialed_at: DateTime::from_timestamp(1_795_496_400, 0).unwrap(),
            desktop_time: None,
            ended_at: None,
        };
        let mut v = serde_json::to_value(OutboundAnswer::emergency(&call)).unwrap();
        let pidf = v.as_object_mut().unwrap().remove("pidfLo").unwrap();
        assert_eq!(pidf.as_str(), call.pidf_lo().as_deref());
        assert_eq!(
            v,
            json!({"action":"emergency","callId":"c-1","emergencyNumber":"911","test":false,
             "callerId":"+14255550199","callbackExpiresAt":"2026-11-24T06:00:00Z",
             "route":"direct_offer","record":false,"transcribe":false,"history":false,
             "panel":{"controls":["device_settings","hang_up"],"banner":"Emergency call in progress",
                      "form":{"save":false,"refresh":false}},
             "degraded":false,"locationQuality":"country_only","locationSource":"call"})
        );
    }

    #[test]
    fn continue_and_connect() {
        assert_eq!(
            serde_json::to_value(OutboundAnswer::ordinary()).unwrap(),
            json!({"action":"continue"})
        );
        assert_eq!(
            serde_json::to_value(InboundAnswer::Continue {}).unwrap(),
            json!({"action":"continue"})
        );
        let v = serde_json::to_value(InboundAnswer::connect(
            &"a-42".parse().unwrap(),
            vec!["q".into()],
        ))
        .unwrap();
        assert_eq!(
            v,
            json!({"action":"connect_agent","agentId":"a-42","priority":"emergency",
                   "bypass":["routing_rules","capacity","presence"],"fallback":["q"],
                   "record":false,"history":false})
        );
    }
}
