mod cancel;
mod concurrency;
mod create;
mod helpers;
mod list_and_show;
mod listeners;
