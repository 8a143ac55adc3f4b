// The Linux kernel's IOAM6 generic netlink events (TRACE and DEX), decoded
// zero-copy from a byte buffer; no libmnl.
#pragma once

#include "ioam/netlink/message.hpp"
#include "ioam/netlink/ioam6.hpp"
#include "ioam/netlink/event.hpp"
