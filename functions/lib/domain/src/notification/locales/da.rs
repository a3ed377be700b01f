//! Danish. Æ, ø and å are in the GSM-7 alphabet: the SMS texts need no
//! care beyond their length.

use super::{DataWords, Labels, Phrases};

pub(super) const PHRASES: Phrases = Phrases {
    test: "TEST",
    test_banner: "{{ dialed }} er nummeret til test af adressen, ikke en rigtig nødsituation.",
    fallback_note: "Du modtager denne besked som reservemodtager: Agentens egen underretningsliste kunne ikke bruges.",
    subject: [
        "Nødopkald til {{ dialed }} fra {{ agent_name }}",
        "ESKALERET: nødopkald til {{ dialed }} fra {{ agent_name }} ikke kvitteret",
        "Nødopkald til {{ dialed }} fra {{ agent_name }} afsluttet{% if possible_misdial %} (muligvis fejlopkald){% endif %}",
        "RETTELSE: nødopkald fra {{ agent_name }}: tilbagekaldsnummeret er {{ callback_number }}",
    ],
    heading: [
        "Nødopkald foretaget",
        "Eskaleret: nødopkald ikke kvitteret",
        "Nødopkald afsluttet",
        "Rettelse: tilbagekaldsnummer",
    ],
    who: "{{ agent_name }} ringede til {{ dialed }}{% if emergency_number != dialed %} (stillet igennem som {{ emergency_number }}){% endif %}",
    escalated: "Ingen har kvitteret for dette nødopkald inden for {{ escalation_minutes }} minutter: Det eskaleres til dig (niveau {{ escalation_tier }}).",
    ended: "Nødopkaldet sluttede efter {{ duration }}.",
    correction_intro: "Rettelse til underretningen om nødopkaldet fra {{ agent_name }} (ringede til {{ dialed }} den {{ dialed_at_utc }}).",
    corrected: "Alarmcentralen fik vist {{ callback_number }}{% if callback_is_agent_number %} (agentens eget nummer){% endif %}, ikke {{ previous_callback_number }}: Et tilbagekald fra alarmcentralen går til {{ callback_number }}. {{ previous_callback_number }} blev aldrig vist for den.",
    stands: "Alt andet i den første besked gælder stadig.",
    labels: Labels {
        when: "Tidspunkt",
        callback: "Tilbagekaldsnummer",
        location: "Placering",
        route: "Rute",
        duration: "Varighed",
        source: "Kilde",
        reference: "Reference",
        ack: "Kvittér",
    },
    colon: ": ",
    local: "lokal tid",
    window: "gælder indtil {{ callback_window_minutes }} minutter efter opkaldets afslutning{% if callback_valid_until %}, dvs. indtil {{ callback_valid_until }}{% endif %}",
    own_number: "agentens eget nummer: Der kunne ikke tildeles et tilbagekaldsnummer",
    no_location: "Placering ikke oplyst af agentens arbejdsstation",
    profile_country: "land i agentens profil",
    within: "inden for {{ radius_m }} m",
    callback_came: "Alarmcentralen har ringet tilbage.",
    callback_none: "Der er ikke registreret noget tilbagekald fra alarmcentralen.",
    misdial: "Muligvis fejlopkald: Opkaldet varede under {{ misdial_threshold_seconds }} sekunder.",
    callback_note: "Alarmcentralen kan ringe tilbage til nummeret ovenfor; opkaldet går direkte til {{ agent_name }}.",
    ack_note: "Vis de andre, at du har set dette:",
    sms: [
        "{% if test %}TEST {% endif %}NØDOPKALD: {{ agent_name }} ringede til {{ dialed }}, {{ dialed_time_utc }}. Tilbagekald: {{ callback_number }}{% if callback_is_agent_number %} (eget nummer){% else %} ({{ callback_window_minutes }} min. efter opkaldet){% endif %}. Sted: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}ukendt{% endif %}.{% if ack_link %} Kvittér: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}ESKALERET, ikke kvitteret på {{ escalation_minutes }} min.: {{ agent_name }} ringede til {{ dialed }}, {{ dialed_time_utc }}. Tilbagekald: {{ callback_number }}. Sted: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}ukendt{% endif %}.{% if ack_link %} Kvittér: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}Nødopkaldet til {{ dialed }} fra {{ agent_name }} sluttede efter {{ duration }}.{% if possible_misdial %} Muligvis fejlopkald.{% endif %}{% if callback_received %} Alarmcentralen har ringet tilbage.{% else %} Intet tilbagekald endnu.{% endif %} Tilbagekald til {{ callback_number }}{% if not callback_is_agent_number %} indtil {{ callback_window_minutes }} min. efter opkaldet{% endif %}.{% if ack_link %} Kvittér: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}RETTELSE, nødopkald til {{ dialed }} fra {{ agent_name }}: Tilbagekaldet kommer til {{ callback_number }}, ikke {{ previous_callback_number }}.{% if ack_link %} Kvittér: {{ ack_link }}{% endif %}",
    ],
    data: DataWords {
        quality: [
            "Fuldstændig: Adressen er komplet",
            "Delvis: Ikke nok til at finde døren; bekræft adressen med agenten",
            "Kun land: Ingen adresse kendt",
        ],
        source: [
            "sendt af agentens arbejdsstation med opkaldet",
            "den placering, agenten har registreret (ingen fulgte med opkaldet)",
            "landet i agentens profil (ingen placering fulgte med opkaldet eller var registreret)",
        ],
        route: [
            "Direkte via opkaldsplan",
            "Direkte routing (via operatørens SIP-forbindelse)",
        ],
        unknown_number: "ukendt (der kunne ikke vises noget nummer)",
    },
};
