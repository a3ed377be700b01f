//! How many SMS segments a text takes. GSM-7 (the default alphabet) when
//! every character is in it: 160 in one segment, 153 per segment once
//! concatenated (the rest is the concatenation header), a character of the
//! extension table (`€`, `[`, `{`, `|`, …) counting two (escape + code).
//! Otherwise UCS-2: 70 in one segment, 67 per segment (a character outside
//! the Basic Multilingual Plane, an emoji, counting two: a surrogate pair).

/// The most segments a message may take.
pub const MAX_SMS_SEGMENTS: usize = 2;

/// The encoding a text is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

impl SmsEncoding {
    pub const fn as_str(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        }
    }
}

/// What a text costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsSegments {
    pub encoding: SmsEncoding,
    /// Code units: septets (GSM-7) or 16-bit units (UCS-2).
    pub units: usize,
    pub segments: usize,
}

/// The GSM 03.38 default alphabet (basic table).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each is sent as escape + code, two septets.
const GSM_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets a character takes in GSM-7; `None` when it has none.
fn gsm_units(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The segments `text` takes, in the encoding an SMS gateway picks for it.
pub fn sms_segments(text: &str) -> SmsSegments {
    let gsm: Option<usize> = text.chars().map(gsm_units).sum();
    let (encoding, units, single, per_part) = match gsm {
        Some(septets) => (SmsEncoding::Gsm7, septets, 160, 153),
        None => (SmsEncoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let segments = match units {
        0 => 1,
        n if n <= single => 1,
        n => n.div_ceil(per_part),
    };
    SmsSegments {
        encoding,
        units,
        segments,
    }
}

/// The GSM-7 letters a character outside it is commonly sent as (accents
/// dropped, typographic quotes made plain); `None`: it has none.
fn gsm_fallback(c: char) -> Option<&'static str> {
    Some(match c {
        'á' | 'â' | 'ã' | 'ā' | 'ą' => "a",
        'Á' | 'Â' | 'Ã' | 'À' | 'Ā' | 'Ą' => "A",
        'í' | 'î' | 'ï' | 'ı' => "i",
        'Í' | 'Î' | 'Ï' | 'Ì' => "I",
        'ó' | 'ô' | 'õ' | 'ő' => "o",
        'Ó' | 'Ô' | 'Õ' | 'Ò' | 'Ő' => "O",
        'ú' | 'û' | 'ű' | 'ū' => "u",
        'Ú' | 'Û' | 'Ù' | 'Ű' => "U",
        'ê' | 'ë' | 'ę' | 'ě' => "e",
        'Ê' | 'Ë' | 'È' | 'Ę' | 'Ě' => "E",
        'ç' | 'č' | 'ć' => "c",
        'Č' | 'Ć' => "C",
        'š' | 'ś' | 'ş' => "s",
        'Š' | 'Ś' | 'Ş' => "S",
        'ž' | 'ź' | 'ż' => "z",
        'Ž' | 'Ź' | 'Ż' => "Z",
        'ł' => "l",
        'Ł' => "L",
        'ń' | 'ň' => "n",
        'ř' => "r",
        'ý' | 'ÿ' => "y",
        'ğ' => "g",
        'œ' => "oe",
        'Œ' => "OE",
        '\u{2018}' | '\u{2019}' | '\u{00B4}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{00AB}' | '\u{00BB}' => "\"",
        '\u{2013}' | '\u{2014}' => "-",
        '\u{2026}' => "...",
        '\u{00A0}' | '\u{202F}' => " ",
        _ => return None,
    })
}

/// `text` within [`MAX_SMS_SEGMENTS`], for values longer than any a
/// template was validated with: first in GSM-7 letters where every
/// character has one (accents dropped), then cut before the sentence that
/// holds `keep` (the acknowledgement link), which stays whole.
pub fn fit_sms(text: &str, keep: Option<&str>) -> String {
    let fits = |t: &str| sms_segments(t).segments <= MAX_SMS_SEGMENTS;
    if fits(text) {
        return text.to_string();
    }
    let plain: Option<String> = text
        .chars()
        .map(|c| match gsm_units(c) {
            Some(_) => Some(c.to_string()),
            None => gsm_fallback(c).map(String::from),
        })
        .collect();
    let text = plain.unwrap_or_else(|| text.to_string());
    if fits(&text) {
        return text;
    }
    // The tail kept: from the start of the sentence holding `keep`.
    let tail_at = keep
        .filter(|k| !k.is_empty())
        .and_then(|k| text.find(k))
        .map(|at| text[..at].rfind(". ").map_or(at, |dot| dot + 2))
        .unwrap_or(text.len());
    let (head, tail) = text.split_at(tail_at);
    let tail = if fits(tail) { tail } else { "" };
    let mut head: Vec<char> = head.trim_end().chars().collect();
    loop {
        let cut: String = head.iter().collect();
        let candidate = format!("{}... {tail}", cut.trim_end());
        if fits(candidate.trim_end()) || head.is_empty() {
            return candidate.trim_end().to_string();
        }
        head.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_counts_septets_and_the_extension_twice() {
        let s = sms_segments(&"a".repeat(160));
        assert_eq!(
            (s.encoding, s.units, s.segments),
            (SmsEncoding::Gsm7, 160, 1)
        );
        assert_eq!(sms_segments(&"a".repeat(161)).segments, 2);
        assert_eq!(sms_segments(&"a".repeat(306)).segments, 2);
        assert_eq!(sms_segments(&"a".repeat(307)).segments, 3);
        // Danish and German letters are in the default alphabet.
        assert_eq!(
            sms_segments("Rückruf på Straße, Ærø").encoding,
            SmsEncoding::Gsm7
        );
        let euro = sms_segments(&"€".repeat(80));
        assert_eq!((euro.units, euro.segments), (160, 1));
        assert_eq!(sms_segments(&"€".repeat(81)).segments, 2);
        assert_eq!(sms_segments("[x]").units, 5);
        assert_eq!(sms_segments("").segments, 1);
    }

    #[test]
    fn a_text_too_long_is_made_gsm_then_cut_keeping_the_link() {
        let link = "https://x.example/ack/abc";
        let short = format!("Hola. Confirmar: {link}");
        assert_eq!(fit_sms(&short, Some(link)), short, "fits: as it is");
        // Accents dropped make it GSM-7: 306 fit where 134 did not.
        let accented = format!("{}. Confirmar: {link}", "ubicación ".repeat(20));
        let fitted = fit_sms(&accented, Some(link));
        assert!(fitted.starts_with("ubicacion ubicacion"), "{fitted}");
        assert_eq!(sms_segments(&fitted).encoding, SmsEncoding::Gsm7);
        // Too long even so: cut before the link's sentence.
        let long = format!("{}. Ack: {link}", "Main Street ".repeat(40));
        let fitted = fit_sms(&long, Some(link));
        assert!(sms_segments(&fitted).segments <= 2, "{fitted}");
        assert!(fitted.ends_with(&format!("... Ack: {link}")), "{fitted}");
        // Letters with no GSM-7 form (a name in Greek lower case, Chinese):
        // UCS-2, cut to 134.
        let chinese = format!("{}. Ack: {link}", "紧急呼叫".repeat(40));
        let fitted = fit_sms(&chinese, Some(link));
        assert!(sms_segments(&fitted).segments <= 2, "{fitted}");
        assert!(fitted.ends_with(link));
        assert!(sms_segments(&fit_sms(&"x".repeat(1000), None)).segments <= 2);
    }

    #[test]
    fn one_character_outside_gsm_makes_all_ucs2() {
        // `ó` and `ç` (lower case) are not in the default alphabet.
        let s = sms_segments(&format!("{}ó", "a".repeat(69)));
        assert_eq!(
            (s.encoding, s.units, s.segments),
            (SmsEncoding::Ucs2, 70, 1)
        );
        assert_eq!(sms_segments(&format!("{}ç", "a".repeat(70))).segments, 2);
        assert_eq!(sms_segments(&"ó".repeat(134)).segments, 2);
        assert_eq!(sms_segments(&"ó".repeat(135)).segments, 3);
        // An emoji is a surrogate pair: two units.
        assert_eq!(sms_segments("🚨").units, 2);
    }
}
