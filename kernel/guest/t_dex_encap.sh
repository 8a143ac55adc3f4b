#!/bin/bash
# DEX in encap mode (ip6ip6 to C, which decapsulates), with and without a
# tunnel source address.
. /tests/ioamtest.sh
. /tests/dex_common.sh
topo_up
run_dex_path mode encap tunsrc db01::2 tundst db02::2 && dex_path_check "encap+tunsrc"
run_dex_path mode encap tundst db02::2 && dex_path_check "encap"
# auto: locally generated packets use the inline mode
run_dex_path mode auto tundst db02::2 && dex_path_check "auto"
finish
