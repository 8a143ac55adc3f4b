// Dropping privileges once the sockets that need them are open.
#pragma once

#include <cstdint>

namespace ioam_tools {

enum class drop_result { ok, no_such_user, failed };

/// A capability as a bit of drop_privileges' `keep` mask (CAP_BPF is 39:
/// both words of the capset data).
constexpr std::uint64_t capability_bit(unsigned cap) noexcept { return std::uint64_t{1} << cap; }

/// When running as root, switches to `user` (its uid and gid, no
/// supplementary groups); then clears every capability left but those of
/// the mask `keep` (capability_bit(CAP_...), all 64 bits) and sets
/// no_new_privs. Says what failed on stderr, prefixed with `program`.
drop_result drop_privileges(const char* program, const char* user, std::uint64_t keep = 0);

}  // namespace ioam_tools
