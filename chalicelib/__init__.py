"""Everything the Chalice routes call. Modules import downwards only:
services (catalog, purchases, orders, webhooks, auth) -> db/cache/signatures/config."""
