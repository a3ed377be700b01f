//! English. The alert's e-mail is today's template, as an admin edits it.

use super::{DataWords, Labels, Phrases};

pub(super) const ALERT_SUBJECT: &str =
    include_str!("../../../../../../infra/templates/emergency-call-notification/subject.txt");
pub(super) const ALERT_HTML: &str =
    include_str!("../../../../../../infra/templates/emergency-call-notification/body.html");
pub(super) const ALERT_TEXT: &str =
    include_str!("../../../../../../infra/templates/emergency-call-notification/body.txt");

pub(super) const PHRASES: Phrases = Phrases {
    test: "TEST",
    test_banner: "{{ dialed }} is the address-test number, not a real emergency.",
    fallback_note: "You receive this as a fallback recipient: the agent's own notification list could not be used.",
    subject: [
        "Emergency call to {{ dialed }} by {{ agent_name }}",
        "ESCALATED: emergency call to {{ dialed }} by {{ agent_name }} not acknowledged",
        "Emergency call to {{ dialed }} by {{ agent_name }} ended{% if possible_misdial %} (possible misdial){% endif %}",
        "CORRECTION: emergency call by {{ agent_name }}: the callback number is {{ callback_number }}",
    ],
    heading: [
        "Emergency call placed",
        "Escalated: emergency call not acknowledged",
        "Emergency call ended",
        "Correction: callback number",
    ],
    who: "{{ agent_name }} dialed {{ dialed }}{% if emergency_number != dialed %} (placed as {{ emergency_number }}){% endif %}",
    escalated: "Nobody acknowledged this emergency call within {{ escalation_minutes }} minutes: it is escalated to you (tier {{ escalation_tier }}).",
    ended: "The emergency call ended after {{ duration }}.",
    correction_intro: "Correction to the emergency call notification for {{ agent_name }} (dialed {{ dialed }} at {{ dialed_at_utc }}).",
    corrected: "The emergency service was shown {{ callback_number }}{% if callback_is_agent_number %} (the agent's own number){% endif %}, not {{ previous_callback_number }}: a call back comes from the emergency service to {{ callback_number }}. {{ previous_callback_number }} was never presented to it.",
    stands: "Everything else in the first message stands.",
    labels: Labels {
        when: "When",
        callback: "Callback number",
        location: "Location",
        route: "Route",
        duration: "Duration",
        source: "Source",
        reference: "Reference",
        ack: "Acknowledge",
    },
    colon: ": ",
    local: "local",
    window: "valid until {{ callback_window_minutes }} minutes after the call ends{% if callback_valid_until %}, that is until {{ callback_valid_until }}{% endif %}",
    own_number: "the agent's own number: no callback number could be leased",
    no_location: "Location not provided by the agent's desktop",
    profile_country: "agent profile country",
    within: "within {{ radius_m }} m",
    callback_came: "The emergency service called back.",
    callback_none: "No callback from the emergency service was recorded.",
    misdial: "Possible misdial: the call lasted less than {{ misdial_threshold_seconds }} seconds.",
    callback_note: "The emergency service may call back the number above; the call goes straight to {{ agent_name }}.",
    ack_note: "Let the others know you have seen this:",
    sms: [
        "{% if test %}TEST {% endif %}EMERGENCY CALL: {{ agent_name }} dialed {{ dialed }}, {{ dialed_time_utc }}. Callback {{ callback_number }}{% if callback_is_agent_number %} (own number){% else %} until {{ callback_window_minutes }} min after the call{% endif %}. Where: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}unknown{% endif %}.{% if ack_link %} Ack: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}ESCALATED, not acknowledged in {{ escalation_minutes }} min: {{ agent_name }} dialed {{ dialed }}, {{ dialed_time_utc }}. Callback {{ callback_number }}. Where: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}unknown{% endif %}.{% if ack_link %} Ack: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}Emergency call {{ dialed }} by {{ agent_name }} ended after {{ duration }}.{% if possible_misdial %} Possible misdial.{% endif %}{% if callback_received %} The emergency service called back.{% else %} No callback yet.{% endif %} Callback {{ callback_number }}{% if not callback_is_agent_number %} until {{ callback_window_minutes }} min after the call{% endif %}.{% if ack_link %} Ack: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}CORRECTION, emergency call {{ dialed }} by {{ agent_name }}: the callback comes to {{ callback_number }}, not {{ previous_callback_number }}.{% if ack_link %} Ack: {{ ack_link }}{% endif %}",
    ],
    data: DataWords {
        quality: [
            "Dispatchable: the street address is complete",
            "Partial: not enough to reach the door; confirm the address with the agent",
            "Country only: no address is known",
        ],
        source: [
            "sent by the agent's desktop with the call",
            "the location the agent registered (none came with the call)",
            "the agent profile's country (no location came with the call or was registered)",
        ],
        route: [
            "Direct offer (calling plan)",
            "Direct routing (through the carrier's trunk)",
        ],
        unknown_number: "not known (no number could be presented)",
    },
};
