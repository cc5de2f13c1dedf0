//! Times on the page: UTC text for the server-rendered page (the script shows local time), and
//! the time left on a hold.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// `22 Nov 2026, 10:00:05 UTC`.
pub fn utc_text(t: OffsetDateTime) -> String {
    let fmt = format_description!(
        "[day padding:none] [month repr:short] [year], [hour]:[minute]:[second] UTC"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(&fmt)
        .unwrap_or_default()
}

/// `14:59` (or `1:02:03` past an hour) until `deadline`; `0:00` once it has passed.
pub fn time_left(now: OffsetDateTime, deadline: OffsetDateTime) -> String {
    let seconds = (deadline - now).whole_seconds().max(0);
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn utc_text_and_time_left() {
        let t = datetime!(2026-11-22 11:00:05.123 +01:00);
        assert_eq!(utc_text(t), "22 Nov 2026, 10:00:05 UTC");
        assert_eq!(parse("2026-11-22T10:00:05.123Z"), Some(t));
        assert_eq!(parse("yesterday"), None);
        let now = datetime!(2026-11-22 10:00 UTC);
        let cases = [
            (datetime!(2026-11-22 10:15 UTC), "15:00"),
            (datetime!(2026-11-22 10:00:09 UTC), "0:09"),
            (datetime!(2026-11-22 11:02:03 UTC), "1:02:03"),
            (datetime!(2026-11-22 09:59 UTC), "0:00"),
        ];
        for (deadline, expected) in cases {
            assert_eq!(time_left(now, deadline), expected, "{deadline}");
        }
    }
}
