// Dropping privileges once the sockets that need them are open.
#pragma once

#include <cstdint>

namespace ioam_tools {

enum class drop_result { ok, no_such_user, failed };

/// When running as root, switches to `user` (its uid and gid, no
/// supplementary groups); then clears every capability left but those of
/// the mask `keep` (1 << CAP_..., from the first 32) and sets no_new_privs.
/// Says what failed on stderr, prefixed with `program`.
drop_result drop_privileges(const char* program, const char* user, std::uint32_t keep = 0);

}  // namespace ioam_tools
