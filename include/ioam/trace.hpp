// IOAM data (RFC 9197, RFC 9326, RFC 9486): trace types, node layouts and
// views, option headers, IPv6 options encapsulation.
#pragma once

#include "ioam/trace/trace_type.hpp"
#include "ioam/trace/values.hpp"
#include "ioam/trace/layout.hpp"
#include "ioam/trace/node.hpp"
#include "ioam/trace/option.hpp"
#include "ioam/trace/ipv6.hpp"
