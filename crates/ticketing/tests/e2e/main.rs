mod helpers;
mod outbox_survives_nats_outage;
mod reservation_flow;
