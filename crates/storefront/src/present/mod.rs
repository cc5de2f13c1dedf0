//! What the pages show, computed from API data: money, times, order and sale states, form
//! errors, pagers and safe redirect targets. No actix, no HTTP; unit-tested in place.

pub mod errors;
pub mod money;
pub mod next;
pub mod pager;
pub mod sale;
pub mod status;
pub mod when;
