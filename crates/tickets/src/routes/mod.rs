//! The tickets service's route table.

mod create;
mod list;
mod show;
mod update;

use actix_web::web;
use common::session::JwtKeys;
use sqlx::PgPool;

pub fn configure(cfg: &mut web::ServiceConfig, pool: PgPool, keys: JwtKeys) {
    cfg.service(
        web::scope(crate::API_PREFIX)
            .app_data(web::Data::new(pool))
            .app_data(web::Data::new(keys))
            .route("", web::post().to(create::create))
            .route("", web::get().to(list::list))
            .route("/{id}", web::get().to(show::show))
            .route("/{id}", web::put().to(update::update)),
    );
}
