// exporters/common/privileges: drop_privileges keeps exactly the
// capabilities of its mask, both words of it (CAP_BPF is 39), and no others.
// Each case runs in a child of its own (the drop cannot be undone) and reads
// the child's /proc/self/status. Root only: exits 77 and says why otherwise.
#include "privileges.hpp"

#include <linux/capability.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace {

using ioam_tools::capability_bit;
using ioam_tools::drop_result;

int failures = 0;

void check(bool ok, const std::string& what) {
    std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
    if (!ok) ++failures;
}

// A status line's hex value ("CapEff:\t0000008000001000"), or ~0 if missing.
std::uint64_t status_hex(const std::string& status, const char* key) {
    const auto at = status.find(std::string("\n") + key + ":");
    if (at == std::string::npos) return ~std::uint64_t{0};
    return std::strtoull(status.c_str() + at + std::strlen(key) + 2, nullptr, 16);
}

std::string read_status() {
    std::ifstream f("/proc/self/status");
    return "\n" + std::string(std::istreambuf_iterator<char>(f), {});
}

// In a child: drops to nobody keeping `keep`; exit 0 when the child's
// effective and permitted sets are exactly `keep`, inheritable and ambient
// empty, uid and gid nobody's, no_new_privs set.
void case_(const char* what, std::uint64_t keep) {
    std::fflush(stdout);  // not twice, by the child too
    const pid_t pid = fork();
    if (pid == 0) {
        if (ioam_tools::drop_privileges("privileges-test", "nobody", keep) != drop_result::ok) _exit(3);
        const std::string s = read_status();
        const passwd* pw = getpwnam("nobody");
        bool ok = true;
        for (const char* key : {"CapEff", "CapPrm"}) {
            const std::uint64_t got = status_hex(s, key);
            if (got != keep) {
                std::printf("  %s %016llx, asked %016llx\n", key, static_cast<unsigned long long>(got),
                            static_cast<unsigned long long>(keep));
                ok = false;
            }
        }
        for (const char* key : {"CapInh", "CapAmb"})
            if (status_hex(s, key) != 0) {
                std::printf("  %s not empty\n", key);
                ok = false;
            }
        if (!pw || getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != pw->pw_gid) {
            std::printf("  not running as nobody\n");
            ok = false;
        }
        if (status_hex(s, "NoNewPrivs") != 1) {
            std::printf("  no_new_privs not set\n");
            ok = false;
        }
        std::fflush(stdout);
        _exit(ok ? 0 : 1);
    }
    int st = -1;
    const bool waited = pid > 0 && waitpid(pid, &st, 0) == pid;
    check(waited && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          std::string(what) + " (child status " + std::to_string(waited && WIFEXITED(st) ? WEXITSTATUS(st) : -1) + ")");
}

}  // namespace

int main() {
    if (geteuid() != 0) {
        std::printf("needs root (drop_privileges only switches users as root)\n");
        return 77;
    }
    if (!getpwnam("nobody")) {
        std::printf("no user nobody here\n");
        return 77;
    }
    // The capabilities this process may keep (a container's root may lack
    // CAP_BPF; a kernel before 5.8 has none above 37): a mask beyond them
    // cannot be kept, so its case would test the environment, not the code.
    std::ifstream self("/proc/self/status");
    const std::string status((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
    const std::uint64_t permitted = status_hex(status, "CapPrm");
    struct {
        const char* what;
        std::uint64_t mask;
    } const cases[] = {
        // The flow exporter's mask: one capability in each word of the capset data.
        {"CAP_BPF | CAP_NET_ADMIN: exactly these", capability_bit(CAP_BPF) | capability_bit(CAP_NET_ADMIN)},
        {"CAP_BPF | CAP_PERFMON, both above 31: exactly these", capability_bit(CAP_BPF) | capability_bit(CAP_PERFMON)},
        {"CAP_NET_RAW only: exactly it", capability_bit(CAP_NET_RAW)},
        {"no mask (ioam-exporter): none left", 0},
    };
    unsigned above_31 = 0;
    for (const auto& c : cases) {
        if ((c.mask & permitted) != c.mask) {
            std::printf("skip: %s: not permitted here (CapPrm %llx)\n", c.what, static_cast<unsigned long long>(permitted));
            continue;
        }
        case_(c.what, c.mask);
        above_31 += (c.mask >> 32) != 0;
    }
    if (above_31 == 0 && failures == 0) {
        std::printf("no capability above 31 is permitted here (CapPrm %llx): the 64-bit mask is not tested\n",
                    static_cast<unsigned long long>(permitted));
        return 77;
    }

    // An unknown user: said, nothing changed.
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0)
        _exit(ioam_tools::drop_privileges("privileges-test", "no-such-user-hy", capability_bit(CAP_BPF)) ==
                      drop_result::no_such_user && getuid() == 0
                  ? 0
                  : 1);
    int st = 0;
    check(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "an unknown user: no_such_user, still root");
    return failures == 0 ? 0 : 1;
}
