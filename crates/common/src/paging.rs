//! Keyset paging of a list ordered oldest first (contract: `?limit`, `?cursor`, RFC 8288 `Link`).
//! A cursor names the last item of a page (or the first, going back) by its creation time and
//! id, so the next page is "what comes after it" in the index, whatever was added or removed
//! before it: no OFFSET scans, no duplicates, nothing skipped that stayed in the list.
//! `?cursor=last` asks for the newest page (a list shown newest first starts there).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::FieldError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;
pub const LIMIT_INVALID: FieldError = FieldError::new("limit", "Limit must be between 1 and 100");
pub const CURSOR_INVALID: FieldError = FieldError::new(
    "cursor",
    "Cursor is invalid: use the links of the previous answer, or last",
);
/// The cursor that names the newest page.
pub const LAST: &str = "last";

/// Which way a cursor pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The items after the cursor's (the next page).
    After,
    /// The items before it (the previous page).
    Before,
}

/// A position in a list ordered by (creation time, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub direction: Direction,
    pub created_at: OffsetDateTime,
    pub id: Uuid,
}

impl Cursor {
    /// Before everything there can be: read backwards from here, the newest page.
    pub const LAST: Self = Self {
        direction: Direction::Before,
        created_at: time::macros::datetime!(9999-12-31 23:59:59.999999 UTC),
        id: Uuid::max(),
    };

    pub fn encode(&self) -> String {
        let direction = match self.direction {
            Direction::After => 'a',
            Direction::Before => 'b',
        };
        let micros = self.created_at.unix_timestamp_nanos() / 1_000;
        URL_SAFE_NO_PAD.encode(format!("{direction}:{micros}:{}", self.id.simple()))
    }

    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, ':');
        let direction = match parts.next()? {
            "a" => Direction::After,
            "b" => Direction::Before,
            _ => return None,
        };
        let micros: i128 = parts.next()?.parse().ok()?;
        let created_at =
            OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1_000)?).ok()?;
        let id = Uuid::parse_str(parts.next()?).ok()?;
        Some(Self {
            direction,
            created_at,
            id,
        })
    }
}

/// What a client asked for: how many, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// From the query's `limit` and `cursor`, every failing one reported.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let limit = match limit.map(str::trim) {
            None | Some("") => Ok(DEFAULT_LIMIT),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or(LIMIT_INVALID),
        };
        let cursor = match cursor.map(str::trim) {
            None | Some("") => Ok(None),
            Some(LAST) => Ok(Some(Cursor::LAST)),
            Some(text) => Cursor::decode(text).map(Some).ok_or(CURSOR_INVALID),
        };
        match (limit, cursor) {
            (Ok(limit), Ok(cursor)) => Ok(Self { limit, cursor }),
            (limit, cursor) => Err([limit.err(), cursor.err()].into_iter().flatten().collect()),
        }
    }

    /// How many rows to read: one more than the page, to learn whether more remain.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of rows read for `request`, in list order, and the cursors around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
    pub previous: Option<Cursor>,
}

impl<T> Page<T> {
    /// `rows` as read for `request` (up to `limit + 1`, in the cursor's direction: newest first
    /// when going back); `key` gives a row's position.
    pub fn of(
        request: &PageRequest,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> (OffsetDateTime, Uuid),
    ) -> Self {
        let going_back = request
            .cursor
            .is_some_and(|c| c.direction == Direction::Before);
        let from_the_end = request.cursor == Some(Cursor::LAST);
        let more = rows.len() > request.limit as usize;
        rows.truncate(request.limit as usize);
        if going_back {
            rows.reverse();
        }
        let at = |row: &T, direction| {
            let (created_at, id) = key(row);
            Cursor {
                direction,
                created_at,
                id,
            }
        };
        // Going forward, "more" is about what follows; going back, about what precedes.
        let (more_after, more_before) = if going_back {
            (!from_the_end, more)
        } else {
            (more, request.cursor.is_some())
        };
        let next = rows
            .last()
            .filter(|_| more_after)
            .map(|r| at(r, Direction::After));
        let previous = rows
            .first()
            .filter(|_| more_before)
            .map(|r| at(r, Direction::Before));
        Self {
            items: rows,
            next,
            previous,
        }
    }

    /// The RFC 8288 `Link` header for this page at `path`, keeping the other `query` parameters;
    /// `None` on a lone page.
    pub fn link_header(&self, path: &str, query: &[(&str, String)], limit: u32) -> Option<String> {
        let link = |cursor: &Cursor, rel: &str| {
            let mut params: Vec<String> = query
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{k}={}", encode_component(v)))
                .collect();
            params.push(format!("limit={limit}"));
            params.push(format!("cursor={}", cursor.encode()));
            format!("<{path}?{}>; rel=\"{rel}\"", params.join("&"))
        };
        let links: Vec<String> = [
            self.next.as_ref().map(|c| link(c, "next")),
            self.previous.as_ref().map(|c| link(c, "prev")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!links.is_empty()).then(|| links.join(", "))
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> (OffsetDateTime, Uuid) {
        (
            OffsetDateTime::from_unix_timestamp(1_800_000_000 + seconds)
                .unwrap_or_else(|_| unreachable!()),
            Uuid::from_u128(seconds as u128),
        )
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let (created_at, id) = at(5);
        for direction in [Direction::After, Direction::Before] {
            let cursor = Cursor {
                direction,
                created_at,
                id,
            };
            assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        }
        for bad in [
            "",
            "x",
            "YTox",
            "not base64 !",
            &URL_SAFE_NO_PAD.encode("c:1:2"),
        ] {
            assert_eq!(Cursor::decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn requests_report_every_failing_parameter() {
        assert_eq!(
            PageRequest::parse(None, None),
            Ok(PageRequest {
                limit: 50,
                cursor: None
            })
        );
        assert_eq!(
            PageRequest::parse(Some("100"), None).map(|r| r.limit),
            Ok(100)
        );
        for bad in ["0", "101", "-1", "ten", "1.5"] {
            assert_eq!(
                PageRequest::parse(Some(bad), None),
                Err(vec![LIMIT_INVALID]),
                "{bad}"
            );
        }
        assert_eq!(
            PageRequest::parse(Some("0"), Some("junk")),
            Err(vec![LIMIT_INVALID, CURSOR_INVALID])
        );
    }

    #[test]
    fn pages_know_what_comes_before_and_after() {
        let first = PageRequest {
            limit: 2,
            cursor: None,
        };
        let page = Page::of(&first, vec![1, 2, 3], |n| at(*n));
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next.map(|c| c.id), Some(Uuid::from_u128(2)));
        assert_eq!(page.previous, None, "the first page has nothing before it");
        let last = Page::of(&first, vec![1], |n| at(*n));
        assert_eq!((last.next, last.previous), (None, None));

        // Going back from item 5: read newest first (4, 3, 2), shown oldest first.
        let back = PageRequest {
            limit: 2,
            cursor: Some(Cursor {
                direction: Direction::Before,
                created_at: at(5).0,
                id: at(5).1,
            }),
        };
        let page = Page::of(&back, vec![4, 3, 2], |n| at(*n));
        assert_eq!(page.items, vec![3, 4]);
        assert_eq!(page.previous.map(|c| c.id), Some(Uuid::from_u128(3)));
        assert_eq!(page.next.map(|c| c.id), Some(Uuid::from_u128(4)));

        // The newest page: nothing after it, older ones before it.
        let newest = PageRequest::parse(None, Some("last")).unwrap_or_else(|e| panic!("{e:?}"));
        let page = Page::of(&newest, (1..=51).rev().collect(), |n| at(*n));
        assert_eq!(page.items.first(), Some(&2));
        assert_eq!(page.items.last(), Some(&51));
        assert_eq!(page.next, None);
        assert_eq!(page.previous.map(|c| c.id), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn links_keep_the_query_and_encode_it() {
        let request = PageRequest {
            limit: 1,
            cursor: None,
        };
        let page = Page::of(&request, vec![1, 2], |n| at(*n));
        let header = page
            .link_header("/api/tickets", &[("q", "café & co".to_owned())], 1)
            .unwrap_or_default();
        assert!(
            header.starts_with("</api/tickets?q=caf%C3%A9%20%26%20co&limit=1&cursor="),
            "{header}"
        );
        assert!(header.ends_with(">; rel=\"next\""), "{header}");
    }
}
