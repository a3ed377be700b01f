//! The e-mail's data: every variable a template may use, worked out from
//! a call (pure).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::call::{AgentProfile, EmergencyCall, Location};
use crate::locale::Locale;
use crate::location::{spoken_lines, LocationQuality, LocationSource};
use crate::numbers::Country;
use crate::route::Route;
use crate::types::E164;

/// Everything a template may use (and nothing else: an unknown variable is an error).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationData {
    pub test: bool,
    pub dialed: String,
    pub emergency_number: String,
    pub agent_name: String,
    pub agent_email: Option<String>,
    pub dialed_at_utc: String,
    pub dialed_at_local: Option<String>,
    pub callback_number: String,
    /// The callback window: the number stays the agent's until this many
    /// minutes after the call ends (after the end of the agent's last
    /// emergency call; `LIFELINE_CALLBACK_WINDOW_MINUTES`).
    pub callback_window_minutes: i64,
    /// When the window ends, only when that is known at send time (the call
    /// had already ended): never a guess from the dial time.
    pub callback_valid_until: Option<String>,
    pub callback_is_agent_number: bool,
    /// A location is known: the dial's own, or the agent's registered one.
    pub location_provided: bool,
    /// The location as lines a person reads aloud (name, floor and room,
    /// street and number, city, region and postcode, country); empty when
    /// only coordinates or the country are known.
    pub location_lines: Vec<String>,
    /// `dispatchable`, `partial` or `country_only` (none: nothing known).
    pub location_quality: Option<String>,
    pub location_quality_description: Option<String>,
    /// `call`, `registered` or `profile_country`.
    pub location_source: Option<String>,
    pub location_source_description: Option<String>,
    /// The free text the desktop sent, as sent.
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// The coordinates' uncertainty, in whole metres.
    pub radius_m: Option<u32>,
    pub country: Option<String>,
    pub route: String,
    pub route_description: String,
    /// A short reference to the call (not its id).
    pub reference: String,
    /// Sent to the configured fallback recipients (the security desk)
    /// because the agent's own list could not be used.
    pub sent_to_fallback: bool,
    /// The dial time of day (`05:00 UTC`), for the short texts (SMS, chat).
    pub dialed_time_utc: String,
    /// This recipient's own acknowledgement link (`…/ack/<token>`), filled
    /// by the sender per recipient; none when it has none to give.
    pub ack_link: Option<String>,
    /// An escalation: the tier it goes to (1 is the first after the alert).
    pub escalation_tier: Option<u32>,
    /// An escalation: the minutes the alert went unacknowledged.
    pub escalation_minutes: Option<i64>,
    /// A follow-up: how long the call lasted (`4:05`, `1:02:03`).
    pub duration: Option<String>,
    pub duration_seconds: Option<i64>,
    /// A follow-up: whether the emergency service called back.
    pub callback_received: Option<bool>,
    /// A follow-up: the call was shorter than the misdial threshold.
    pub possible_misdial: bool,
    /// A follow-up: the misdial threshold, in seconds.
    pub misdial_threshold_seconds: Option<i64>,
    /// A correction: the callback number the first message named.
    pub previous_callback_number: Option<String>,
}

pub const VARIABLES: [&str; 36] = [
    "test",
    "dialed",
    "emergency_number",
    "agent_name",
    "agent_email",
    "dialed_at_utc",
    "dialed_at_local",
    "callback_number",
    "callback_window_minutes",
    "callback_valid_until",
    "callback_is_agent_number",
    "location_provided",
    "location_lines",
    "location_quality",
    "location_quality_description",
    "location_source",
    "location_source_description",
    "address",
    "latitude",
    "longitude",
    "radius_m",
    "country",
    "route",
    "route_description",
    "reference",
    "sent_to_fallback",
    "dialed_time_utc",
    "ack_link",
    "escalation_tier",
    "escalation_minutes",
    "duration",
    "duration_seconds",
    "callback_received",
    "possible_misdial",
    "misdial_threshold_seconds",
    "previous_callback_number",
];

/// What the data says when no callback number is known.
pub(super) const UNKNOWN_NUMBER: &str = "not known (no number could be presented)";

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The local time zone a location gives: the country's, or, in the US and
/// Canada, one told by the longitude (approximate; no tz shapes shipped).
pub fn local_zone(l: &Location) -> Option<chrono_tz::Tz> {
    use chrono_tz::America as Am;
    let country = l
        .country
        .as_deref()
        .and_then(|c| c.parse::<Country>().ok())?;
    match (country, l.lat, l.lon) {
        (Country::GB, ..) => Some(chrono_tz::Europe::London),
        (Country::DK, ..) => Some(chrono_tz::Europe::Copenhagen),
        (Country::PR, ..) => Some(Am::Puerto_Rico),
        (Country::US, Some(lat), Some(lon)) => Some(match lon {
            _ if lat < 23.0 && lon < -150.0 => chrono_tz::Pacific::Honolulu,
            _ if lon < -130.0 => Am::Anchorage,
            _ if lon < -114.5 => Am::Los_Angeles,
            _ if lon < -101.0 => Am::Denver,
            _ if lon < -85.5 => Am::Chicago,
            _ => Am::New_York,
        }),
        (Country::CA, Some(_), Some(lon)) => Some(match lon {
            _ if lon < -120.0 => Am::Vancouver,
            _ if lon < -110.0 => Am::Edmonton,
            _ if lon < -101.5 => Am::Regina,
            _ if lon < -89.0 => Am::Winnipeg,
            _ if lon < -61.0 => Am::Toronto,
            _ if lon < -57.0 => Am::Halifax,
            _ => Am::St_Johns,
        }),
        _ => None,
    }
}

pub(super) fn quality_description(q: LocationQuality) -> &'static str {
    match q {
        LocationQuality::Dispatchable => "Dispatchable: the street address is complete",
        LocationQuality::Partial => {
            "Partial: not enough to reach the door; confirm the address with the agent"
        }
        LocationQuality::CountryOnly => "Country only: no address is known",
    }
}

pub(super) fn source_description(s: LocationSource) -> &'static str {
    match s {
        LocationSource::Call => "sent by the agent's desktop with the call",
        LocationSource::Registered => "the location the agent registered (none came with the call)",
        LocationSource::ProfileCountry => {
            "the agent profile's country (no location came with the call or was registered)"
        }
    }
}

pub(super) fn route_description(route: Route) -> &'static str {
    match route {
        Route::DirectOffer => "Direct offer (calling plan)",
        Route::DirectRouting => "Direct routing (through the carrier's trunk)",
    }
}

/// The e-mail's data for a call (pure). `window` is the callback window
/// (`LeasePolicy::window`): the leased number stays the agent's until that
/// long after the end of the agent's last emergency call, so the end of it is
/// stated only once the call has ended.
pub fn notification_data(
    call: &EmergencyCall,
    agent: Option<&AgentProfile>,
    window: chrono::Duration,
) -> NotificationData {
    let local = call.location.as_ref().and_then(local_zone).map(|tz| {
        let t = call.dialed_at.with_timezone(&tz);
        format!("{} {}", t.format("%Y-%m-%d %H:%M"), t.format("%Z"))
    });
    let reference =
        hex::encode(&Sha256::digest(call.call_id.as_str().as_bytes())[..4]).to_uppercase();
    let quality = call.location_quality();
    NotificationData {
        test: call.test,
        dialed: call.dialed.clone(),
        emergency_number: call.emergency_number.clone(),
        agent_name: agent.map_or_else(|| format!("Agent {}", call.agent_id), |a| a.name.clone()),
        agent_email: agent
            .and_then(|a| a.email.as_ref())
            .map(|e| e.as_str().to_string()),
        dialed_at_utc: utc(call.dialed_at),
        dialed_at_local: local,
        callback_number: if call.caller_id.is_unknown() {
            UNKNOWN_NUMBER.into()
        } else {
            call.caller_id.to_string()
        },
        callback_window_minutes: window.num_minutes(),
        callback_valid_until: call
            .ended_at
            .filter(|_| call.leased_number.is_some())
            // Never earlier than the lease's own end when dialed (an earlier
            // call's window may reach further).
            .map(|end| {
                utc(call
                    .callback_expires_at
                    .map_or(end + window, |e| e.max(end + window)))
            }),
        callback_is_agent_number: call.leased_number.is_none(),
        location_provided: call.location.is_some(),
        location_lines: call
            .conveyed_location()
            .map(|l| spoken_lines(&l))
            .unwrap_or_default(),
        location_quality: quality.map(|q| q.as_str().to_string()),
        location_quality_description: quality.map(|q| quality_description(q).to_string()),
        location_source: call.location_source.map(|s| s.as_str().to_string()),
        location_source_description: call
            .location_source
            .map(|s| source_description(s).to_string()),
        address: call.location.as_ref().and_then(|l| l.address.clone()),
        latitude: call
            .location
            .as_ref()
            .and_then(|l| l.coordinates())
            .map(|c| c.0),
        longitude: call
            .location
            .as_ref()
            .and_then(|l| l.coordinates())
            .map(|c| c.1),
        radius_m: call
            .location
            .as_ref()
            .filter(|l| l.coordinates().is_some())
            .and_then(|l| l.radius_m)
            // Validated to 0..=1 000 000 m.
            .map(|r| r.round() as u32),
        country: call
            .location
            .as_ref()
            .and_then(|l| l.country.clone())
            .or_else(|| call.country.map(|c| c.code().to_string())),
        route: call.route.as_str().to_string(),
        route_description: route_description(call.route).to_string(),
        reference,
        sent_to_fallback: false,
        dialed_time_utc: call.dialed_at.format("%H:%M UTC").to_string(),
        ack_link: None,
        escalation_tier: None,
        escalation_minutes: None,
        duration: None,
        duration_seconds: None,
        callback_received: None,
        possible_misdial: false,
        misdial_threshold_seconds: None,
        previous_callback_number: None,
    }
}

/// `4:05` under an hour, `1:02:03` from one; never negative.
fn clock_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match (s / 3600, s % 3600 / 60, s % 60) {
        (0, m, s) => format!("{m}:{s:02}"),
        (h, m, s) => format!("{h}:{m:02}:{s:02}"),
    }
}

impl NotificationData {
    /// This recipient's acknowledgement link (the caller makes the token).
    pub fn with_ack_link(mut self, link: impl Into<String>) -> Self {
        self.ack_link = Some(link.into());
        self
    }

    /// The data of an escalation to `tier`: nobody acknowledged within `after`.
    pub fn escalated(mut self, tier: u32, after: Duration) -> Self {
        self.escalation_tier = Some(tier);
        self.escalation_minutes = Some(after.num_minutes());
        self
    }

    /// The data of the follow-up of a call that lasted `duration`: a call
    /// shorter than `misdial_under` is flagged a possible misdial.
    pub fn ended(
        mut self,
        duration: Duration,
        callback_received: bool,
        misdial_under: Duration,
    ) -> Self {
        self.duration = Some(clock_duration(duration));
        self.duration_seconds = Some(duration.num_seconds().max(0));
        self.callback_received = Some(callback_received);
        self.possible_misdial = duration < misdial_under;
        self.misdial_threshold_seconds = Some(misdial_under.num_seconds());
        self
    }

    /// The data of a correction of a message that named `previous`.
    pub fn corrected_from(mut self, previous: &E164) -> Self {
        self.previous_callback_number = Some(previous.to_string());
        self
    }

    /// The descriptions the data holds (location quality and source, route,
    /// an unknown number), in `locale`'s words; the codes stay as they are.
    pub fn localized(mut self, locale: Locale) -> Self {
        let words = &super::locales::phrases(locale).data;
        let pick = |code: &Option<String>, codes: &[&str], words: &[&'static str]| {
            code.as_deref()
                .and_then(|c| codes.iter().position(|k| *k == c))
                .and_then(|i| words.get(i))
                .map(|w| w.to_string())
        };
        // In the order of the words' lists.
        let qualities = [
            LocationQuality::Dispatchable,
            LocationQuality::Partial,
            LocationQuality::CountryOnly,
        ]
        .map(|q| q.as_str());
        let sources = [
            LocationSource::Call,
            LocationSource::Registered,
            LocationSource::ProfileCountry,
        ]
        .map(|s| s.as_str());
        if let Some(w) = pick(&self.location_quality, &qualities, &words.quality) {
            self.location_quality_description = Some(w);
        }
        if let Some(w) = pick(&self.location_source, &sources, &words.source) {
            self.location_source_description = Some(w);
        }
        let routes = [Route::DirectOffer.as_str(), Route::DirectRouting.as_str()];
        if let Some(w) = pick(&Some(self.route.clone()), &routes, &words.route) {
            self.route_description = w;
        }
        if self.callback_number == UNKNOWN_NUMBER {
            self.callback_number = words.unknown_number.to_string();
        }
        self
    }
}
