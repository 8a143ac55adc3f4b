#include "privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ioam_tools {

drop_result drop_privileges(const char* program, const char* user, std::uint64_t keep) {
    if (getuid() == 0 || geteuid() == 0) {
        errno = 0;
        const passwd* pw = getpwnam(user);
        if (!pw) {
            std::fprintf(stderr, "%s: --user %s: no such user\n", program, user);
            return drop_result::no_such_user;
        }
        if ((keep != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) || setgroups(0, nullptr) != 0 ||
            setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
            std::fprintf(stderr, "%s: cannot switch to user %s: %s\n", program, user, std::strerror(errno));
            return drop_result::failed;
        }
    }
    // Whatever capabilities are left (file capabilities, ambient): none are needed any more
    // but `keep`.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = static_cast<std::uint32_t>(keep);
    data[1].effective = data[1].permitted = static_cast<std::uint32_t>(keep >> 32);
    if (syscall(SYS_capset, &hdr, data) != 0) {
        std::fprintf(stderr, "%s: cannot %s capabilities: %s\n", program, keep != 0 ? "limit" : "drop",
                     std::strerror(errno));
        return drop_result::failed;
    }
    (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return drop_result::ok;
}

}  // namespace ioam_tools
