//! Spanish. The SMS texts keep to the GSM-7 alphabet (no á, í, ó, ú) so
//! that two segments hold 306 characters, not 134.

use super::{DataWords, Labels, Phrases};

pub(super) const PHRASES: Phrases = Phrases {
    test: "PRUEBA",
    test_banner: "El {{ dialed }} es el número de prueba de la dirección, no una emergencia real.",
    fallback_note: "Recibe este mensaje como destinatario de reserva: no se pudo usar la lista de notificación del agente.",
    subject: [
        "Llamada de emergencia al {{ dialed }} de {{ agent_name }}",
        "ESCALADO: llamada de emergencia al {{ dialed }} de {{ agent_name }} sin confirmar",
        "Finalizó la llamada de emergencia al {{ dialed }} de {{ agent_name }}{% if possible_misdial %} (posible error de marcación){% endif %}",
        "CORRECCIÓN: llamada de emergencia de {{ agent_name }}: el número de devolución de llamada es {{ callback_number }}",
    ],
    heading: [
        "Llamada de emergencia realizada",
        "Escalado: llamada de emergencia sin confirmar",
        "Llamada de emergencia finalizada",
        "Corrección: número de devolución de llamada",
    ],
    who: "{{ agent_name }} marcó el {{ dialed }}{% if emergency_number != dialed %} (cursada como {{ emergency_number }}){% endif %}",
    escalated: "Nadie confirmó esta llamada de emergencia en {{ escalation_minutes }} minutos: se le escala a usted (nivel {{ escalation_tier }}).",
    ended: "La llamada de emergencia terminó tras {{ duration }}.",
    correction_intro: "Corrección del aviso de la llamada de emergencia de {{ agent_name }} (marcó el {{ dialed }} el {{ dialed_at_utc }}).",
    corrected: "Al servicio de emergencias se le mostró el {{ callback_number }}{% if callback_is_agent_number %} (el número propio del agente){% endif %}, no el {{ previous_callback_number }}: si el servicio de emergencias devuelve la llamada, llamará al {{ callback_number }}. El {{ previous_callback_number }} nunca se le mostró.",
    stands: "Todo lo demás del primer mensaje sigue siendo válido.",
    labels: Labels {
        when: "Cuándo",
        callback: "Número de devolución de llamada",
        location: "Ubicación",
        route: "Ruta",
        duration: "Duración",
        source: "Origen",
        reference: "Referencia",
        ack: "Confirmar",
    },
    colon: ": ",
    local: "hora local",
    window: "válido hasta {{ callback_window_minutes }} minutos después de terminar la llamada{% if callback_valid_until %}, es decir, hasta el {{ callback_valid_until }}{% endif %}",
    own_number: "el número propio del agente: no se pudo asignar un número de devolución de llamada",
    no_location: "El puesto del agente no indicó la ubicación",
    profile_country: "país del perfil del agente",
    within: "con un margen de {{ radius_m }} m",
    callback_came: "El servicio de emergencias devolvió la llamada.",
    callback_none: "No consta que el servicio de emergencias haya devuelto la llamada.",
    misdial: "Posible error de marcación: la llamada duró menos de {{ misdial_threshold_seconds }} segundos.",
    callback_note: "El servicio de emergencias puede devolver la llamada al número indicado; la llamada llega directamente a {{ agent_name }}.",
    ack_note: "Indique a los demás que ha visto este aviso:",
    sms: [
        "{% if test %}PRUEBA {% endif %}EMERGENCIA: {{ agent_name }} ha marcado el {{ dialed }}, {{ dialed_time_utc }}. Rellamada: {{ callback_number }}{% if callback_is_agent_number %} (su propio teléfono){% else %} ({{ callback_window_minutes }} min tras colgar){% endif %}. Lugar: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}desconocido{% endif %}.{% if ack_link %} Confirmar: {{ ack_link }}{% endif %}",
        "{% if test %}PRUEBA {% endif %}ESCALADO, sin confirmar en {{ escalation_minutes }} min: {{ agent_name }} ha marcado el {{ dialed }}, {{ dialed_time_utc }}. Rellamada: {{ callback_number }}. Lugar: {% if location_lines %}{{ location_lines[:3]|join(\", \") }}{% elif country %}{{ country }}{% else %}desconocido{% endif %}.{% if ack_link %} Confirmar: {{ ack_link }}{% endif %}",
        "{% if test %}PRUEBA {% endif %}La llamada de emergencia al {{ dialed }} de {{ agent_name }} ha terminado tras {{ duration }}.{% if possible_misdial %} Posible error al marcar.{% endif %}{% if callback_received %} El servicio de emergencias ha devuelto la llamada.{% else %} Sin rellamada por ahora.{% endif %} Rellamada al {{ callback_number }}{% if not callback_is_agent_number %} hasta {{ callback_window_minutes }} min tras colgar{% endif %}.{% if ack_link %} Confirmar: {{ ack_link }}{% endif %}",
        "{% if test %}PRUEBA {% endif %}AVISO CORREGIDO, llamada de emergencia al {{ dialed }} de {{ agent_name }}: la rellamada llega al {{ callback_number }}, no al {{ previous_callback_number }}.{% if ack_link %} Confirmar: {{ ack_link }}{% endif %}",
    ],
    data: DataWords {
        quality: [
            "Completa: la dirección basta para llegar a la puerta",
            "Parcial: no basta para llegar a la puerta; confirme la dirección con el agente",
            "Solo el país: no se conoce ninguna dirección",
        ],
        source: [
            "enviada por el puesto del agente con la llamada",
            "la ubicación que registró el agente (no llegó ninguna con la llamada)",
            "el país del perfil del agente (no llegó ninguna ubicación con la llamada ni había una registrada)",
        ],
        route: [
            "Oferta directa (plan de llamadas)",
            "Enrutamiento directo (a través de la línea SIP del operador)",
        ],
        unknown_number: "desconocido (no se pudo presentar ningún número)",
    },
};
