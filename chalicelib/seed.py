"""Example catalogue and the test user. Idempotent: inserts only the SKUs that are missing."""

from __future__ import annotations

from decimal import Decimal

from chalicelib.config import get_settings

EXAMPLE_ITEMS = [
    (
        "skin-ember-blade",
        "Ember Blade",
        "A longsword forged in dragonfire. Leaves a trail of embers on every swing.",
        "skin",
        "4.99",
    ),
    (
        "skin-frost-warden",
        "Frost Warden Armor",
        "Glacier-blue plate armor with an aurora shimmer at night.",
        "skin",
        "7.99",
    ),
    ("skin-neon-ronin", "Neon Ronin", "A cyberpunk samurai outfit with pulsing magenta trim.", "skin", "9.99"),
    ("skin-void-wings", "Void Wings", "Cosmetic wings woven from starlight. Purely for showing off.", "skin", "12.99"),
    (
        "power-xp-boost-1h",
        "XP Boost (1 hour)",
        "Double experience from every match for one hour of play.",
        "power_up",
        "1.99",
    ),
    ("power-loot-magnet", "Loot Magnet", "Pulls nearby drops to you for the rest of the match.", "power_up", "0.99"),
    ("power-second-wind", "Second Wind", "Revive once with half health. One use.", "power_up", "2.49"),
    ("gems-pouch-100", "Pouch of 100 Gems", "100 gems to spend in the in-game shop.", "currency_pack", "0.99"),
    ("gems-chest-550", "Chest of 550 Gems", "500 gems plus a 10% bonus.", "currency_pack", "4.99"),
    ("gems-vault-1200", "Vault of 1,200 Gems", "1,000 gems plus a 20% bonus. Best value.", "currency_pack", "9.99"),
    ("bundle-starter-pack", "Starter Pack", "Ember Blade, two XP Boosts and 100 gems at a discount.", "bundle", "6.99"),
    ("bundle-legend-pack", "Legend Pack", "Neon Ronin, Void Wings and 1,200 gems.", "bundle", "24.99"),
]


def seed() -> int:
    """Insert missing example items and the test user; return how many items were added."""
    from sqlalchemy import select

    from chalicelib import catalog
    from chalicelib.db import transaction
    from chalicelib.models import Item
    from chalicelib.orders import ensure_user

    with transaction() as session:
        existing = set(session.scalars(select(Item.sku)))
        added = 0
        for sku, name, description, item_type, price in EXAMPLE_ITEMS:
            if sku not in existing:
                session.add(
                    Item(
                        sku=sku,
                        name=name,
                        description=description,
                        type=item_type,
                        price=Decimal(price),
                        currency="USD",
                    )
                )
                added += 1
        ensure_user(session, get_settings().test_user_id)
    if added:
        catalog.invalidate()
    return added
