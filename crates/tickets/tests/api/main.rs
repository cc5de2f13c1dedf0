mod create;
mod helpers;
mod list_and_show;
mod listeners;
mod sessions;
mod update;
