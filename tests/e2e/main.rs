//! End-to-end tests: the real application over real sockets, every scenario on SQLite and
//! PostgreSQL (set KUMBU_TEST_DATABASE_URL; KUMBU_REQUIRE_PG=1 makes its absence a failure).

mod harness;

mod adullam;
mod api;
mod axe;
mod browser;
mod checkout;
mod cli;
mod collections;
mod connections;
mod dashboard;
mod dashboard_browser;
mod dashboard_collections;
mod dashboard_developers;
mod dashboard_home;
mod dashboard_mail;
mod dashboard_money;
mod dashboard_settings;
mod docs_commands;
mod docs_links;
mod events;
mod idempotency;
mod isolation;
mod kulpay;
mod ledger;
mod live;
mod live_processes;
mod mailbox;
mod openapi;
mod operator_clients;
mod pagination;
mod payouts;
mod plexospay;
mod processes;
mod proxypay;
mod receiver;
mod references;
mod refunds;
mod sandbox;
mod schema;
mod secrets;
mod simiz;
mod webdriver;
mod webhook_flow;
mod webhooks;
