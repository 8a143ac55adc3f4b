// Runs a program with some system calls failing, through a seccomp filter,
// for the exit status tests of ioam-flow-exporter (run_exits.py):
//   bpf     bpf() fails with ENOSYS, as on a kernel built without
//           CONFIG_BPF_SYSCALL;
//   setuid  setgroups(), setgid() and setuid() fail with EPERM (a user
//           change refused).
//
//   fail_syscalls bpf|setuid PROGRAM [ARG...]
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

namespace {
constexpr sock_filter ret(unsigned v) { return BPF_STMT(BPF_RET | BPF_K, v); }
}  // namespace

int main(int argc, char** argv) {
    const bool bpf = argc >= 3 && std::strcmp(argv[1], "bpf") == 0;
    if (argc < 3 || (!bpf && std::strcmp(argv[1], "setuid") != 0)) {
        std::fprintf(stderr, "usage: fail_syscalls bpf|setuid PROGRAM [ARG...]\n");
        return 2;
    }
    const unsigned fail = SECCOMP_RET_ERRNO | ((bpf ? ENOSYS : EPERM) & SECCOMP_RET_DATA);
    // Load the number; up to three "equal: fail" tests; else allow.
    const unsigned nr[3] = {bpf ? unsigned{__NR_bpf} : unsigned{__NR_setgroups}, bpf ? ~0u : unsigned{__NR_setgid},
                            bpf ? ~0u : unsigned{__NR_setuid}};
    sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr[0], 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr[1], 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr[2], 1, 0),
        ret(SECCOMP_RET_ALLOW),
        ret(fail),
    };
    const sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        std::fprintf(stderr, "fail_syscalls: seccomp: %s\n", std::strerror(errno));
        return 1;
    }
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "fail_syscalls: %s: %s\n", argv[2], std::strerror(errno));
    return 127;
}
