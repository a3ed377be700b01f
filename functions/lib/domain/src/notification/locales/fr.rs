//! French. The SMS texts keep to the GSM-7 alphabet (é, è, à and ù are in
//! it; ç, ê, â, î, ô, û are not) so that two segments hold 306 characters.

use super::{DataWords, Labels, Phrases};

pub(super) const PHRASES: Phrases = Phrases {
    test: "TEST",
    test_banner: "Le {{ dialed }} est le numéro de test de l'adresse, pas une véritable urgence.",
    fallback_note: "Vous recevez ce message en tant que destinataire de secours : la liste de notification de l'agent n'a pas pu être utilisée.",
    subject: [
        "Appel d'urgence au {{ dialed }} par {{ agent_name }}",
        "ESCALADE : appel d'urgence au {{ dialed }} par {{ agent_name }} non confirmé",
        "Fin de l'appel d'urgence au {{ dialed }} par {{ agent_name }}{% if possible_misdial %} (erreur de numérotation possible){% endif %}",
        "RECTIFICATIF : appel d'urgence passé par {{ agent_name }} : le numéro de rappel est le {{ callback_number }}",
    ],
    heading: [
        "Appel d'urgence passé",
        "Escalade : appel d'urgence non confirmé",
        "Appel d'urgence terminé",
        "Rectificatif : numéro de rappel",
    ],
    who: "{{ agent_name }} a composé le {{ dialed }}{% if emergency_number != dialed %} (acheminé comme {{ emergency_number }}){% endif %}",
    escalated: "Personne n'a confirmé cet appel d'urgence en {{ escalation_minutes }} minutes : il vous est transmis (niveau {{ escalation_tier }}).",
    ended: "L'appel d'urgence s'est terminé après {{ duration }}.",
    correction_intro: "Rectificatif à la notification de l'appel d'urgence passé par {{ agent_name }} (qui a composé le {{ dialed }} le {{ dialed_at_utc }}).",
    corrected: "Le service d'urgence a vu le {{ callback_number }}{% if callback_is_agent_number %} (le numéro personnel de l'agent){% endif %}, et non le {{ previous_callback_number }} : un rappel du service d'urgence arrivera au {{ callback_number }}. Le {{ previous_callback_number }} ne lui a jamais été présenté.",
    stands: "Tout le reste du premier message reste valable.",
    labels: Labels {
        when: "Quand",
        callback: "Numéro de rappel",
        location: "Localisation",
        route: "Acheminement",
        duration: "Durée",
        source: "Source",
        reference: "Référence",
        ack: "Confirmer",
    },
    colon: " : ",
    local: "heure locale",
    window: "valable jusqu'à {{ callback_window_minutes }} minutes après la fin de l'appel{% if callback_valid_until %}, soit jusqu'au {{ callback_valid_until }}{% endif %}",
    own_number: "le numéro personnel de l'agent : aucun numéro de rappel n'a pu être attribué",
    no_location: "Localisation non fournie par le poste de l'agent",
    profile_country: "pays du profil de l'agent",
    within: "à {{ radius_m }} m près",
    callback_came: "Le service d'urgence a rappelé.",
    callback_none: "Aucun rappel du service d'urgence n'a été enregistré.",
    misdial: "Erreur de numérotation possible : l'appel a duré moins de {{ misdial_threshold_seconds }} secondes.",
    callback_note: "Le service d'urgence peut rappeler le numéro ci-dessus ; l'appel arrive directement à {{ agent_name }}.",
    ack_note: "Indiquez aux autres que vous avez vu ce message :",
    sms: [
        "{% if test %}TEST {% endif %}URGENCE : {{ agent_name }} a composé le {{ dialed }}, {{ dialed_time_utc }}. Rappel au {{ callback_number }}{% if callback_is_agent_number %} (son propre numéro){% else %} ({{ callback_window_minutes }} min après la fin){% endif %}. Lieu : {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}inconnu{% endif %}.{% if ack_link %} Confirmer : {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}ESCALADE, non confirmé en {{ escalation_minutes }} min : {{ agent_name }} a composé le {{ dialed }}, {{ dialed_time_utc }}. Rappel au {{ callback_number }}. Lieu : {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}inconnu{% endif %}.{% if ack_link %} Confirmer : {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}Fin de l'appel d'urgence au {{ dialed }} par {{ agent_name }} après {{ duration }}.{% if possible_misdial %} Erreur de numérotation possible.{% endif %}{% if callback_received %} Les secours ont rappelé.{% else %} Pas encore de rappel.{% endif %} Rappel au {{ callback_number }}{% if not callback_is_agent_number %} jusqu'à {{ callback_window_minutes }} min après la fin{% endif %}.{% if ack_link %} Confirmer : {{ ack_link }}{% endif %}",
        "{% if test %}TEST {% endif %}RECTIFICATIF, appel d'urgence au {{ dialed }} par {{ agent_name }} : le rappel arrivera au {{ callback_number }}, pas au {{ previous_callback_number }}.{% if ack_link %} Confirmer : {{ ack_link }}{% endif %}",
    ],
    data: DataWords {
        quality: [
            "Complète : l'adresse suffit pour arriver à la porte",
            "Partielle : pas assez pour arriver à la porte ; confirmez l'adresse avec l'agent",
            "Pays seulement : aucune adresse n'est connue",
        ],
        source: [
            "envoyée par le poste de l'agent avec l'appel",
            "la localisation enregistrée par l'agent (aucune n'est venue avec l'appel)",
            "le pays du profil de l'agent (aucune localisation n'est venue avec l'appel ni n'a été enregistrée)",
        ],
        route: [
            "Offre directe (forfait d'appels)",
            "Routage direct (par la liaison SIP de l'opérateur)",
        ],
        unknown_number: "inconnu (aucun numéro n'a pu être présenté)",
    },
};
