//! "Previous" and "Next" under a list the storefront shows newest first, while the API pages
//! oldest first: "Next" goes on to older items (the API's `prev` link), "Previous" back to newer
//! ones (its `next` link). The first page is the API's newest page.

use super::next::encode_component;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pager {
    /// Newer items, when there are any.
    pub previous: Option<String>,
    /// Older items, when there are any.
    pub next: Option<String>,
}

impl Pager {
    /// The links of a page at `path`, keeping the `kept` query parameters, from the API's
    /// cursors of the pages after (`newer`) and before (`older`) this one.
    pub fn newest_first(
        path: &str,
        kept: &[(&str, &str)],
        newer: Option<&str>,
        older: Option<&str>,
    ) -> Self {
        let href = |cursor: &str| {
            let mut params: Vec<String> = kept
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={}", encode_component(v)))
                .collect();
            params.push(format!("cursor={}", encode_component(cursor)));
            format!("{path}?{}", params.join("&"))
        };
        Self {
            previous: newer.map(href),
            next: older.map(href),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.previous.is_none() && self.next.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_goes_to_older_items_and_keeps_the_search() {
        let pager = Pager::newest_first("/", &[("q", "rock & roll")], Some("YQ"), Some("Yg"));
        assert_eq!(
            pager.previous.as_deref(),
            Some("/?q=rock%20%26%20roll&cursor=YQ")
        );
        assert_eq!(
            pager.next.as_deref(),
            Some("/?q=rock%20%26%20roll&cursor=Yg")
        );
        let first = Pager::newest_first("/orders", &[("q", "")], None, Some("Yg"));
        assert_eq!(first.previous, None);
        assert_eq!(first.next.as_deref(), Some("/orders?cursor=Yg"));
        assert!(Pager::newest_first("/", &[], None, None).is_empty());
    }
}
