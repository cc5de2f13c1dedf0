-- Run once by the postgres image on an empty data volume (docker-entrypoint-initdb.d): one
-- database per service (docs/contract.md#services: each service owns its database and never reads
-- another's). The services would also create their database if it were missing; this makes it
-- explicit.
CREATE DATABASE auth;
CREATE DATABASE tickets;
CREATE DATABASE orders;
CREATE DATABASE expiration;
CREATE DATABASE payments;
