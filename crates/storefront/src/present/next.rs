//! Where to send a visitor after signing in: only a path on this site, never another origin.

/// `next` when it is a local path (`/tickets/…`), else `/`. Refuses `//evil.com`, `/\evil.com`,
/// absolute URLs and control characters (open-redirect and header-injection guards).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control)
                && !path.starts_with("/auth/") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_survive() {
        let cases = [
            (Some("/tickets/abc"), "/tickets/abc", "a local path"),
            (Some("/orders?x=1"), "/orders?x=1", "a query is kept"),
            (None, "/", "none"),
            (Some(""), "/", "empty"),
            (Some("https://evil.com/"), "/", "absolute URL"),
            (Some("//evil.com"), "/", "scheme-relative URL"),
            (Some("/\\evil.com"), "/", "backslash trick"),
            (Some("/x\r\nSet-Cookie: a=b"), "/", "header injection"),
            (
                Some("/auth/signout"),
                "/",
                "no loop back into the auth pages",
            ),
        ];
        for (input, expected, case) in cases {
            assert_eq!(safe_next(input), expected, "{case}");
        }
    }
}

/// The sign-in page that returns to `next` afterwards.
pub fn sign_in_href(next: &str) -> String {
    format!("/auth/signin?next={}", encode_component(next))
}

/// Percent-encodes all but the URL-unreserved characters and `/`.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod href_tests {
    use super::*;

    #[test]
    fn sign_in_links_carry_the_way_back() {
        assert_eq!(
            sign_in_href("/tickets/a-1"),
            "/auth/signin?next=/tickets/a-1"
        );
        assert_eq!(
            sign_in_href("/orders?x=1&y=2"),
            "/auth/signin?next=/orders%3Fx%3D1%26y%3D2"
        );
    }
}
