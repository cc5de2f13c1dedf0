//! The route table of the payments service.

mod create;

use actix_web::web;
use common::session::JwtKeys;

use crate::AppState;

pub fn configure(cfg: &mut web::ServiceConfig, state: AppState, keys: JwtKeys) {
    cfg.service(
        web::scope(crate::API_PREFIX)
            .app_data(web::Data::new(keys))
            .app_data(web::Data::new(state))
            .route("", web::post().to(create::create)),
    );
}
