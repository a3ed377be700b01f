//! German. Ä, ö, ü and ß are in the GSM-7 alphabet: the SMS texts need no
//! care beyond their length.

use super::{DataWords, Labels, Phrases};

pub(super) const PHRASES: Phrases = Phrases {
    test: "TEST",
    test_banner: "Die {{ dialed }} ist die Nummer zum Testen der Adresse, kein echter Notfall.",
    fallback_note: "Sie erhalten diese Nachricht als Ersatzempfänger: Die Benachrichtigungsliste des Agenten konnte nicht verwendet werden.",
    subject: [
        "Notruf {{ dialed }} von {{ agent_name }}",
        "ESKALIERT: Notruf {{ dialed }} von {{ agent_name }} nicht bestätigt",
        "Notruf {{ dialed }} von {{ agent_name }} beendet{% if possible_misdial %} (möglicherweise verwählt){% endif %}",
        "KORREKTUR: Notruf von {{ agent_name }}: Die Rückrufnummer ist {{ callback_number }}",
    ],
    heading: [
        "Notruf abgesetzt",
        "Eskaliert: Notruf nicht bestätigt",
        "Notruf beendet",
        "Korrektur: Rückrufnummer",
    ],
    who: "{{ agent_name }} hat die {{ dialed }} gewählt{% if emergency_number != dialed %} (vermittelt als {{ emergency_number }}){% endif %}",
    escalated: "Niemand hat diesen Notruf innerhalb von {{ escalation_minutes }} Minuten bestätigt: Er wird an Sie eskaliert (Stufe {{ escalation_tier }}).",
    ended: "Der Notruf wurde nach {{ duration }} beendet.",
    correction_intro: "Korrektur zur Benachrichtigung über den Notruf von {{ agent_name }} (hat die {{ dialed }} am {{ dialed_at_utc }} gewählt).",
    corrected: "Der Leitstelle wurde {{ callback_number }}{% if callback_is_agent_number %} (die eigene Nummer des Agenten){% endif %} angezeigt, nicht {{ previous_callback_number }}: Ein Rückruf der Leitstelle geht an {{ callback_number }}. {{ previous_callback_number }} wurde ihr nie angezeigt.",
    stands: "Alles andere in der ersten Nachricht bleibt gültig.",
    labels: Labels {
        when: "Zeitpunkt",
        callback: "Rückrufnummer",
        location: "Standort",
        route: "Leitweg",
        duration: "Dauer",
        source: "Quelle",
        reference: "Referenz",
        ack: "Bestätigen",
    },
    colon: ": ",
    local: "Ortszeit",
    window: "gültig bis {{ callback_window_minutes }} Minuten nach Gesprächsende{% if callback_valid_until %}, also bis {{ callback_valid_until }}{% endif %}",
    own_number: "die eigene Nummer des Agenten: Es konnte keine Rückrufnummer zugeteilt werden",
    no_location: "Standort vom Arbeitsplatz des Agenten nicht übermittelt",
    profile_country: "Land im Profil des Agenten",
    within: "auf {{ radius_m }} m genau",
    callback_came: "Die Leitstelle hat zurückgerufen.",
    callback_none: "Es wurde kein Rückruf der Leitstelle verzeichnet.",
    misdial: "Möglicherweise verwählt: Das Gespräch dauerte weniger als {{ misdial_threshold_seconds }} Sekunden.",
    callback_note: "Die Leitstelle kann die obige Nummer zurückrufen; der Anruf geht direkt an {{ agent_name }}.",
    ack_note: "Zeigen Sie den anderen, dass Sie dies gesehen haben:",
    sms: [
        "{% if test %}TEST {% endif %}NOTRUF: {{ agent_name }} hat die {{ dialed }} gewählt, {{ dialed_time_utc }}. Rückruf: {{ callback_number }}{% if callback_is_agent_number %} (eigene Nummer){% else %} ({{ callback_window_minutes }} Min. nach Anrufende){% endif %}. Ort: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}unbekannt{% endif %}.{% if ack_link %} Bestätigen: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}ESKALIERT, {{ escalation_minutes }} Min. unbestätigt: {{ agent_name }} hat die {{ dialed }} gewählt, {{ dialed_time_utc }}. Rückruf: {{ callback_number }}. Ort: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}unbekannt{% endif %}.{% if ack_link %} Bestätigen: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}Notruf {{ dialed }} von {{ agent_name }} nach {{ duration }} beendet.{% if possible_misdial %} Möglicherweise verwählt.{% endif %}{% if callback_received %} Die Leitstelle hat zurückgerufen.{% else %} Noch kein Rückruf.{% endif %} Rückruf an {{ callback_number }}{% if not callback_is_agent_number %} bis {{ callback_window_minutes }} Min. nach Gesprächsende{% endif %}.{% if ack_link %} Bestätigen: {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}KORREKTUR, Notruf {{ dialed }} von {{ agent_name }}: Der Rückruf kommt an {{ callback_number }}, nicht an {{ previous_callback_number }}.{% if ack_link %} Bestätigen: {{ ack_link }}{% endif %}",
    ],
    data: DataWords {
        quality: [
            "Vollständig: Die Anschrift reicht bis zur Tür",
            "Teilweise: Reicht nicht bis zur Tür; bestätigen Sie die Adresse mit dem Agenten",
            "Nur das Land: Keine Adresse bekannt",
        ],
        source: [
            "vom Arbeitsplatz des Agenten mit dem Anruf gesendet",
            "der vom Agenten registrierte Standort (mit dem Anruf kam keiner)",
            "das Land im Profil des Agenten (weder mit dem Anruf kam ein Standort noch war einer registriert)",
        ],
        route: [
            "Direktangebot (Anrufplan)",
            "Direktes Routing (über die SIP-Leitung des Anbieters)",
        ],
        unknown_number: "unbekannt (es konnte keine Nummer angezeigt werden)",
    },
};
