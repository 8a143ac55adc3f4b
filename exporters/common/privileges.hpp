// Dropping privileges once the sockets that need them are open.
#pragma once

namespace ioam_tools {

enum class drop_result { ok, no_such_user, failed };

/// When running as root, switches to `user` (its uid and gid, no
/// supplementary groups); then clears every capability left and sets
/// no_new_privs. Says what failed on stderr, prefixed with `program`.
drop_result drop_privileges(const char* program, const char* user);

}  // namespace ioam_tools
