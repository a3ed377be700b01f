//! The dial's first steps: what its digits and location say it is, the
//! location to use, and the country it is an emergency call in.

use chrono::{DateTime, Utc};

use lifeline_domain::call::{OutboundAnswer, OutboundDial};
use lifeline_domain::classify::{classify, match_with_profile, Classification, ProfileMatch};
use lifeline_domain::degraded::DegradedReason;
use lifeline_domain::location::{resolve, LocationSource};
use lifeline_domain::numbers::EmergencyMatch;

use super::DialService;
use crate::ports::{DialContext, DialStore};

/// A dial answered `continue`: ordinary, or passed through with a reason.
pub(super) struct PassThrough(Option<DegradedReason>);

impl PassThrough {
    pub(super) fn answer(self) -> OutboundAnswer {
        OutboundAnswer::Continue { reason: self.0 }
    }
}

impl<S: DialStore + 'static> DialService<S> {
    /// What the dial is from its digits and location: the emergency match
    /// when the country is known, `None` when the profile must tell it, or
    /// the answer already (an ordinary call, an unsupported location).
    pub(super) fn recognise(
        &self,
        dial: &OutboundDial,
    ) -> Result<Option<EmergencyMatch>, PassThrough> {
        match classify(dial, &self.settings.outside_line_prefix) {
            Classification::Ordinary => Err(PassThrough(None)),
            Classification::UnsupportedLocation if !self.settings.lease_unsupported_locations => {
                tracing::warn!(call_id = %dial.call_id, agent_id = %dial.agent_id,
                    "emergency-looking dial from an unsupported location; passed through");
                Err(PassThrough(Some(DegradedReason::UnsupportedLocation)))
            }
            Classification::Emergency(m) => Ok(Some(m)),
            Classification::UnsupportedLocation | Classification::NeedsProfileCountry => Ok(None),
        }
    }

    /// The dial with the agent's registered location in place of the
    /// dial's own, when that is the one to use (docs/contract.md).
    pub(super) fn with_registered_location(
        &self,
        dial: &OutboundDial,
        ctx: &DialContext,
        now: DateTime<Utc>,
    ) -> Option<OutboundDial> {
        let fresh_for = self.settings.location_fresh_for;
        let resolved = resolve(dial.location.as_ref(), ctx.registered.as_ref(), |r| {
            r.is_fresh(now, fresh_for)
        });
        (resolved.source == Some(LocationSource::Registered)).then(|| OutboundDial {
            location: resolved.location,
            registered_location: true,
            ..dial.clone()
        })
    }

    /// The country the dial is an emergency call in: the one its location
    /// gave, else the agent's profile's.
    pub(super) fn country_of(
        &self,
        dial: &OutboundDial,
        known: Option<EmergencyMatch>,
        ctx: &DialContext,
    ) -> ProfileMatch {
        match known {
            Some(m) => ProfileMatch::Emergency(m),
            None => {
                let profile_country = ctx.agent.as_ref().and_then(|a| a.country);
                match_with_profile(dial, profile_country, &self.settings.outside_line_prefix)
            }
        }
    }
}
