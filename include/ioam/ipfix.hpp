// ioam-ipfix: IPFIX (RFC 7011, 7012, 6313, 5655). Umbrella header; the parts
// live in ioam/ipfix/. The range-v3 adapter is separate: ioam/ipfix/ranges.hpp.
#pragma once

#include "ioam/ipfix/types.hpp"
#include "ioam/ipfix/ie.hpp"
#include "ioam/ipfix/iana.hpp"
#include "ioam/ipfix/field.hpp"
#include "ioam/ipfix/template.hpp"
#include "ioam/ipfix/record.hpp"
#include "ioam/ipfix/message.hpp"
#include "ioam/ipfix/dynamic_template.hpp"
#include "ioam/ipfix/dispatch.hpp"
#include "ioam/ipfix/template_cache.hpp"
#include "ioam/ipfix/list.hpp"
#include "ioam/ipfix/file.hpp"
