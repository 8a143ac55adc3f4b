// Umbrella of the analysis module: correlation of IOAM exports into packets,
// per-interval aggregates, and the consistent-hashing ring for scale-out.
#pragma once

#include "ioam/analysis/aggregate.hpp"
#include "ioam/analysis/correlator.hpp"
#include "ioam/analysis/hop.hpp"
#include "ioam/analysis/records.hpp"
#include "ioam/analysis/rfc9951.hpp"
#include "ioam/analysis/rfc9951_layout.hpp"
#include "ioam/analysis/ring.hpp"
