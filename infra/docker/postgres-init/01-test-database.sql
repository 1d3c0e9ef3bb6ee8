-- A second database for `make test` when the compose Postgres is published (infra/docker/compose.ports.yml).
CREATE DATABASE test OWNER store;
