"""Equipment's writes, one module per job: the ledger (the one way stock changes), hand-out totals,
low-stock alerts, holders, the catalogue of items and places, the store room's verbs and returnable
assets. Nothing here commits: `unit_of_work` does. The pages' readers are in `volunteer_hub.queries.equipment`.
"""
from volunteer_hub.services.equipment.assets import (  # noqa: F401
    add_asset,
    assets_with_loans,
    check_in_asset,
    check_out_asset,
    loans_for,
    open_loan,
    overdue_loans,
)
from volunteer_hub.services.equipment.catalogue import (  # noqa: F401
    create_item,
    create_place,
    item_names,
    list_items,
    list_places,
    place_names,
    set_place_active,
    update_item,
)
from volunteer_hub.services.equipment.common import (  # noqa: F401
    InsufficientStock,
    Line,
    Outcome,
    fetch_rows,
    insert_row,
)
from volunteer_hub.services.equipment.holders import (  # noqa: F401
    Held,
    balances_for,
    create_store,
    find_kit_bag,
    holder_for_organisation,
    kit_bag_for,
    kit_bag_with_balances,
    list_stores,
    store_names,
)
from volunteer_hub.services.equipment.ledger import (  # noqa: F401
    already_recorded,
    count_items_held,
    items_held_mismatches,
    ledger_mismatches,
    lock_balances,
    record_movements,
)
from volunteer_hub.services.equipment.low_stock import (  # noqa: F401
    check_low_stock,
    low_stock_balances,
    low_stock_summary,
)
from volunteer_hub.services.equipment.stock import (  # noqa: F401
    hand_out_stock,
    issue_stock,
    last_hand_out_place,
    receive_stock,
    reversal_of,
    reverse_movement,
    take_stock,
    write_off_stock,
)
from volunteer_hub.services.equipment.totals import (  # noqa: F401
    add_to_hand_out_totals,
    roll_up_hand_outs,
)
